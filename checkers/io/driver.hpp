// The checkers' driver: connects the HealthCore's actions to probes and timers on one
// io_context, and hands the desired real-server states and notifications to the daemon.
// Nothing here blocks: probes are asynchronous, scripts are spawned and reaped by fd.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.hpp"
#include "checkers/core/health_core.hpp"
#include "checkers/io/file_watch.hpp"
#include "checkers/io/log.hpp"
#include "checkers/io/prober.hpp"
#include "conf/model.hpp"

namespace boost::asio {
class io_context;
}

namespace vigil::checkers::io {

class CheckerDriver {
 public:
  // SetRealServer, SwapSorry and Notify, in the order the core produced them. The daemon
  // applies the first two to IPVS (ipvs_glue) and runs the scripts / writes the FIFO.
  using EffectSink = std::function<void(const Action&)>;

  // `config` and `prober` must outlive the driver; `clock` must be the steady clock's time
  // line (SteadyClock), which Asio's timers use.
  CheckerDriver(boost::asio::io_context& io, const conf::Config& config, const Clock& clock, Prober& prober,
                Log& log, EffectSink sink, RandomSource random);
  ~CheckerDriver();
  CheckerDriver(const CheckerDriver&) = delete;
  CheckerDriver& operator=(const CheckerDriver&) = delete;

  // Emits the initial table, starts probing, and starts watching FILE_CHECK's files (their
  // levels are reported from inside start(), after the initial table).
  void start();
  // Cancels probes and timers; with omega, the shutdown notifications reach the sink.
  void stop();
  // FILE_CHECK / BFD_CHECK: their watchers report a level here.
  void report_level(CheckerKey checker, bool ok, std::optional<long long> weight = std::nullopt);

  const HealthCore& core() const { return core_; }
  // "[10.0.0.1]:80", "FWM 7", "group web" / "[10.0.0.2]:8080": keepalived's way of naming.
  std::string vs_name(std::uint32_t vs) const;
  std::string rs_name(RsKey rs) const;

 private:
  struct Slot;
  void apply(const Actions& actions, const std::string& why);
  void arm(const ArmTimer& t);
  void probe(const StartProbe& p);
  void on_done(CheckerKey k, std::uint64_t probe, ProbeOutcome outcome);
  void step(const Input& in, const std::string& why);
  void report_file(CheckerKey k, const FileLevel& level, const std::string& why);
  const conf::CheckBase& check(CheckerKey k) const;
  Slot& slot(CheckerKey k);

  boost::asio::io_context& io_;
  const conf::Config& config_;
  const Clock& clock_;
  Prober& prober_;
  Log& log_;
  EffectSink sink_;
  HealthCore core_;
  std::map<CheckerKey, std::unique_ptr<Slot>> slots_;
  std::unique_ptr<FileWatcher> files_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool stopped_{false};
};

}  // namespace vigil::checkers::io
