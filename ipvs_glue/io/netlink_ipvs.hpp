// NetlinkIpvs: the real IpvsPort, over a NETLINK_GENERIC socket driven with the pure codec
// (codec/ipvs.hpp builds the bytes, genl::Exchange matches replies). Blocking: each call
// returns when the kernel has answered every request it sent, or at the time bound.
//  - The IPVS family is resolved once, at open(); when it is missing, `modprobe ip_vs` is
//    tried once and the lookup repeated; then "kernel IPVS unavailable".
//  - Every call runs one sans-IO transaction (codec/transaction.hpp), which the Asio
//    driver (async_netlink_ipvs.hpp) runs too: writes pipelined in windows (many requests
//    per send, each with its own sequence number, one ACK per window), multi-part dumps
//    redone on NLM_F_DUMP_INTR, errors attributed to their own operation.
//  - ENOBUFS (replies dropped: the receive buffer overflowed) and timeouts are errors: the
//    kernel's state is then unknown and the caller re-dumps (reconcile() does).
#pragma once
#include <chrono>
#include <functional>
#include <memory>

#include "ipvs_glue/codec/transaction.hpp"
#include "ipvs_glue/io/netlink_socket.hpp"
#include "ipvs_glue/io/port.hpp"

namespace vigil::ipvs {

struct NetlinkOptions {
  std::chrono::milliseconds timeout{5000};  // for each window of requests to be answered
  std::size_t window{256};                  // requests per send (shrunk to fit rcvbuf)
  int rcvbuf_bytes{4 << 20};
  bool load_module{true};  // try `modprobe ip_vs` once when the family is missing
  int dump_retries{3};
  bool quiet_writes{true};  // one ACK per window of writes, not one per write
  bool stage_schedulers{true};  // sh/dh/mh: bind the scheduler once per new service
};

// The socket with the IPVS family resolved (modprobe ip_vs tried once when asked), and the
// transaction limits that fit its receive buffer. Shared by both drivers.
struct OpenedSocket {
  NetlinkSocket socket;
  codec::Session session;
};
Result<OpenedSocket, IpvsError> open_ipvs_socket(const NetlinkOptions& options);

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
  std::uint64_t writes() const override { return session_.counters.writes; }
  std::uint64_t requests() const override { return session_.counters.requests; }
  std::uint64_t sends() const override { return session_.counters.sends; }

  std::uint16_t family_id() const { return session_.family; }
  const codec::Counters& counters() const { return session_.counters; }
  std::uint64_t stray_replies() const { return session_.counters.stray; }

 private:
  NetlinkIpvs(OpenedSocket s, NetlinkOptions options);
  // Runs t to its end: send what it has, wait (bounded) for the replies, feed them.
  Result<void, IpvsError> drive(codec::Transaction& t);
  Result<codec::Transaction::Outcome, IpvsError> one(codec::RequestTxn::Build build,
                                                      codec::Transaction::Kind kind, bool write);
  Result<void, IpvsError> write_one(codec::RequestTxn::Build build, const char* what);
  Result<std::vector<std::vector<std::byte>>, IpvsError> dump_payloads(codec::RequestTxn::Build build);

  NetlinkSocket socket_;
  codec::Session session_;
  NetlinkOptions options_;
};

}  // namespace vigil::ipvs
