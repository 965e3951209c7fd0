// libFuzzer: the half-open TCP probe's receive parsers (checkers/core/tcp_syn) on arbitrary
// bytes, as a raw socket or an ICMP error queue could hand them over: both framings, the
// acceptable-ACK rule on whatever parses, and the quoted-header reader. Nothing may crash or
// read outside the input; a parsed segment's kind must agree with its flags.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "checkers/core/tcp_syn.hpp"

using namespace vigil::checkers::syn;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  for (const Framing framing : {Framing::ipv4, Framing::tcp}) {
    const auto s = parse_segment(bytes, framing);
    if (!s) continue;
    const Answer a = answer_to(*s, s->ack - 1);
    if (a == Answer::up && s->kind != Kind::syn_ack) std::abort();
    if (framing == Framing::ipv4 && (!s->src || !s->dst)) std::abort();
  }
  (void)parse_quoted(bytes);
  return 0;
}
