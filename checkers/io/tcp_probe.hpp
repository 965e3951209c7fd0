// TCP_CHECK: an asynchronous connect to connect_ip:connect_port, optionally from
// bindto:bind_port, out of bind_if, with the fwmark (SO_MARK) given. Passes when the
// three-way handshake completes; the connection is then closed at once.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/clock.hpp"
#include "base/ip.hpp"
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

// From a checker's resolved settings (connect_ip/connect_port default to the real server).
TcpTarget tcp_target(const conf::CheckCommon& check);

class TcpProber {
 public:
  explicit TcpProber(boost::asio::io_context& io) : io_(io) {}
  ~TcpProber();
  TcpProber(const TcpProber&) = delete;
  TcpProber& operator=(const TcpProber&) = delete;

  // `done` runs once, on the loop, by `deadline` at the latest (then with "timeout").
  std::uint64_t start(const TcpTarget& target, TimePoint deadline, ProbeDone done);
  void cancel(std::uint64_t token);
  std::size_t in_flight() const { return probes_.size(); }

 private:
  struct Probe;
  void finish(std::uint64_t token, ProbeOutcome outcome);

  boost::asio::io_context& io_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Probe>> probes_;
  std::uint64_t next_token_{1};
};

}  // namespace vigil::checkers::io
