// The probes as a port: the driver asks for one probe of one configured checker and hears
// back once. AsioProber (below) runs the real ones on the loop; tests may fake it.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.hpp"
#include "conf/model.hpp"

namespace boost::asio {
class io_context;
}

namespace vigil::checkers::io {

class Log;

struct ProbeOutcome {
  bool ok{};
  std::optional<long long> weight;  // MISC_CHECK with misc_dynamic
  std::string reason;               // why it failed (or "" when it passed), for the log
};
using ProbeDone = std::function<void(ProbeOutcome)>;

class Prober {
 public:
  virtual ~Prober() = default;
  // Starts one probe of `check`. `done` runs exactly once, on the loop, never from inside
  // start(), and by `deadline` (a probe still running then has failed) -- unless cancel()
  // came first, after which it never runs. Returns a token for cancel().
  virtual std::uint64_t start(const conf::CheckBase& check, TimePoint deadline, ProbeDone done) = 0;
  virtual void cancel(std::uint64_t token) = 0;
};

// TCP_CHECK, MISC_CHECK, HTTP_GET and SSL_GET on one io_context.
// Kinds without a probe yet (SMTP, DNS, UDP, PING) pass, with a warning logged once each:
// removing every server because vigil lacks a probe would be the worse failure.
class AsioProber final : public Prober {
 public:
  AsioProber(boost::asio::io_context& io, Log& log);
  ~AsioProber() override;
  AsioProber(const AsioProber&) = delete;
  AsioProber& operator=(const AsioProber&) = delete;

  std::uint64_t start(const conf::CheckBase& check, TimePoint deadline, ProbeDone done) override;
  void cancel(std::uint64_t token) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::checkers::io
