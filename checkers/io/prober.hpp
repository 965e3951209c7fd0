// The probes as a port: the driver asks for one probe of one configured checker and hears
// back once. AsioProber (below) runs the real ones on the loop; tests may fake it.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.hpp"
#include "base/urgent.hpp"
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

struct TlsSettings;
enum class TcpCheckMode : std::uint8_t;

// TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, SMTP_CHECK, DNS_CHECK, UDP_CHECK and PING_CHECK
// on one io_context. FILE_CHECK and BFD_CHECK are passive (never probed: their watchers
// report levels to the driver); asked to probe one anyway, it passes, with a warning.
class AsioProber final : public Prober {
 public:
  AsioProber(boost::asio::io_context& io, Log& log);
  ~AsioProber() override;
  AsioProber(const AsioProber&) = delete;
  AsioProber& operator=(const AsioProber&) = delete;

  std::uint64_t start(const conf::CheckBase& check, TimePoint deadline, ProbeDone done) override;
  void cancel(std::uint64_t token) override;
  // SSL_GET's client settings: the global SSL block (http_probe.hpp's tls_settings()).
  void set_tls(const TlsSettings& tls);
  // global_defs script_user [group]: who runs a MISC_CHECK without a `user` of its own
  // (vigil's own user when empty).
  void set_script_user(std::string user, std::string group);
  // Polled between the items of the TCP and HTTP probes' bursts (base/urgent.hpp).
  void set_urgent(Urgent* urgent);
  // TCP_CHECK by half-open probes (syn) or connect() (the default here; the daemon's
  // default is syn). Logs what it could not do: without CAP_NET_RAW (or for a family whose
  // raw socket fails) connect() is used.
  void set_tcp_mode(TcpCheckMode mode);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::checkers::io
