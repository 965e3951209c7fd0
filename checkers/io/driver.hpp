// The checkers' driver: connects the HealthCore's actions to probes and timers on one
// io_context, and hands the desired real-server states and notifications to the daemon.
// Nothing here blocks: probes are asynchronous, scripts are spawned and reaped by fd.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/urgent.hpp"
#include "checkers/core/health_core.hpp"
#include "checkers/io/file_watch.hpp"
#include "checkers/io/log.hpp"
#include "checkers/io/prober.hpp"
#include "checkers/io/ticker.hpp"
#include "conf/model.hpp"

namespace boost::asio {
class io_context;
}

namespace vigil::checkers::io {

class CheckerDriver {
 public:
  // Timer resolution: probes start up to a tick after their due time. A tick is a fiftieth
  // of the shortest delay_loop or delay_before_retry configured, between kMinTick and
  // kMaxTick: 20 ms for checks every second or slower. Each tick costs a wake-up of the
  // loop, and wake-ups come dear on a VM: 10,000 TCP checks/s took 25.3 % of a core with
  // 4 ms ticks, 23.4-24.3 with 8, 22.1 with 16, 21.7 with 20, 21.2-21.7 with 32 and 21.0
  // with 64 (A/B runs here).
  static constexpr Duration kMaxTick = std::chrono::milliseconds(20);
  static constexpr Duration kMinTick = std::chrono::milliseconds(1);
  // Checker timers handled per loop turn; the rest in a handler posted behind what is
  // already queued (a VRRP advert due meanwhile goes first).
  static constexpr std::size_t kMaxPerTurn = 16;

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
  // Polled between the probes a tick starts (base/urgent.hpp); none when null.
  void set_urgent(Urgent* urgent) { urgent_ = urgent; }

  const HealthCore& core() const { return core_; }
  Duration tick() const { return tick_; }
  // "[10.0.0.1]:80", "FWM 7", "group web" / "[10.0.0.2]:8080": keepalived's way of naming.
  std::string vs_name(std::uint32_t vs) const;
  std::string rs_name(RsKey rs) const;

 private:
  struct Slot {
    CheckerKey key;
    const conf::CheckBase* check;        // its configuration (config_ outlives the driver)
    std::optional<TimePoint> due;        // the tick its timer is armed for
    std::optional<std::uint64_t> token;  // the Prober's, while a probe runs
  };
  using Due = std::pair<TimePoint, std::uint32_t>;  // (tick, slot index)
  // `why()` says what led to the actions, for the lines they log: built only when one does
  // (a probe that passes, as nearly all do, changes nothing and logs nothing).
  template <class Why>
  void apply(const Actions& actions, const Why& why);
  void arm(const ArmTimer& t);
  void arm_wheel();
  void on_tick();
  void probe(const StartProbe& p);
  void on_done(CheckerKey k, std::uint64_t probe, ProbeOutcome outcome);
  template <class Why>
  void step(const Input& in, const Why& why);
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
  Duration tick_;  // see kMaxTick
  Actions actions_;  // what core_.step() returns, reused
  // One slot per configured checker, by flat index (base_[vs][rs] + checker).
  std::vector<std::vector<std::uint32_t>> base_;
  std::vector<Slot> slots_;
  // Checker timers, coalesced: due times are rounded up to kTick and kept in a min-heap;
  // one Ticker wakes the loop at the earliest. 10,000 checkers at delay_loop 1 s wake the
  // loop ~50 times a second instead of 10,000, and the Ticker's timerfd, periodic while
  // ticks come back to back, is not re-armed for each. An entry whose tick is no longer its
  // slot's `due` is stale (re-armed since) and skipped.
  std::priority_queue<Due, std::vector<Due>, std::greater<>> wheel_;
  std::unique_ptr<Ticker> ticker_;
  bool ticking_{false};
  bool continuing_{false};  // on_tick() posted to go on with what is due
  std::unique_ptr<FileWatcher> files_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool stopped_{false};
  Urgent* urgent_{nullptr};
};

}  // namespace vigil::checkers::io
