// UDP_CHECK: one datagram (`payload`, hex; keepalived sends a random one when none is given)
// on a socket connected to connect_ip:connect_port. An ICMP error (port unreachable arrives
// as ECONNREFUSED on a connected socket; host/net unreachable likewise) fails at once.
// With require_reply a reply must arrive by the deadline, its length within
// [min_reply_length, max_reply_length] (default 0..255); without it, a reply passes at once
// and silence until the deadline passes too (keepalived).
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

struct UdpTarget {
  TcpTarget server;
  std::vector<std::uint8_t> payload;
  bool require_reply{false};
  std::size_t min_reply_length{0};
  std::size_t max_reply_length{255};
};

UdpTarget udp_target(const conf::UdpCheck& check);

// keepalived's free-format hex: "Ab12f 3 456" is AB 12 0F 03 45 06; whitespace separates
// groups, a group of odd length has its last digit alone. nullopt on a non-hex character.
std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view text);

class UdpProber {
 public:
  explicit UdpProber(boost::asio::io_context& io);
  ~UdpProber();
  UdpProber(const UdpProber&) = delete;
  UdpProber& operator=(const UdpProber&) = delete;

  std::uint64_t start(const UdpTarget& target, TimePoint deadline, ProbeDone done);
  void cancel(std::uint64_t token);
  std::size_t in_flight() const { return probes_.size(); }

 private:
  struct Probe;
  void finish(std::uint64_t token, ProbeOutcome outcome);

  boost::asio::io_context& io_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Probe>> probes_;
  std::uint64_t next_token_{1};
  std::uint64_t seed_;
};

}  // namespace vigil::checkers::io
