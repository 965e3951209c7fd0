// DNS_CHECK: one UDP query of `type` for `name` (keepalived's defaults: SOA for ".") to
// connect_ip:connect_port (53 when no port is known). Passes on a reply with the query's id,
// the QR bit, RCODE NOERROR and the question echoed. Replies with another id are ignored
// (late answers to an earlier probe); an ICMP port unreachable (ECONNREFUSED on the
// connected socket) fails at once; silence fails at the deadline.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "checkers/io/prober.hpp"
#include "checkers/io/tcp_probe.hpp"
#include "conf/model.hpp"

namespace vigil::checkers::io {

struct DnsTarget {
  TcpTarget server;  // address, port and the socket options
  std::string name{"."};
  std::uint16_t type{6};  // SOA
};

DnsTarget dns_target(const conf::DnsCheck& check);

// The wire format (RFC 1035), pure, for tests.
namespace dns {
// "A" -> 1, ... "ANY" -> 255; nullopt for an unknown name.
std::optional<std::uint16_t> type_code(std::string_view name);
// A standard query with RD set, one question of class IN. Empty when the name is invalid
// (a label longer than 63 bytes, the whole longer than 255).
std::vector<std::uint8_t> query(std::uint16_t id, std::string_view name, std::uint16_t type);
enum class Verdict : std::uint8_t { ok, other_id, malformed, not_response, rcode, question };
// `rcode` is set when the verdict is Verdict::rcode.
Verdict check_reply(std::span<const std::uint8_t> reply, std::span<const std::uint8_t> query, int* rcode = nullptr);
std::string rcode_name(int rcode);  // "NXDOMAIN", "SERVFAIL", ..., "RCODE 12"
}  // namespace dns

class DnsProber {
 public:
  explicit DnsProber(boost::asio::io_context& io);
  ~DnsProber();
  DnsProber(const DnsProber&) = delete;
  DnsProber& operator=(const DnsProber&) = delete;

  std::uint64_t start(const DnsTarget& target, TimePoint deadline, ProbeDone done);
  void cancel(std::uint64_t token);
  std::size_t in_flight() const { return probes_.size(); }

 private:
  struct Probe;
  void receive(std::uint64_t token, const std::shared_ptr<Probe>& p);
  void finish(std::uint64_t token, ProbeOutcome outcome);

  boost::asio::io_context& io_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Probe>> probes_;
  std::uint64_t next_token_{1};
  std::uint64_t seed_;
};

}  // namespace vigil::checkers::io
