// A scripted netlink peer for the transaction and driver tests: it answers IPVS requests as
// the kernel does (dumps in several datagrams then DONE, ACK only when asked or on error,
// one datagram per ACK), from a table it holds, with faults on demand.
#pragma once
#include <cstring>
#include <functional>
#include <vector>

#include "ipvs_glue/codec/genl.hpp"
#include "ipvs_glue/codec/ipvs.hpp"

namespace vigil::ipvs::test {

struct FakePeer {
  static constexpr std::uint16_t kFamily = 0x22;
  IpvsTable table;
  std::size_t entries_per_datagram{2};
  int interrupt_service_dumps{0};  // flag this many GET_SERVICE dumps NLM_F_DUMP_INTR
  int interrupt_dest_dumps{0};
  std::function<int(std::size_t)> write_error;  // errno for the n-th write (0 = success)
  std::size_t writes{0}, requests{0}, datagrams{0};
  std::vector<std::uint8_t> commands;  // of every request, in order
  bool silent{false};  // answer nothing (timeouts)

  using Bytes = std::vector<std::byte>;

  static void patch_header(Bytes& m, std::uint16_t type, std::uint16_t flags) {
    std::memcpy(m.data() + 4, &type, 2);
    std::memcpy(m.data() + 6, &flags, 2);
  }
  static Bytes ack(const genl::Message& req, int err) {
    nl::Writer w;
    w.native<std::uint32_t>(36);
    w.native<std::uint16_t>(genl::kNlmsgError);
    w.native<std::uint16_t>(genl::kFlagCapped);
    w.native<std::uint32_t>(req.header.seq);
    w.native<std::uint32_t>(0);
    w.native<std::int32_t>(-err);
    w.native<std::uint32_t>(req.header.len);
    w.native<std::uint16_t>(req.header.type);
    w.native<std::uint16_t>(req.header.flags);
    w.native<std::uint32_t>(req.header.seq);
    w.native<std::uint32_t>(req.header.pid);
    return std::move(w).take();
  }
  static Bytes done(std::uint32_t seq, std::uint16_t flags) {
    nl::Writer w;
    w.native<std::uint32_t>(20);
    w.native<std::uint16_t>(genl::kNlmsgDone);
    w.native<std::uint16_t>(static_cast<std::uint16_t>(genl::kFlagMulti | flags));
    w.native<std::uint32_t>(seq);
    w.native<std::uint32_t>(0);
    w.native<std::int32_t>(0);
    return std::move(w).take();
  }

  // Entries (already one message each) in datagrams of entries_per_datagram, then DONE.
  void dump(std::vector<Bytes> entries, std::uint32_t seq, bool intr, std::vector<Bytes>& out) {
    const std::uint16_t flags = genl::kFlagMulti | (intr ? genl::kFlagDumpIntr : 0);
    Bytes d;
    std::size_t n = 0;
    for (auto& e : entries) {
      patch_header(e, kFamily, flags);
      d.insert(d.end(), e.begin(), e.end());
      if (++n % entries_per_datagram == 0) out.push_back(std::exchange(d, {}));
    }
    if (!d.empty()) out.push_back(std::move(d));
    out.push_back(done(seq, intr ? genl::kFlagDumpIntr : 0));
  }

  std::vector<Bytes> handle(std::span<const std::byte> datagram) {
    ++datagrams;
    std::vector<Bytes> out;
    auto messages = genl::split_messages(datagram);
    if (!messages) return out;
    for (const auto& m : *messages) {
      ++requests;
      const auto cmd = std::to_integer<std::uint8_t>(m.payload[0]);
      commands.push_back(cmd);
      if (silent) continue;
      const codec::Request r{kFamily, m.header.seq};
      if (m.header.flags & genl::kFlagDump) {
        std::vector<Bytes> entries;
        bool intr = false;
        if (cmd == 4) {  // IPVS_CMD_GET_SERVICE
          for (const auto& s : table.services) entries.push_back(codec::encode(r, codec::append_new_service, s));
          intr = interrupt_service_dumps > 0 && interrupt_service_dumps-- > 0;
        } else if (cmd == 8) {  // IPVS_CMD_GET_DEST: find the service by its request bytes
          const Bytes asked(datagram.begin() + (m.payload.data() - datagram.data()) - 16,
                            datagram.begin() + (m.payload.data() - datagram.data()) + m.payload.size());
          for (const auto& s : table.services) {
            if (codec::encode(r, codec::append_get_dests, s.key) != asked) continue;
            for (const auto& d : s.dests) entries.push_back(codec::encode(r, codec::append_new_dest, s.key, d));
          }
          intr = interrupt_dest_dumps > 0 && interrupt_dest_dumps-- > 0;
        }
        dump(std::move(entries), m.header.seq, intr, out);
        continue;
      }
      const int err = write_error ? write_error(writes) : 0;
      ++writes;
      if (err || (m.header.flags & genl::kFlagAck)) out.push_back(ack(m, err));
    }
    return out;
  }
};

}  // namespace vigil::ipvs::test
