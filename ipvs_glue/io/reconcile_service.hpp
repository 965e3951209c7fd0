// ReconcileService: keeps the kernel's IPVS table equal to what vigil wants, on the Asio loop,
// through an AsyncIpvsPort (never blocking the loop).
//  - set_desired(): the table vigil wants changed (a checker took a server out, a reload).
//    Planned against the cached kernel view, with no dump: a one-destination weight change
//    is exactly one netlink request.
//  - Drift repair, every `interval` (default 60 s; keepalived has no such setting, 0 turns it
//    off) and on demand (repair_now()): dump, plan, apply only the difference, and log ONE
//    line naming what changed: "ipvs drift repaired: 3 changes: add service TCP ...; ...".
//    Services vigil does not own are left alone, and reported when that set changes.
//  - The cache is the last dump with our successful writes applied to it. Any failure (an
//    operation refused, a timeout, ENOBUFS: state unknown) drops it, and the next run dumps;
//    a run that failed is retried as a repair after retry_after (1 s, doubling, bounded);
//    a race (EEXIST, ENOENT, ESRCH) is re-dumped and re-planned at once, up to max_rounds.
//  - One run at a time; requests that arrive meanwhile are merged into one follow-up run.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "ipvs_glue/io/async_port.hpp"
#include "ipvs_glue/io/reconcile.hpp"

namespace vigil::ipvs {

enum class Severity : std::uint8_t { error, warning, notice, info, debug };
using LogFn = std::function<void(Severity, std::string)>;

struct ReconcileServiceOptions {
  std::chrono::milliseconds interval{std::chrono::seconds(60)};  // periodic repair; 0 = off
  int max_rounds{3};  // dump-plan-apply rounds per run when the table races under us
  // After a run that failed on I/O (timeout, ENOBUFS, IPVS gone): a repair (with a dump) this long after,
  // doubling on each failure up to `interval` (or 60 s), back to this after a success.
  std::chrono::milliseconds retry_after{std::chrono::seconds(1)};
};

// What one run did (for tests and the CLI's log).
struct RunReport {
  bool dumped{};        // planned against a fresh dump (repair) rather than the cache
  std::size_t ops{};    // operations applied
  std::uint64_t requests{};  // netlink requests of the run (reads and writes)
  std::string summary;  // the plan of the first round
  std::vector<ServiceKey> foreign;
  std::vector<OpFailure> failures;
  std::optional<IpvsError> error;  // the run ended on this (dump or apply failed)
  std::chrono::milliseconds took{};  // from the request to the end of the run
};

// Pure: `ops` done on `t` as the kernel does them (the cache follows our writes).
void apply_to(IpvsTable& t, std::span<const IpvsOp> ops);

class ReconcileService {
 public:
  ReconcileService(boost::asio::io_context& io, AsyncIpvsPort& port, LogFn log,
                   ReconcileServiceOptions options = {});
  ~ReconcileService();
  ReconcileService(const ReconcileService&) = delete;
  ReconcileService& operator=(const ReconcileService&) = delete;

  // The first run (a dump: vigil adopts what matches) and the periodic timer.
  void start(IpvsTable desired, std::set<ServiceKey> owned);
  // What vigil wants now; applied against the cache (no dump when there is one).
  void set_desired(IpvsTable desired);
  // Dump and repair now (e.g. the operator asked).
  void repair_now();
  void stop();

  // Called after every run, on the loop.
  void on_run(std::function<void(const RunReport&)> f) { on_run_ = std::move(f); }
  bool running() const { return running_; }
  bool has_cache() const { return cache_.has_value(); }
  std::uint64_t runs() const { return runs_; }

 private:
  void request(bool dump);
  void run();
  void round(IpvsTable current);
  void done(RunReport r);
  void arm_periodic();
  void arm_retry();

  boost::asio::io_context& io_;
  AsyncIpvsPort& port_;
  LogFn log_;
  ReconcileServiceOptions options_;
  boost::asio::steady_timer periodic_;
  boost::asio::steady_timer retry_;
  std::chrono::milliseconds backoff_{};
  IpvsTable desired_;
  std::set<ServiceKey> owned_;
  std::optional<IpvsTable> cache_;
  std::vector<ServiceKey> foreign_;  // last reported
  bool started_{false}, running_{false}, again_{false}, again_dump_{false}, dump_{false};
  int round_{0};
  std::uint64_t runs_{0}, requests_at_start_{0};
  std::chrono::steady_clock::time_point started_at_;
  std::vector<IpvsOp> last_ops_;
  RunReport report_;
  std::function<void(const RunReport&)> on_run_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vigil::ipvs
