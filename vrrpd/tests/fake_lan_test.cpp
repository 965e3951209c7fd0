// A fake LAN of Routers: every SendAdvert is encoded, carried to the other nodes after a
// fixed latency, decoded and stepped in; timers fire in time order. The property under test
// is RFC 5798's purpose: whatever the start order, ties, crashes and handoffs, the LAN ends
// with exactly one Master, the best one when preemption is on, within the RFC's bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <tuple>

#include "vrrpd/proto/router.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp {
namespace {

using namespace std::chrono_literals;
using test::ip;

struct Packet {
  std::vector<std::byte> bytes;
  IpAddress src;
};
struct Boot {};  // (re)start the process: a fresh Router, then Startup

class FakeLan {
 public:
  FakeLan(Duration latency, TimePoint start) : latency_(latency), now_(start) {}

  std::size_t add(RouterConfig c) {
    nodes_.push_back(Node{std::move(c)});
    return nodes_.size() - 1;
  }
  void boot(std::size_t n, TimePoint at) { schedule(at, n, Boot{}); }
  void input(std::size_t n, TimePoint at, Input in) { schedule(at, n, std::move(in)); }
  // The process dies: no priority-0 advert, its timers and queued packets vanish with it.
  void crash(std::size_t n) {
    nodes_[n].up = false;
    nodes_[n].timers = {};
  }

  void run_until(TimePoint end) {
    for (int guard = 0; guard < 1'000'000; ++guard) {
      auto timer = next_timer();
      const bool queued = !queue_.empty() && queue_.top().at <= end;
      if (timer && std::get<0>(*timer) <= end &&
          (!queued || std::get<0>(*timer) <= queue_.top().at)) {
        fire(*timer);
      } else if (queued) {
        Event e = queue_.top();
        queue_.pop();
        now_ = e.at;
        dispatch(e);
      } else {
        now_ = end;
        return;
      }
    }
    FAIL() << "event storm: the LAN never went quiet";
  }

  TimePoint now() const { return now_; }
  const Router& router(std::size_t n) const { return *nodes_[n].router; }
  std::vector<std::size_t> masters() const {
    std::vector<std::size_t> out;
    for (std::size_t n = 0; n < nodes_.size(); ++n)
      if (nodes_[n].up && nodes_[n].router && nodes_[n].router->state() == State::master)
        out.push_back(n);
    return out;
  }
  // When node n last became Master.
  std::optional<TimePoint> became_master(std::size_t n) const {
    auto it = became_master_.find(n);
    return it == became_master_.end() ? std::nullopt : std::optional{it->second};
  }
  std::size_t transitions() const { return transitions_; }

 private:
  struct Node {
    RouterConfig config;
    std::optional<Router> router{};
    bool up{false};
    std::array<std::optional<TimePoint>, kTimerCount> timers{};
  };
  using Payload = std::variant<Input, Packet, Boot>;
  struct Event {
    TimePoint at;
    std::uint64_t seq;
    std::size_t node;
    Payload payload;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return std::tie(a.at, a.seq) > std::tie(b.at, b.seq);
    }
  };
  using Due = std::tuple<TimePoint, std::size_t, TimerId>;

  void schedule(TimePoint at, std::size_t n, Payload p) {
    queue_.push(Event{at, seq_++, n, std::move(p)});
  }

  std::optional<Due> next_timer() const {
    std::optional<Due> best;
    for (std::size_t n = 0; n < nodes_.size(); ++n)
      for (std::size_t t = 0; t < kTimerCount; ++t)
        if (auto d = nodes_[n].timers[t]; d && (!best || *d < std::get<0>(*best)))
          best = Due{*d, n, static_cast<TimerId>(t)};
    return best;
  }

  void fire(const Due& due) {
    const auto [at, n, t] = due;
    now_ = at;
    nodes_[n].timers[static_cast<std::size_t>(t)].reset();
    switch (t) {
      case TimerId::adver: return apply(n, AdverTimerExpired{});
      case TimerId::master_down: return apply(n, MasterDownTimerExpired{});
      case TimerId::preempt_delay: return apply(n, PreemptDelayExpired{});
    }
  }

  void dispatch(const Event& e) {
    Node& node = nodes_[e.node];
    if (std::holds_alternative<Boot>(e.payload)) {
      node.router.emplace(node.config);
      node.up = true;
      node.timers = {};
      return apply(e.node, Startup{});
    }
    if (!node.up) return;
    if (const auto* in = std::get_if<Input>(&e.payload)) return apply(e.node, *in);
    const auto& p = std::get<Packet>(e.payload);
    auto advert = decode_advert(p.bytes, {p.src, kGroup}, {.auth = node.config.auth});
    ASSERT_TRUE(advert) << to_string(advert.error());
    apply(e.node, AdvertReceived{*advert, p.src});
  }

  void apply(std::size_t n, const Input& in) {
    Node& node = nodes_[n];
    for (const Action& a : node.router->step(in, now_)) {
      if (const auto* arm = std::get_if<ArmTimer>(&a)) {
        node.timers[static_cast<std::size_t>(arm->timer)] = arm->at;
      } else if (const auto* cancel = std::get_if<CancelTimer>(&a)) {
        node.timers[static_cast<std::size_t>(cancel->timer)].reset();
      } else if (const auto* send = std::get_if<SendAdvert>(&a)) {
        multicast(n, send->priority);
      } else if (const auto* change = std::get_if<StateChanged>(&a)) {
        ++transitions_;
        if (change->to == State::master) became_master_[n] = now_;
      }
    }
  }

  void multicast(std::size_t from, std::uint8_t priority) {
    const Router& r = *nodes_[from].router;
    const IpAddress src = r.config().primary_address;
    auto bytes = encode_advert(r.advert(priority), {src, kGroup});
    for (std::size_t to = 0; to < nodes_.size(); ++to)
      if (to != from) schedule(now_ + latency_, to, Packet{bytes, src});
  }

  const IpAddress kGroup = ip("224.0.0.18");
  Duration latency_;
  TimePoint now_;
  std::vector<Node> nodes_;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  std::uint64_t seq_{0};
  std::map<std::size_t, TimePoint> became_master_;
  std::size_t transitions_{0};
};

const TimePoint t0{std::chrono::seconds{1000}};

RouterConfig node(std::uint8_t priority, std::string_view primary, RouterConfig c = {}) {
  c.vrid = 51;
  c.priority = priority;
  c.primary_address = ip(primary);
  c.addresses = {ip("10.0.0.100")};
  return c;
}

// The priority a preempting LAN must end with: the highest among nodes up. Among equal
// priorities the address decides only between simultaneous Masters (§6.4.3); a Backup does
// not preempt an equal-priority Master (§6.4.2 accepts "greater than or equal"), so which of
// several tied nodes wins depends on who got there first.
std::uint8_t best_priority(const std::vector<RouterConfig>& cs, const std::vector<bool>& up) {
  std::uint8_t b = 0;
  for (std::size_t i = 0; i < cs.size(); ++i)
    if (up[i]) b = std::max(b, cs[i].priority);
  return b;
}

TEST(FakeLan, DistinctPrioritiesElectTheHighest) {
  FakeLan lan{1ms, t0};
  for (auto [p, a] : {std::pair{100, "10.0.0.1"}, std::pair{200, "10.0.0.2"},
                      std::pair{150, "10.0.0.3"}})
    lan.boot(lan.add(node(static_cast<std::uint8_t>(p), a)), t0);
  lan.run_until(t0 + 20s);
  EXPECT_EQ(lan.masters(), std::vector<std::size_t>{1});
  // It took over after its own Master_Down_Interval: 300 cs + (56 * 100 / 256 = 21 cs).
  EXPECT_EQ(lan.became_master(1), t0 + Centiseconds{321});
  EXPECT_EQ(lan.transitions(), 4u);  // three to Backup, one to Master, no flapping
}

TEST(FakeLan, EqualPrioritiesTieBreakOnTheHighestAddress) {
  for (Duration latency : {Duration{0}, Duration{1ms}, Duration{20ms}}) {
    FakeLan lan{latency, t0};
    for (auto a : {"10.0.0.3", "10.0.0.1", "10.0.0.2"}) lan.boot(lan.add(node(100, a)), t0);
    lan.run_until(t0 + 20s);
    EXPECT_EQ(lan.masters(), std::vector<std::size_t>{0}) << latency.count();
  }
}

TEST(FakeLan, CrashedMasterIsReplacedWithinMasterDownInterval) {
  FakeLan lan{1ms, t0};
  const auto a = lan.add(node(100, "10.0.0.1"));
  const auto b = lan.add(node(200, "10.0.0.2"));
  const auto c = lan.add(node(150, "10.0.0.3"));
  for (auto n : {a, b, c}) lan.boot(n, t0);
  lan.run_until(t0 + 10s + 500ms);
  ASSERT_EQ(lan.masters(), std::vector<std::size_t>{b});
  const TimePoint crash = lan.now();
  lan.crash(b);
  lan.run_until(crash + 20s);
  EXPECT_EQ(lan.masters(), std::vector<std::size_t>{c});
  EXPECT_LE(*lan.became_master(c), crash + lan.router(c).master_down_interval());
  // The crashed node comes back and, preempting, takes over again.
  lan.boot(b, lan.now());
  lan.run_until(lan.now() + 20s);
  EXPECT_EQ(lan.masters(), std::vector<std::size_t>{b});
}

TEST(FakeLan, ShutdownHandsOffWithinSkewTime) {
  FakeLan lan{1ms, t0};
  const auto a = lan.add(node(100, "10.0.0.1"));
  const auto b = lan.add(node(200, "10.0.0.2"));
  const auto c = lan.add(node(150, "10.0.0.3"));
  for (auto n : {a, b, c}) lan.boot(n, t0);
  lan.run_until(t0 + 10s);
  const TimePoint stop = lan.now();
  lan.input(b, stop, Shutdown{});
  lan.run_until(stop + 20s);
  EXPECT_EQ(lan.masters(), std::vector<std::size_t>{c});
  // Priority 0 arrives after 1 ms; c takes over Skew_Time later (106 * 100 / 256 = 41 cs).
  EXPECT_EQ(*lan.became_master(c), stop + 1ms + Centiseconds{41});
}

TEST(FakeLan, NopreemptKeepsTheFirstMaster) {
  FakeLan lan{1ms, t0};
  const auto low = lan.add(node(100, "10.0.0.1", {.preempt = false}));
  const auto high = lan.add(node(200, "10.0.0.2", {.preempt = false}));
  lan.boot(low, t0);
  lan.run_until(t0 + 10s);
  lan.boot(high, lan.now());
  lan.run_until(lan.now() + 30s);
  EXPECT_EQ(lan.masters(), std::vector<std::size_t>{low});
}

TEST(FakeLan, PreemptDelayHoldsOffThenPreempts) {
  FakeLan lan{1ms, t0};
  const auto low = lan.add(node(100, "10.0.0.1"));
  const auto high = lan.add(node(200, "10.0.0.2", {.preempt_delay = 30s}));
  lan.boot(low, t0);
  lan.run_until(t0 + 10s);
  const TimePoint joined = lan.now();
  lan.boot(high, joined);
  lan.run_until(joined + 29s);
  EXPECT_EQ(lan.masters(), std::vector<std::size_t>{low});
  lan.run_until(joined + 40s);
  EXPECT_EQ(lan.masters(), std::vector<std::size_t>{high});
  EXPECT_EQ(lan.became_master(high), joined + 30s);
}

// Random LANs: priorities drawn from a small set (so ties are common), random addresses,
// start times, latency, interval, version and preempt mode. Then the Master crashes or shuts
// down, and later comes back. There must be exactly one Master after each phase; with
// preemption everywhere it must have the best priority up; and the LAN must then stay quiet.
TEST(FakeLan, RandomLansAlwaysConvergeOnExactlyOneMaster) {
  for (std::uint32_t seed = 1; seed <= 150; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng{seed};
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>{lo, hi}(rng); };
    const bool v2 = pick(0, 3) == 0;
    const bool preempt = pick(0, 2) != 0;
    const Centiseconds interval{v2 ? 100 * pick(1, 2) : std::vector{1, 10, 100}[pick(0, 2)]};
    FakeLan lan{std::chrono::microseconds{pick(0, 5000)}, t0};
    std::vector<RouterConfig> cs;
    for (int i = 0; i < 3; ++i) {
      const auto prio = static_cast<std::uint8_t>(std::vector{100, 150, 254}[pick(0, 2)]);
      const auto addr = "10.0.0." + std::to_string(10 * i + pick(1, 9));
      cs.push_back(node(prio, addr, {.version = v2 ? Version::v2 : Version::v3,
                                     .advertisement_interval = interval, .preempt = preempt}));
      lan.boot(lan.add(cs.back()), t0 + std::chrono::milliseconds{pick(0, 5000)});
    }
    std::vector<bool> up(3, true);
    auto settle_and_check = [&] {
      lan.run_until(lan.now() + 20s);
      const auto masters = lan.masters();
      ASSERT_EQ(masters.size(), 1u);
      if (preempt) {
        EXPECT_EQ(cs[masters[0]].priority, best_priority(cs, up));
      }
      const auto before = lan.transitions();
      lan.run_until(lan.now() + 20s);
      EXPECT_EQ(lan.transitions(), before) << "flapping after convergence";
    };
    ASSERT_NO_FATAL_FAILURE(settle_and_check());
    const auto gone = lan.masters().at(0);
    if (pick(0, 1)) {
      lan.crash(gone);
    } else {
      lan.input(gone, lan.now(), Shutdown{});
    }
    up[gone] = false;
    ASSERT_NO_FATAL_FAILURE(settle_and_check());
    lan.boot(gone, lan.now());
    up[gone] = true;
    ASSERT_NO_FATAL_FAILURE(settle_and_check());
  }
}

}  // namespace
}  // namespace vigil::vrrp
