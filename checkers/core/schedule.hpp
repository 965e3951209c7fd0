// One checker's probe cadence and verdict: keepalived's delay_loop / retry /
// delay_before_retry / alpha logic for a single TCP_CHECK, HTTP_GET, MISC_CHECK, ...
// Pure: times come in as arguments, actions go out as values.
#pragma once
#include <cstdint>
#include <optional>

#include "base/clock.hpp"
#include "checkers/core/policy.hpp"

namespace vigil::checkers {

// Where a checker's first probe falls, after start-up:
// - evenly spread: floor(window * index / count), its position among `count` checkers, so N
//   checks sharing one delay_loop do not start in a burst (and keep those phases, since
//   later probes are paced from each probe's start);
// - warmup: a random delay in [0, warmup]; `random` is any 64-bit random value.
Duration spread_offset(std::size_t index, std::size_t count, Duration window);
Duration warmup_offset(Duration warmup, std::uint64_t random);

class CheckerSchedule {
 public:
  // alpha: the checker starts failed (its server DOWN) until a probe passes.
  // The first probe is not retried (keepalived: "one failure is enough initially"): a dead
  // server that starts in the table leaves it at its first probe.
  CheckerSchedule(const CheckerPolicy& policy, bool alpha)
      : policy_(&policy), up_(!alpha), retry_it_(policy.retry) {}

  bool up() const { return up_; }
  bool has_run() const { return has_run_; }
  bool in_flight() const { return in_flight_; }
  int retries_used() const { return retry_it_; }
  std::optional<TimePoint> timer() const { return timer_at_; }

  // The time to arm the timer for at start-up.
  TimePoint start(TimePoint now, Duration offset);

  struct Probe {
    std::uint64_t id{};
    TimePoint deadline{};
  };
  // The timer fired: the probe to start, or nothing if the expiry is early or stale.
  std::optional<Probe> on_timer(TimePoint now);

  struct Outcome {
    bool changed{false};       // up() flipped
    bool confirmed_down{false};  // first verdict, a failure, while already down (alpha)
    TimePoint next{};          // arm the timer for this time
  };
  // A probe's result; nothing when it is not the probe in flight.
  std::optional<Outcome> on_result(std::uint64_t probe, bool ok, TimePoint now);

  // FILE_CHECK / BFD_CHECK: the watcher's level; true when up() flipped.
  bool set_level(bool ok);

  // Shutdown: no more probes; results and expiries are ignored from now on.
  void stop();

 private:
  const CheckerPolicy* policy_;
  bool up_;
  bool has_run_{false};
  bool in_flight_{false};
  bool stopped_{false};
  int retry_it_;
  std::uint64_t probe_id_{0};
  TimePoint started_{};
  std::optional<TimePoint> timer_at_;
};

}  // namespace vigil::checkers
