// TCP_CHECK: an asynchronous connect to connect_ip:connect_port, optionally from
// bindto:bind_port, out of bind_if, with the fwmark (SO_MARK) given. Passes when the
// three-way handshake completes; the connection is then closed at once, with a RST
// (SO_LINGER 0, as HAProxy's checks): no FIN exchange, no TIME_WAIT socket per check.
// A connect that is complete (or refused) by the time connect() returns -- a listener on
// this host, usually -- never touches the loop's reactor: no epoll registration, no
// timer; its result waits in a list that one posted handler delivers. Only a connect
// still in progress gets a registered socket and a deadline timer. A probe without a
// source, device or mark of its own takes its socket from a small pool and gives it back
// disconnected (connect() to AF_UNSPEC, which resets the connection): no socket() and no
// close() per check.
//
// By default (set_mode(TcpCheckMode::syn), the daemon's --tcp-check=syn) a probe without
// fwmark or bind_port is a half-open SYN probe instead (syn_probe.hpp): same verdicts, no
// socket and no connection per check. Without CAP_NET_RAW, or for a family whose raw
// socket cannot be opened, connect() is used.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "base/ip.hpp"
#include "base/urgent.hpp"
#include "checkers/io/prober.hpp"
#include "conf/model.hpp"

namespace vigil::checkers::io {

struct TcpTarget {
  IpAddress address;
  std::uint16_t port{};
  std::optional<IpAddress> bindto;
  std::uint16_t bind_port{};
  std::uint32_t fwmark{};  // 0: none
  std::string bind_if;
};

enum class TcpCheckMode : std::uint8_t {
  syn,      // a half-open probe where possible (syn_probe.hpp)
  connect,  // a full non-blocking connect(), reset at once
};

class SynProber;

// From a checker's resolved settings (connect_ip/connect_port default to the real server).
TcpTarget tcp_target(const conf::CheckCommon& check);

class TcpProber {
 public:
  explicit TcpProber(boost::asio::io_context& io);
  ~TcpProber();
  TcpProber(const TcpProber&) = delete;
  TcpProber& operator=(const TcpProber&) = delete;

  // `done` runs once, on the loop, by `deadline` at the latest (then with "timeout").
  std::uint64_t start(const TcpTarget& target, TimePoint deadline, ProbeDone done);
  void cancel(std::uint64_t token);
  // Polled between the results one handler delivers (base/urgent.hpp); none when null.
  void set_urgent(Urgent* urgent);
  std::size_t in_flight() const;
  // connect() (the default) or half-open probes. For syn: "" when both families can be
  // probed half-open, else why not, per family ("IPv4: raw socket: Operation not
  // permitted; ..."); those use connect(). Probes already running are not affected.
  std::string set_mode(TcpCheckMode mode);
  // Whether probes of `family` are half-open now.
  bool half_open(Family family) const;

 private:
  struct Pending;  // a connect in progress
  struct Ready {   // a result not yet delivered
    std::uint64_t token;
    ProbeDone done;
    ProbeOutcome outcome;
  };
  void deliver(std::uint64_t token, ProbeDone done, ProbeOutcome outcome);
  void finish(std::uint64_t token, ProbeOutcome outcome);

  boost::asio::io_context& io_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Pending>> pending_;  // shared: Pending is incomplete here
  std::vector<Ready> ready_;
  std::vector<int> pool_[2];  // unconnected sockets to reuse, IPv4 and IPv6 (see start())
  std::uint64_t next_token_{1};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  Urgent* urgent_{nullptr};
  std::unique_ptr<SynProber> syn_;  // null: connect() for everything
};

}  // namespace vigil::checkers::io
