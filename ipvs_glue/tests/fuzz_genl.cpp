// libFuzzer entry point for the generic-netlink reply parser: whatever the kernel (or an
// attacker on the socket) sends, parsing returns a value or an error, never crashes. The
// input is also fed, as three datagrams in a row, to a table dump and to a batch of writes
// (codec/transaction): they end done or with an error, never crash or loop.
#include <cstddef>
#include <cstdint>
#include <span>

#include "ipvs_glue/codec/exchange.hpp"
#include "ipvs_glue/codec/genl.hpp"
#include "ipvs_glue/codec/ipvs.hpp"
#include "ipvs_glue/codec/transaction.hpp"

using namespace vigil::ipvs;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  genl::Exchange x;
  x.expect(0, genl::Exchange::Kind::dump);
  x.expect(1, genl::Exchange::Kind::ack);
  x.expect(2, genl::Exchange::Kind::quiet);
  if (auto done = x.feed(bytes))
    for (const auto& o : *done)
      for (const auto& r : o.replies)
        if (auto g = genl::parse_genl(r)) (void)codec::decode_service(*g);
  // Sequence numbers start at 2 (Session::next_seq after 1): small, for the fuzzer to find.
  {
    codec::Session s;
    s.family = 0x22;
    codec::DumpTableTxn dump(s);
    (void)dump.take_output();
    for (int i = 0; i < 3 && !dump.done(); ++i) {
      dump.feed(bytes);
      (void)dump.take_output();
    }
    Service svc;
    svc.key = ServiceKey::inet(Protocol::tcp, vigil::IpAddress::v4(0x0a000001), 80);
    svc.scheduler = "mh";
    Dest d;
    d.address = vigil::IpAddress::v4(0x0a000002);
    std::vector<IpvsOp> ops{AddService{svc}, AddDest{svc.key, d}, EditDest{svc.key, d}, DelService{svc.key}};
    codec::ApplyTxn apply(s, ops);
    (void)apply.take_output();
    for (int i = 0; i < 3 && !apply.done(); ++i) {
      apply.feed(bytes);
      (void)apply.take_output();
    }
  }
  auto msgs = genl::split_messages(bytes);
  if (!msgs) return 0;
  for (const auto& m : *msgs) {
    (void)genl::parse_status(m);
    auto g = genl::parse_genl(m);
    if (!g) continue;
    (void)codec::decode_service(*g);
    (void)codec::decode_dest(*g, vigil::Family::v6);
    (void)codec::decode_daemon(*g);
    (void)codec::decode_config(*g);
    (void)codec::decode_info(*g);
    (void)genl::decode_family_id(*g);
  }
  return 0;
}
