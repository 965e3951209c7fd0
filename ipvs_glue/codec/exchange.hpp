// Matching netlink replies to requests by sequence number. Pure: an I/O driver (blocking
// now, Asio later) sends requests, calls expect() for each, feeds every datagram it
// receives and acts on what completed. Many requests may be outstanding at once.
#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "ipvs_glue/codec/genl.hpp"

namespace vigil::ipvs::genl {

class Exchange {
 public:
  // A write or a single GET ends with NLMSG_ERROR (0 = ACK); a dump with NLMSG_DONE.
  // A quiet write was sent without NLM_F_ACK: the kernel answers it only with an error, so
  // it succeeded once a later request of the same socket completes (the kernel handles a
  // socket's requests in order). Batches of quiet writes end with one acknowledged request.
  enum class Kind : std::uint8_t { ack, dump, quiet };

  struct Outcome {
    std::uint32_t seq{};
    int error{};  // 0, or a negative errno from the kernel
    std::string ext_message;
    bool interrupted{};  // NLM_F_DUMP_INTR: the table changed during the dump; redo it
    // The payload (genlmsghdr + attributes) of every data message, in order.
    std::vector<std::vector<std::byte>> replies;
  };

  void expect(std::uint32_t seq, Kind kind);
  // One received datagram: the requests it completed, in the order they completed.
  // A malformed datagram is an error; requests it may have answered stay pending.
  Result<std::vector<Outcome>, DecodeError> feed(std::span<const std::byte> datagram);

  std::size_t pending() const { return pending_.size(); }
  bool is_pending(std::uint32_t seq) const { return pending_.contains(seq); }
  void forget(std::uint32_t seq) { pending_.erase(seq); }
  void clear() { pending_.clear(); }
  // Messages that matched no pending request (late replies after a timeout, ...).
  std::uint64_t stray() const { return stray_; }

 private:
  struct Pending {
    Kind kind;
    Outcome outcome;
  };
  std::map<std::uint32_t, Pending> pending_;
  std::uint64_t stray_{0};
};

// The genl header and attributes of a reply payload kept by Exchange.
Result<GenlMessage, DecodeError> parse_genl(std::span<const std::byte> payload);

}  // namespace vigil::ipvs::genl
