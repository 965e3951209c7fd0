// libFuzzer entry point for BFD: the input is a sequence of events for one Session (Start,
// Stop, timer expiries, and 24-byte packets through the decoder). Every packet that decodes
// must re-encode to its first 24 bytes (with Length 24); the Session must never throw and
// must keep RFC 5880's invariants: no packet with both Poll and Final, our discriminator
// always set, and the transmit interval and Detection Time never negative.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "bfd/proto/session.hpp"

namespace {

using namespace vigil;
using namespace vigil::bfd;

void check(bool ok) {
  if (!ok) std::abort();
}

void verify(const Session& s, const Actions& acts) {
  for (const auto& a : acts)
    if (const auto* send = std::get_if<Send>(&a)) {
      check(!(send->packet.poll && send->packet.final));
      check(send->packet.my_discriminator == s.local_discriminator());
      check(decode(encode(send->packet)).has_value());
    }
  check(s.tx_interval().count() >= 0 && s.detection_time().count() >= 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  SessionConfig c;
  c.local_discriminator = 0x1234;
  c.min_tx = std::chrono::milliseconds(50);
  c.min_rx = std::chrono::milliseconds(50);
  Session s(c);
  TimePoint now{};
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  while (!in.empty()) {
    const auto op = std::to_integer<unsigned>(in[0]);
    in = in.subspan(1);
    now += std::chrono::microseconds(op * 997);
    Actions acts;
    switch (op % 6) {
      case 0: acts = s.step(Start{}, now); break;
      case 1: acts = s.step(Stop{}, now); break;
      case 2: acts = s.step(TxTimerExpired{}, now); break;
      case 3: acts = s.step(DetectTimerExpired{}, now); break;
      default: {
        const std::size_t n = std::min<std::size_t>(in.size(), kControlPacketSize);
        auto packet = decode(in.first(n));
        in = in.subspan(n);
        if (!packet) continue;
        const auto again = encode(*packet);
        auto back = decode(again);
        check(back && *back == *packet);
        acts = s.step(PacketReceived{*packet}, now);
      }
    }
    verify(s, acts);
  }
  return 0;
}
