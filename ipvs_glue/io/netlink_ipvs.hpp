// NetlinkIpvs: the real IpvsPort, over a NETLINK_GENERIC socket driven with the pure codec
// (codec/ipvs.hpp builds the bytes, genl::Exchange matches replies). Blocking: each call
// returns when the kernel has answered every request it sent, or at the time bound.
//  - The IPVS family is resolved once, at open(); when it is missing, `modprobe ip_vs` is
//    tried once and the lookup repeated; then "kernel IPVS unavailable".
//  - Writes are pipelined: up to `window` requests per send, each with its own sequence
//    number and ACK; failures are reported per operation, the others still apply.
//  - Writes ask for no ACK but the last of each window: the kernel answers the others only
//    when they fail, and the window's final ACK says that all before it were handled.
//  - Dumps are multi-part; one marked NLM_F_DUMP_INTR (the table changed meanwhile) is
//    redone, up to dump_retries times. One destination dump per service, in turn (the
//    kernel runs one dump per socket at a time).
//  - ENOBUFS (replies dropped: the receive buffer overflowed) and timeouts are errors: the
//    kernel's state is then unknown and the caller re-dumps (reconcile() does).
#pragma once
#include <chrono>
#include <functional>
#include <memory>

#include "ipvs_glue/codec/exchange.hpp"
#include "ipvs_glue/codec/ipvs.hpp"
#include "ipvs_glue/io/netlink_socket.hpp"
#include "ipvs_glue/io/port.hpp"

namespace vigil::ipvs {

struct NetlinkOptions {
  std::chrono::milliseconds timeout{5000};  // for each window of requests to be answered
  std::size_t window{128};                  // requests in flight (shrunk to fit rcvbuf)
  int rcvbuf_bytes{4 << 20};
  bool load_module{true};  // try `modprobe ip_vs` once when the family is missing
  int dump_retries{3};
  bool quiet_writes{true};  // one ACK per window of writes, not one per write
};

class NetlinkIpvs final : public IpvsPort {
 public:
  static Result<std::unique_ptr<NetlinkIpvs>, IpvsError> open(NetlinkOptions options = {});

  Result<IpvsTable, IpvsError> dump() override;
  Result<ApplyReport, IpvsError> apply(std::span<const IpvsOp> ops) override;
  Result<std::vector<SyncDaemon>, IpvsError> sync_daemons() override;
  Result<void, IpvsError> start_sync_daemon(const SyncDaemon& d) override;
  Result<void, IpvsError> stop_sync_daemon(SyncState state) override;
  Result<Timeouts, IpvsError> timeouts() override;
  Result<void, IpvsError> set_timeouts(const Timeouts& t) override;
  Result<Info, IpvsError> info() override;
  Result<void, IpvsError> zero(const std::optional<ServiceKey>& service) override;
  Result<void, IpvsError> flush() override;
  std::uint64_t writes() const override { return writes_; }
  std::uint64_t requests() const override { return requests_; }
  std::uint64_t sends() const override { return sends_; }

  std::uint16_t family_id() const { return family_; }
  std::uint64_t stray_replies() const { return exchange_.stray(); }

 private:
  using Outcome = genl::Exchange::Outcome;
  using Kind = genl::Exchange::Kind;
  // Writes request i (one message) and says how it ends.
  using Build = std::function<Kind(nl::Writer&, const codec::Request&, std::size_t i)>;

  NetlinkIpvs(NetlinkSocket socket, std::uint16_t family, NetlinkOptions options);
  // Requests 0..count-1 in windows of options_.window, one send each. quiet: the writes
  // (Kind::ack) of a window but its last go without NLM_F_ACK (Exchange::Kind::quiet).
  Result<std::vector<Outcome>, IpvsError> run(std::size_t count, const Build& build,
                                              bool quiet = false);
  Result<Outcome, IpvsError> run_one(const Build& build);
  Result<void, IpvsError> drain(std::map<std::uint32_t, std::size_t>& index,
                                std::vector<Outcome>& out);
  Result<std::vector<std::vector<std::byte>>, IpvsError> dump_payloads(const Build& build);
  Result<void, IpvsError> write_one(const Build& build, const char* what);
  std::uint32_t next_seq() { return ++seq_; }

  NetlinkSocket socket_;
  std::uint16_t family_;
  NetlinkOptions options_;
  genl::Exchange exchange_;
  std::uint32_t seq_{0};
  std::uint64_t writes_{0};
  std::uint64_t requests_{0};
  std::uint64_t sends_{0};
};

}  // namespace vigil::ipvs
