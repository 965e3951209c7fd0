// PING_CHECK: one ICMP (IPv4) or ICMPv6 echo request to connect_ip; passes on the matching
// echo reply by the deadline. Uses an unprivileged ping socket (SOCK_DGRAM, IPPROTO_ICMP /
// IPPROTO_ICMPV6) where net.ipv4.ping_group_range admits the daemon's group, else a raw
// socket (needs CAP_NET_RAW). The kernel demultiplexes ping sockets' replies by socket; a
// raw socket sees every ICMP packet and keeps only echo replies with its id and sequence.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "checkers/io/prober.hpp"
#include "checkers/io/tcp_probe.hpp"
#include "conf/model.hpp"

namespace vigil::checkers::io {

struct PingTarget {
  TcpTarget host;  // the port is unused
};

PingTarget ping_target(const conf::PingCheck& check);

// The RFC 1071 Internet checksum.
std::uint16_t inet_checksum(const std::uint8_t* data, std::size_t len);

class PingProber {
 public:
  enum class Mode : std::uint8_t { automatic, dgram, raw };
  // `mode`: automatic tries the ping socket first and remembers, per family, what worked.
  explicit PingProber(boost::asio::io_context& io, Mode mode = Mode::automatic);
  ~PingProber();
  PingProber(const PingProber&) = delete;
  PingProber& operator=(const PingProber&) = delete;

  std::uint64_t start(const PingTarget& target, TimePoint deadline, ProbeDone done);
  void cancel(std::uint64_t token);
  std::size_t in_flight() const { return probes_.size(); }
  // What the last socket of that family was: for tests and the log.
  std::optional<Mode> used(bool v6) const { return used_[v6]; }

 private:
  struct Probe;
  void receive(std::uint64_t token, const std::shared_ptr<Probe>& p);
  void finish(std::uint64_t token, ProbeOutcome outcome);

  boost::asio::io_context& io_;
  Mode mode_;
  std::optional<Mode> used_[2];
  std::unordered_map<std::uint64_t, std::shared_ptr<Probe>> probes_;
  std::uint64_t next_token_{1};
  std::uint16_t next_seq_;
};

}  // namespace vigil::checkers::io
