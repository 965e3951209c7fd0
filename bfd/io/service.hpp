// The BFD sessions of a configuration on the loop (keepalived's BFD process, in-process):
// RFC 5881 single-hop, asynchronous mode, IPv4 and IPv6.
//  - One receive socket per family on UDP 3784 (IP_RECVTTL / IPV6_RECVHOPLIMIT): packets are
//    decoded, checked for TTL 255 (GTSM, RFC 5881 §5; `max_hops` relaxes it as keepalived
//    does), and demultiplexed by Your Discriminator, or by the peer's address while it is
//    zero (§6.8.6 of RFC 5880). Reads are bounded per wake-up.
//  - One send socket per session, bound to its source address and a port in 49152..65535,
//    connected to the peer, TTL/hop limit 255 unless configured; sends never block.
//  - Two Asio timers per session (transmit, detection); the pure Session decides.
// State changes are logged at INFO ("(B1) Entering Up state") and handed to the observer
// (VRRP's track_bfd, the checkers' BFD_CHECK). Not thread-safe: it lives on the loop.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "base/clock.hpp"
#include "base/ip.hpp"
#include "base/result.hpp"
#include "bfd/proto/session.hpp"

namespace vigil::bfd::io {

struct SessionSpec {
  std::string name;
  IpAddress neighbor;
  std::optional<IpAddress> source;
  SessionConfig timing;  // its local_discriminator and seed are chosen by the service
  int ttl{255};          // TTL / hop limit of our packets
  int max_hops{0};       // received TTL must be >= 255 - max_hops; 255 disables the check
};

enum class Level : std::uint8_t { error, warning, notice, info, debug };
using LogFn = std::function<void(Level, const std::string&)>;
using OnState = std::function<void(const std::string& name, State from, State to, Diag diag)>;

struct RxCounters {
  std::uint64_t received{}, no_session{}, bad_ttl{}, zero_your_discriminator{}, send_errors{};
  std::array<std::uint64_t, static_cast<std::size_t>(DecodeError::count_)> decode{};
  std::array<std::uint64_t, static_cast<std::size_t>(Discard::count_)> discarded{};
};

class Service {
 public:
  Service(boost::asio::io_context& io, const Clock& clock, LogFn log, OnState on_state);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Opens the sockets and starts every session. An error (no session can run: the port is
  // taken, no permission) is returned; a session whose own socket fails is logged and skipped.
  Result<void, std::string> start(std::vector<SessionSpec> sessions);
  // Every session sends AdminDown once; sockets and timers close.
  void stop();

  std::optional<State> state(const std::string& name) const;
  const RxCounters& counters() const;
  void dump();  // one log line per session

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::bfd::io
