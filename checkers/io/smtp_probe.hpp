// SMTP_CHECK: for every host (the checker's own connect_ip:connect_port, or each `host`
// block instead, as keepalived), connect, read the greeting (220), send HELO helo_name,
// read 250, send QUIT and read the answer. Multi-line replies ("220-...", "220 ...") are
// read to their last line. Hosts are checked in parallel under the one deadline; the probe
// passes when every host does.
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

// keepalived's default HELO name.
inline constexpr const char* kDefaultHeloName = "smtpchecker.keepalived.org";

struct SmtpTarget {
  std::vector<TcpTarget> hosts;
  std::string helo_name{kDefaultHeloName};
};

// Host blocks take the checker's settings where they give none.
SmtpTarget smtp_target(const conf::SmtpCheck& check);

class SmtpProber {
 public:
  explicit SmtpProber(boost::asio::io_context& io) : io_(io) {}
  ~SmtpProber();
  SmtpProber(const SmtpProber&) = delete;
  SmtpProber& operator=(const SmtpProber&) = delete;

  // `done` runs once, on the loop, by `deadline` at the latest (then with "timeout").
  std::uint64_t start(const SmtpTarget& target, TimePoint deadline, ProbeDone done);
  void cancel(std::uint64_t token);
  std::size_t in_flight() const { return probes_.size(); }

  struct Session;  // one host's conversation (smtp_probe.cpp)

 private:
  struct Probe;
  void finish(std::uint64_t token, ProbeOutcome outcome);
  void host_done(std::uint64_t token, const std::string& error);

  boost::asio::io_context& io_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Probe>> probes_;
  std::uint64_t next_token_{1};
};

}  // namespace vigil::checkers::io
