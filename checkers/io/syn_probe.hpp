// TCP_CHECK's half-open ("SYN") probe: a SYN from a raw socket; a SYN-ACK answering it
// (ack = ISS + 1) passes, a RST answering it fails ("connect: Connection refused"), and
// silence fails at the deadline ("timeout").
//
// Why it is the same check as keepalived's connect(): connect() succeeds exactly when the
// SYN-ACK arrives (RFC 9293 §3.10.7.3, SYN-SENT), and fails on the RST or the ICMP error
// that would fail it here; a full accept queue drops the SYN in both cases, so both time
// out. What differs is after the SYN-ACK: the director's kernel has no socket for it (the
// source port is only bound, not listening or connected) and answers it with a RST, so the
// server's half-open entry goes at once and its application never sees a connection
// accepted and then reset. For the director it is two packets and no socket per check.
//
// - One raw IPPROTO_TCP socket per family, registered with the loop once and drained in
//   batches (recvmmsg); a classic BPF filter lets through only SYN-ACKs and RSTs to the
//   reserved source ports. IPv6's checksum is the kernel's (IPV6_CHECKSUM); IPv4's is
//   ours, over the source the route gives (a UDP socket's connect() + getsockname(),
//   remembered 10 s per destination; the source is then pinned by IP_PKTINFO, so the
//   checksum always matches what is sent, and a send refused because it is no longer
//   local looks the route up again).
// - Source ports: kPorts per family, reserved by TCP sockets bound to port 0 and kept open
//   (not listening): no other socket gets them and the kernel resets the SYN-ACKs they
//   receive. Two probes in flight never share (destination, port, source port); when all
//   are taken for one destination, the probe is declined (the caller connect()s).
// - A random ISS per probe; the SYN is sent again, unchanged, 1 s, 3 s, 7 s ... after the
//   first while the deadline allows (connect()'s schedule).
// - `bindto` pins the source (IP_PKTINFO / IPV6_PKTINFO), `bind_if` the interface (the
//   same cmsg's ifindex). `fwmark` and `bind_port` are not done here (the caller keeps
//   connect() for them).
// - ICMP errors (IP_RECVERR / IPV6_RECVERR) quoting one of our SYNs fail the probe at once,
//   with connect()'s reason ("connect: No route to host").
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "base/urgent.hpp"
#include "checkers/io/prober.hpp"
#include "checkers/io/tcp_probe.hpp"

namespace vigil::checkers::io {

class SynProber {
 public:
  static constexpr std::size_t kPorts = 8;

  // Opens the raw socket and reserves the ports of each family. An error names why neither
  // family can be used ("raw socket: Operation not permitted" without CAP_NET_RAW).
  static Result<std::unique_ptr<SynProber>, std::string> open(boost::asio::io_context& io);
  ~SynProber();
  SynProber(const SynProber&) = delete;
  SynProber& operator=(const SynProber&) = delete;

  // Why a family cannot be used ("" when it can).
  const std::string& unavailable(Family f) const;
  // Whether `t` is probed here: its family is open, no fwmark and no bind_port.
  bool eligible(const TcpTarget& t) const;

  enum class Started : std::uint8_t {
    probing,   // `done` was taken and will run on the loop, once, by the deadline
    failed,    // failed at once (`failure` says why); `done` was not taken
    declined,  // every source port is busy for this destination: use connect()
  };
  Started start(std::uint64_t token, const TcpTarget& t, TimePoint deadline, ProbeDone& done,
                ProbeOutcome& failure);
  void cancel(std::uint64_t token);
  std::size_t in_flight() const;
  void set_urgent(Urgent* urgent);

 private:
  struct Impl;
  explicit SynProber(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::checkers::io
