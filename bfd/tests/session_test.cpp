// The BFD session state machine (RFC 5880 §6.8) on a manual clock: two sessions wired back
// to back through a simulated link that can drop everything.
#include <gtest/gtest.h>

#include <deque>
#include <optional>

#include "bfd/proto/session.hpp"

namespace vigil::bfd {
namespace {

using namespace std::chrono_literals;

SessionConfig cfg(std::uint32_t disc, bool passive = false, std::uint8_t mult = 3) {
  SessionConfig c;
  c.local_discriminator = disc;
  c.min_tx = 50ms;
  c.min_rx = 50ms;
  c.idle_tx = 1s;
  c.detect_mult = mult;
  c.passive = passive;
  c.seed = disc * 7919;
  return c;
}

struct Node {
  explicit Node(const SessionConfig& c) : s(c) {}
  Session s;
  std::optional<TimePoint> tx, detect;
  std::vector<std::pair<TimePoint, ControlPacket>> sent;
  std::vector<std::pair<TimePoint, StateChanged>> changes;
  std::vector<Discard> discards;
  bool cut{false};  // its packets are lost
};

struct Sim {
  Sim(const SessionConfig& ca, const SessionConfig& cb) : n{Node(ca), Node(cb)} {}
  Node n[2];
  TimePoint now{};
  Duration latency{100us};
  std::deque<std::pair<TimePoint, std::pair<int, ControlPacket>>> wire;

  Node& a() { return n[0]; }
  Node& b() { return n[1]; }

  void apply(int i, const Actions& acts) {
    Node& me = n[i];
    for (const auto& act : acts) {
      if (const auto* s = std::get_if<Send>(&act)) {
        me.sent.emplace_back(now, s->packet);
        if (!me.cut) wire.push_back({now + latency, {1 - i, s->packet}});
      } else if (const auto* t = std::get_if<ArmTx>(&act)) {
        ASSERT_GT(t->at, now);
        me.tx = t->at;
      } else if (std::holds_alternative<CancelTx>(act)) {
        me.tx.reset();
      } else if (const auto* d = std::get_if<ArmDetect>(&act)) {
        me.detect = d->at;
      } else if (std::holds_alternative<CancelDetect>(act)) {
        me.detect.reset();
      } else if (const auto* c = std::get_if<StateChanged>(&act)) {
        me.changes.emplace_back(now, *c);
      } else if (const auto* x = std::get_if<Discarded>(&act)) {
        me.discards.push_back(x->reason);
      }
    }
  }
  void input(int i, const Input& in) { apply(i, n[i].s.step(in, now)); }

  // Runs every event due up to `until`, in time order.
  void run(Duration d) {
    const TimePoint until = now + d;
    for (int guard = 0; guard < 1'000'000; ++guard) {
      TimePoint t = until + 1ns;
      int what = -1;
      if (!wire.empty() && wire.front().first < t) t = wire.front().first, what = 0;
      for (int i = 0; i < 2; ++i) {
        if (n[i].tx && *n[i].tx < t) t = *n[i].tx, what = 1 + i;
        if (n[i].detect && *n[i].detect < t) t = *n[i].detect, what = 3 + i;
      }
      if (what < 0) break;
      now = t;
      if (what == 0) {
        auto [to, packet] = wire.front().second;
        wire.pop_front();
        input(to, PacketReceived{packet});
      } else if (what <= 2) {
        n[what - 1].tx.reset();
        input(what - 1, TxTimerExpired{});
      } else {
        n[what - 3].detect.reset();
        input(what - 3, DetectTimerExpired{});
      }
    }
    now = until;
  }
};

TEST(BfdSession, ThreeWayHandshakeThenPollToTheFastInterval) {
  Sim sim(cfg(1), cfg(2));
  sim.input(0, Start{});
  sim.input(1, Start{});
  sim.run(10ms);
  EXPECT_EQ(sim.a().s.state(), State::up);
  EXPECT_EQ(sim.b().s.state(), State::up);
  EXPECT_EQ(sim.a().s.remote_discriminator(), 2u);
  // Down -> Init -> Up on one side, Down -> Up on the other: a few latencies, no timer.
  ASSERT_FALSE(sim.b().changes.empty());
  EXPECT_LT(sim.b().changes.back().first - TimePoint{}, 1ms);
  // Up announced min_tx with a Poll, answered by a Final; then 50 ms both ways.
  sim.run(1s);
  EXPECT_FALSE(sim.a().s.polling());
  EXPECT_EQ(sim.a().s.tx_interval(), 50ms);
  EXPECT_EQ(sim.a().s.detection_time(), 150ms);
  bool poll = false, final = false;
  for (const auto& [t, p] : sim.a().sent) poll |= p.poll;
  for (const auto& [t, p] : sim.b().sent) final |= p.final;
  EXPECT_TRUE(poll);
  EXPECT_TRUE(final);
  // Started together: each hears the other's Down, so AdminDown->Down->Init->Up, no flap.
  EXPECT_EQ(sim.a().changes.size(), 3u);
  EXPECT_EQ(sim.b().changes.size(), 3u);
}

TEST(BfdSession, TransmitIntervalIsJitteredBetween75And100Percent) {
  for (std::uint8_t mult : {3, 1}) {
    Sim sim(cfg(1, false, mult), cfg(2, false, mult));
    sim.input(0, Start{});
    sim.input(1, Start{});
    sim.run(2s);
    const auto start = sim.a().sent.size();
    sim.run(10s);
    const auto& sent = sim.a().sent;
    ASSERT_GT(sent.size() - start, 100u);
    Duration lo = 1h, hi = 0ns;
    for (std::size_t i = start + 1; i < sent.size(); ++i) {
      const Duration gap = sent[i].first - sent[i - 1].first;
      lo = std::min(lo, gap);
      hi = std::max(hi, gap);
    }
    EXPECT_GE(lo, 37'500us) << int(mult);
    EXPECT_LE(hi, mult == 1 ? 45ms : 50ms) << int(mult);
    EXPECT_LT(hi - lo, 12'500us) << int(mult);
    EXPECT_GT(hi - lo, 5ms) << "no jitter at all (mult " << int(mult) << ")";
  }
}

TEST(BfdSession, SilenceForADetectionTimeIsDownWithDiag1) {
  Sim sim(cfg(1), cfg(2));
  sim.input(0, Start{});
  sim.input(1, Start{});
  sim.run(2s);
  ASSERT_EQ(sim.b().s.state(), State::up);
  sim.a().cut = true;
  TimePoint last_heard{};
  for (const auto& [t, p] : sim.a().sent) last_heard = t;
  sim.run(1s);
  ASSERT_EQ(sim.b().s.state(), State::down);
  const auto& [when, change] = sim.b().changes.back();
  EXPECT_EQ(change.diag, Diag::control_detection_time_expired);
  // The last packet a got through, plus the Detection Time (3 x 50 ms).
  const Duration after = when - last_heard;
  EXPECT_GE(after, 150ms);
  EXPECT_LE(after, 150ms + 50ms + 200us);
  EXPECT_EQ(sim.b().s.remote_discriminator(), 0u);
  EXPECT_EQ(sim.b().s.tx_interval(), 1s);  // back to idle_tx
  // The link heals: Up again, without anyone restarting.
  sim.a().cut = false;
  sim.run(5s);
  EXPECT_EQ(sim.a().s.state(), State::up);
  EXPECT_EQ(sim.b().s.state(), State::up);
}

TEST(BfdSession, StopSendsAdminDownAndThePeerGoesDownAtOnce) {
  Sim sim(cfg(1), cfg(2));
  sim.input(0, Start{});
  sim.input(1, Start{});
  sim.run(2s);
  const TimePoint t0 = sim.now;
  sim.input(0, Stop{});
  EXPECT_EQ(sim.a().s.state(), State::admin_down);
  ASSERT_FALSE(sim.a().sent.empty());
  EXPECT_EQ(sim.a().sent.back().second.state, State::admin_down);
  EXPECT_EQ(sim.a().sent.back().second.diag, Diag::administratively_down);
  EXPECT_FALSE(sim.a().tx);
  sim.run(5s);
  ASSERT_EQ(sim.b().s.state(), State::down);
  EXPECT_EQ(sim.b().changes.back().second.diag, Diag::neighbor_signaled_session_down);
  EXPECT_LT(sim.b().changes.back().first - t0, 1ms);
  EXPECT_EQ(sim.a().sent.back().second.state, State::admin_down);  // silent after its one packet
  // Started again: Up again.
  sim.input(0, Start{});
  sim.run(5s);
  EXPECT_EQ(sim.a().s.state(), State::up);
  EXPECT_EQ(sim.b().s.state(), State::up);
}

TEST(BfdSession, PassiveWaitsForThePeer) {
  Sim sim(cfg(1), cfg(2, true));
  sim.input(1, Start{});
  sim.run(5s);
  EXPECT_TRUE(sim.b().sent.empty());
  EXPECT_EQ(sim.b().s.state(), State::down);
  sim.input(0, Start{});
  sim.run(5s);
  EXPECT_EQ(sim.a().s.state(), State::up);
  EXPECT_EQ(sim.b().s.state(), State::up);
  // Two passive systems never speak.
  Sim quiet(cfg(1, true), cfg(2, true));
  quiet.input(0, Start{});
  quiet.input(1, Start{});
  quiet.run(10s);
  EXPECT_TRUE(quiet.a().sent.empty());
  EXPECT_TRUE(quiet.b().sent.empty());
}

TEST(BfdSession, PacketsForAnotherDiscriminatorOrWhileAdminDownAreDiscarded) {
  Session s(cfg(1));
  ControlPacket p;
  p.state = State::down;
  p.detect_mult = 3;
  p.my_discriminator = 9;
  p.desired_min_tx_us = p.required_min_rx_us = 50'000;
  auto discarded = [](const Actions& acts) -> std::optional<Discard> {
    std::optional<Discard> d;
    for (const auto& a : acts) {
      if (const auto* x = std::get_if<Discarded>(&a)) d = x->reason;
      EXPECT_FALSE(std::holds_alternative<Send>(a) || std::holds_alternative<StateChanged>(a));
    }
    return d;
  };
  EXPECT_EQ(discarded(s.step(PacketReceived{p}, TimePoint{})), Discard::admin_down);
  s.step(Start{}, TimePoint{});
  p.your_discriminator = 5;
  EXPECT_EQ(discarded(s.step(PacketReceived{p}, TimePoint{})), Discard::your_discriminator_mismatch);
  EXPECT_EQ(s.state(), State::down);
}

TEST(BfdSession, ARaisedIntervalWaitsForTheFinal) {
  Sim sim(cfg(1), cfg(2));
  sim.input(0, Start{});
  sim.input(1, Start{});
  sim.run(2s);
  auto slower = cfg(1);
  slower.min_tx = 200ms;
  sim.latency = 5ms;
  sim.apply(0, sim.a().s.reconfigure(slower, sim.now));
  EXPECT_TRUE(sim.a().s.polling());
  EXPECT_EQ(sim.a().s.tx_interval(), 50ms);  // not before the peer confirms
  ASSERT_FALSE(sim.a().sent.empty());
  EXPECT_TRUE(sim.a().sent.back().second.poll);
  EXPECT_EQ(sim.a().sent.back().second.desired_min_tx_us, 200'000u);
  sim.run(20ms);
  EXPECT_FALSE(sim.a().s.polling());
  EXPECT_EQ(sim.a().s.tx_interval(), 200ms);
  sim.run(3s);
  EXPECT_EQ(sim.b().s.detection_time(), 600ms);  // b follows a's new Desired Min TX
  EXPECT_EQ(sim.b().s.state(), State::up);
  EXPECT_EQ(sim.a().changes.size(), 3u);  // the handshake's, no flap
}

TEST(BfdSession, ReceivingAdminDownWhileDownChangesNothing) {
  Session s(cfg(1));
  s.step(Start{}, TimePoint{});
  ControlPacket p;
  p.state = State::admin_down;
  p.diag = Diag::administratively_down;
  p.detect_mult = 3;
  p.my_discriminator = 9;
  p.desired_min_tx_us = p.required_min_rx_us = 50'000;
  for (const auto& a : s.step(PacketReceived{p}, TimePoint{})) EXPECT_FALSE(std::holds_alternative<StateChanged>(a));
  EXPECT_EQ(s.state(), State::down);
}

TEST(BfdSession, BadConfigurationIsAWiringBug) {
  auto c = cfg(0);
  EXPECT_THROW(Session{c}, std::invalid_argument);
  c = cfg(1);
  c.detect_mult = 0;
  EXPECT_THROW(Session{c}, std::invalid_argument);
}

}  // namespace
}  // namespace vigil::bfd
