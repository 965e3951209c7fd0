// A fake driver for the health-check core on a manual clock: keeps the armed timers and
// the probes in flight, answers each probe with what the test's `respond` says (after its
// latency, or a failure at the deadline when the latency passes it), and logs every action
// with the time it was produced.
#pragma once
#include <functional>
#include <map>
#include <ostream>
#include <optional>
#include <vector>

#include "base/clock.hpp"
#include "checkers/core/health_core.hpp"

namespace vigil::checkers {
inline TimePoint testing_t0() { return TimePoint{} + std::chrono::seconds(1000); }
// gtest printers: readable failures.
inline void PrintTo(const Action& a, std::ostream* os) { *os << to_string(a); }
inline void PrintTo(const SetRealServer& a, std::ostream* os) { *os << to_string(Action{a}); }
inline void PrintTo(const ArmTimer& a, std::ostream* os) { *os << to_string(Action{a}); }
inline void PrintTo(const StartProbe& a, std::ostream* os) { *os << to_string(Action{a}); }
inline void PrintTo(const SwapSorry& a, std::ostream* os) { *os << to_string(Action{a}); }
inline void PrintTo(const Notify& a, std::ostream* os) { *os << to_string(Action{a}); }
}  // namespace vigil::checkers

namespace vigil::checkers::testing {

using namespace std::chrono_literals;

inline const TimePoint t0 = testing_t0();

struct Response {
  bool ok{true};
  std::optional<long long> weight;
  Duration latency{};
};

struct Logged {
  TimePoint at;
  Action action;
};

template <class T>
std::vector<T> only(const Actions& actions) {
  std::vector<T> out;
  for (const auto& a : actions)
    if (const T* t = std::get_if<T>(&a)) out.push_back(*t);
  return out;
}

template <class T>
std::vector<std::pair<TimePoint, T>> only(const std::vector<Logged>& log) {
  std::vector<std::pair<TimePoint, T>> out;
  for (const auto& l : log)
    if (const T* t = std::get_if<T>(&l.action)) out.emplace_back(l.at, *t);
  return out;
}

inline RandomSource fixed_random(std::vector<std::uint64_t> values) {
  return [values = std::move(values), i = std::size_t{0}]() mutable {
    return values.empty() ? 0 : values[i++ % values.size()];
  };
}

class Sim {
 public:
  explicit Sim(std::vector<VsPolicy> policy, RandomSource random = fixed_random({}))
      : core(std::move(policy), std::move(random)), clock(t0) {}

  void start() { record(core.start(clock.now())); }
  void stop() { record(core.stop(clock.now())); }

  // Processes timers and probe completions in time order up to and including `end`.
  void run_until(TimePoint end) {
    for (;;) {
      std::optional<TimePoint> next;
      for (const auto& [k, at] : timers_)
        if (!next || at < *next) next = at;
      for (const auto& [k, p] : flying_)
        if (!next || p.at < *next) next = p.at;
      if (!next || *next > end) break;
      clock.set(*next);
      // Completions first: a probe that ends when a timer fires is already known.
      for (auto it = flying_.begin(); it != flying_.end();) {
        if (it->second.at == *next) {
          const ProbeResult r = it->second.result;
          it = flying_.erase(it);
          record(core.step(r, clock.now()));
        } else {
          ++it;
        }
      }
      for (auto it = timers_.begin(); it != timers_.end();) {
        if (it->second == *next) {
          const CheckerKey k = it->first;
          it = timers_.erase(it);
          record(core.step(TimerFired{k}, clock.now()));
        } else {
          ++it;
        }
      }
    }
    clock.set(end);
  }
  void run_for(Duration d) { run_until(clock.now() + d); }

  // What the fake servers answer; default: every probe passes at once.
  std::function<Response(CheckerKey, TimePoint)> respond = [](CheckerKey, TimePoint) { return Response{}; };

  HealthCore core;
  ManualClock clock;
  std::vector<Logged> log;
  std::vector<StartProbe> probes;  // every probe started

 private:
  struct Flying {
    TimePoint at;
    ProbeResult result;
  };
  void record(const Actions& actions) {
    for (const auto& a : actions) {
      log.push_back({clock.now(), a});
      if (const auto* t = std::get_if<ArmTimer>(&a)) timers_[t->checker] = t->at;
      if (const auto* p = std::get_if<StartProbe>(&a)) {
        probes.push_back(*p);
        const Response r = respond(p->checker, clock.now());
        const TimePoint done = clock.now() + r.latency;
        if (done >= p->deadline)
          flying_[p->checker] = {p->deadline, ProbeResult{p->checker, p->probe, false, std::nullopt}};
        else
          flying_[p->checker] = {done, ProbeResult{p->checker, p->probe, r.ok, r.weight}};
      }
    }
  }
  std::map<CheckerKey, TimePoint> timers_;
  std::map<CheckerKey, Flying> flying_;
};

// Builders.
inline CheckerPolicy tcp(Duration delay_loop = 10s, int retry = 1, Duration delay_before_retry = 1s,
                         Duration timeout = 3s) {
  CheckerPolicy c;
  c.kind = conf::CheckerKind::tcp;
  c.delay_loop = delay_loop;
  c.retry = retry;
  c.delay_before_retry = delay_before_retry;
  c.timeout = timeout;
  c.warmup = 0s;  // first probe at start unless a test says otherwise
  return c;
}

inline RsPolicy server(std::vector<CheckerPolicy> checkers, long long weight = 1) {
  RsPolicy r;
  r.weight = weight;
  r.checkers = std::move(checkers);
  return r;
}

inline VsPolicy vs(std::vector<RsPolicy> servers, long long quorum = 1, long long hysteresis = 0,
                   bool sorry = false) {
  VsPolicy v;
  v.quorum = quorum;
  v.hysteresis = hysteresis;
  v.has_sorry_server = sorry;
  v.servers = std::move(servers);
  return v;
}

}  // namespace vigil::checkers::testing
