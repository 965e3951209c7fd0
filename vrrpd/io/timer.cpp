#include "vrrpd/io/timer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <optional>

#include "base/urgent.hpp"

namespace vigil::vrrp::io {
namespace {
struct State;
}

struct AsioTimerService::Urgents {
  std::multimap<TimePoint, State*> by_deadline;
};

namespace {

using SteadyPoint = std::chrono::steady_clock::time_point;

// A spin-wait's pause: lets the sibling hyperthread (or the hypervisor) have the core.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

SteadyPoint steady(TimePoint at) {
  return SteadyPoint(std::chrono::duration_cast<std::chrono::steady_clock::duration>(at.time_since_epoch()));
}

// A deadline that only moves later (a Backup's Master_Down_Timer on every advert) does not
// touch the Asio timer: the wait already pending fires first and waits again for the rest.
// Only an earlier deadline cancels and re-waits. Saves a cancel, a completion and a timerfd
// update per received advert.
//
// A deadline more than 20 ms away is waited for in two steps: first to the whole millisecond
// before it, then exactly. Timers whose deadlines keep moving then wake the loop together at
// the same millisecond, not one by one; one that does come due still fires at its exact time.
// (The instances' protocol timers share one Timer through DeadlineTable.)
constexpr auto kCoarseBeyond = std::chrono::milliseconds{20};

SteadyPoint wait_target(TimePoint deadline) {
  const auto now = std::chrono::steady_clock::now();
  const SteadyPoint exact = steady(deadline);
  if (exact - now <= kCoarseBeyond) return exact;
  return std::chrono::floor<std::chrono::milliseconds>(exact);
}
using Urgents = AsioTimerService::Urgents;

struct State {
  State(boost::asio::io_context& io, Urgents* u) : timer(io), urgents(u) {}
  boost::asio::steady_timer timer;
  std::function<void()> fire;
  std::optional<TimePoint> deadline;  // as armed; empty when cancelled or fired
  std::optional<SteadyPoint> waiting;  // the expiry of the pending Asio wait
  std::uint64_t generation{0};         // of the pending Asio wait
  Urgents* urgents;                    // an urgent timer's index, else null
  std::optional<std::multimap<TimePoint, State*>::iterator> entry;  // its place there

  void set_deadline(std::optional<TimePoint> at) {
    deadline = at;
    if (!urgents) return;
    if (entry) urgents->by_deadline.erase(*entry);
    entry.reset();
    if (at) entry = urgents->by_deadline.emplace(*at, this);
  }
  // Clears the deadline and hands out the callback, to be called (it may re-arm).
  std::function<void()> take() {
    set_deadline(std::nullopt);
    auto f = std::move(fire);
    fire = nullptr;
    return f;
  }
};

class AsioTimer final : public Timer {
 public:
  AsioTimer(boost::asio::io_context& io, Urgents* urgents) : state_(std::make_shared<State>(io, urgents)) {}
  ~AsioTimer() override { cancel(); }

  void arm(TimePoint at, std::function<void()> fire) override {
    auto& s = *state_;
    s.fire = std::move(fire);
    s.set_deadline(at);
    if (s.waiting && *s.waiting <= steady(at)) return;
    wait(state_, wait_target(at));
  }

  // The pending wait (if any) is left to complete: it finds no deadline and does nothing.
  void cancel() override {
    state_->set_deadline(std::nullopt);
    state_->fire = nullptr;
  }

 private:
  // Re-waiting replaces the pending wait: its completion (even one already queued with
  // success) carries an old generation and is ignored. The weak pointer covers a completion
  // that runs after the Timer is gone.
  static void wait(const std::shared_ptr<State>& state, SteadyPoint at) {
    auto& s = *state;
    const auto generation = ++s.generation;
    s.waiting = at;
    s.timer.expires_at(at);
    s.timer.async_wait([weak = std::weak_ptr<State>(state), generation](const boost::system::error_code& ec) {
      auto st = weak.lock();
      if (!st || st->generation != generation) return;
      st->waiting.reset();
      if (ec || !st->deadline) return;
      if (std::chrono::steady_clock::now() < steady(*st->deadline)) return wait(st, wait_target(*st->deadline));
      if (auto fire = st->take()) fire();
    });
  }

  std::shared_ptr<State> state_;
};

}  // namespace

AsioTimerService::AsioTimerService(boost::asio::io_context& io, const Clock& clock)
    : io_(io), clock_(clock), urgents_(std::make_unique<Urgents>()) {}
AsioTimerService::~AsioTimerService() = default;

std::unique_ptr<Timer> AsioTimerService::make_timer() { return std::make_unique<AsioTimer>(io_, nullptr); }
std::unique_ptr<Timer> AsioTimerService::make_urgent_timer() {
  return std::make_unique<AsioTimer>(io_, urgents_.get());
}

bool AsioTimerService::run_overdue() {
  auto& index = urgents_->by_deadline;
  if (index.empty()) return false;
  const TimePoint now = clock_.now();
  bool fired = false;
  // At most one firing per timer: one that re-arms for now runs again from the loop.
  for (std::size_t n = index.size(); n > 0 && !index.empty() && index.begin()->first <= now; --n) {
    State* st = index.begin()->second;
    fired = true;
    if (auto fire = st->take()) fire();
  }
  return fired;
}

// The urgent lane is polled between pauses and once more at `at` (a thread preempted across
// `at` still runs the urgent timers that came due meanwhile first), the stop predicate (a
// poll() of the sockets) about every 50 us and once more at `at`: input that came during the
// spin is read before the deadline fires, as the loop would have. Bounded in real time too
// (lead + 5 ms), for a clock that does not move: then it ends as if stopped.
TimerService::Spin AsioTimerService::spin_until(TimePoint at, const std::function<bool()>& stop) {
  constexpr auto kStopEvery = std::chrono::microseconds{50};
  const auto give_up = std::chrono::steady_clock::now() + spin_lead_ + std::chrono::milliseconds{5};
  TimePoint next_stop_check = clock_.now();
  const auto run_urgent = [this] {
    if (lane_) lane_->poll();
    else run_overdue();
  };
  for (;;) {
    const TimePoint t = clock_.now();
    if (t >= at) {
      // Preempted across the deadline, urgent timers that came due meanwhile may not have
      // run yet: they go first, as they would have without the preemption.
      run_urgent();
      return {clock_.now(), !(stop && stop())};
    }
    if (std::chrono::steady_clock::now() > give_up) return {t, false};
    if (stop && t >= next_stop_check) {
      if (stop()) return {clock_.now(), false};
      next_stop_check = t + kStopEvery;
    }
    run_urgent();
    for (int i = 0; i < 64; ++i) cpu_relax();
  }
}

}  // namespace vigil::vrrp::io
