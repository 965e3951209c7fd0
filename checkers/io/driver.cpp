#include "checkers/io/driver.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace vigil::checkers::io {
namespace asio = boost::asio;

namespace {

std::string address_port(const IpAddress& a, long long port) {
  return "[" + a.to_string() + "]:" + std::to_string(port);
}

Duration tick_for(const std::vector<VsPolicy>& policy) {
  Duration shortest = CheckerDriver::kMaxTick * 50;
  for (const auto& vs : policy)
    for (const auto& rs : vs.servers)
      for (const auto& c : rs.checkers)
        if (!c.passive) shortest = std::min({shortest, c.delay_loop, c.delay_before_retry});
  return std::clamp(shortest / 50, CheckerDriver::kMinTick, CheckerDriver::kMaxTick);
}

}  // namespace

CheckerDriver::CheckerDriver(asio::io_context& io, const conf::Config& config, const Clock& clock, Prober& prober,
                             Log& log, EffectSink sink, RandomSource random)
    : io_(io),
      config_(config),
      clock_(clock),
      prober_(prober),
      log_(log),
      sink_(std::move(sink)),
      core_(policy_from_config(config), std::move(random)),
      tick_(tick_for(core_.policy())),
      ticker_(std::make_unique<Ticker>(io, tick_, [this] { on_tick(); })) {
  base_.resize(config_.virtual_servers.size());
  for (std::uint32_t vi = 0; vi < base_.size(); ++vi) {
    const auto& rss = config_.virtual_servers[vi].real_servers;
    for (std::uint32_t ri = 0; ri < rss.size(); ++ri) {
      base_[vi].push_back(static_cast<std::uint32_t>(slots_.size()));
      for (std::uint32_t ci = 0; ci < rss[ri].checkers.size(); ++ci)
        slots_.push_back(Slot{{vi, ri, ci}, rss[ri].checkers[ci].get(), {}, {}});
    }
  }
}

CheckerDriver::~CheckerDriver() {
  for (auto& s : slots_)
    if (s.token) prober_.cancel(*s.token);
}

std::string CheckerDriver::vs_name(std::uint32_t vi) const {
  const auto& vs = config_.virtual_servers.at(vi);
  switch (vs.kind) {
    case conf::VirtualServer::Kind::address: return address_port(vs.address, vs.port);
    case conf::VirtualServer::Kind::fwmark: return "FWM " + std::to_string(vs.fwmark);
    case conf::VirtualServer::Kind::group: return "group " + vs.group;
  }
  return {};
}

std::string CheckerDriver::rs_name(RsKey k) const {
  const auto& rs = config_.virtual_servers.at(k.vs).real_servers.at(k.rs);
  return rs.port.is_set() ? address_port(rs.address, *rs.port) : "[" + rs.address.to_string() + "]";
}

const conf::CheckBase& CheckerDriver::check(CheckerKey k) const {
  return *slots_[base_.at(k.vs).at(k.rs) + k.checker].check;
}

CheckerDriver::Slot& CheckerDriver::slot(CheckerKey k) { return slots_[base_.at(k.vs).at(k.rs) + k.checker]; }

namespace {
// A fixed reason, as the `why` of CheckerDriver::apply().
auto reason(const char* text) {
  return [text] { return std::string(text); };
}
}  // namespace

void CheckerDriver::start() {
  apply(core_.start(clock_.now()), reason("start-up"));
  files_ = std::make_unique<FileWatcher>(io_, log_, [this](CheckerKey k, const FileLevel& level, const std::string& why) {
    report_file(k, level, why);
  });
  files_->start(config_);
}

void CheckerDriver::report_file(CheckerKey k, const FileLevel& level, const std::string& why) {
  step(ProbeResult{k, 0, level.ok, level.weight}, [&] { return "FILE_CHECK " + why; });
}

void CheckerDriver::stop() {
  if (stopped_) return;
  stopped_ = true;
  files_.reset();
  ticker_->disarm();
  wheel_ = {};
  for (auto& s : slots_) {
    s.due.reset();
    if (s.token) prober_.cancel(*std::exchange(s.token, std::nullopt));
  }
  apply(core_.stop(clock_.now()), reason("shutdown"));
}

void CheckerDriver::report_level(CheckerKey k, bool ok, std::optional<long long> weight) {
  step(ProbeResult{k, 0, ok, weight}, [&] {
    return std::string(conf::kCheckerNames[static_cast<int>(check(k).kind)]) + (ok ? " reports up" : " reports down");
  });
}

template <class Why>
void CheckerDriver::step(const Input& in, const Why& why) {
  if (stopped_) return;
  // A step may lead to another (a sink reacting at once): each has its own list.
  Actions actions = std::move(actions_);
  core_.step(in, clock_.now(), actions);
  apply(actions, why);
  actions.clear();
  actions_ = std::move(actions);
}

template <class Why>
void CheckerDriver::apply(const Actions& actions, const Why& why) {
  for (const auto& a : actions) {
    if (const auto* t = std::get_if<ArmTimer>(&a)) {
      arm(*t);
    } else if (const auto* p = std::get_if<StartProbe>(&a)) {
      probe(*p);
    } else {
      if (const auto* n = std::get_if<Notify>(&a)) {
        const bool rs = n->kind == NotifyKind::rs_up || n->kind == NotifyKind::rs_down;
        const bool up = n->kind == NotifyKind::rs_up || n->kind == NotifyKind::quorum_up;
        // "[10.0.1.1]:80 DOWN: TCP_CHECK connect: Connection refused (retry 3 of 3) (VS [10.0.0.1]:80)"
        log_.write(Severity::info, rs ? rs_name(n->server) + (up ? " UP: " : " DOWN: ") + why() + " (VS " +
                                            vs_name(n->server.vs) + ")"
                                      : "VS " + vs_name(n->server.vs) + (up ? " gained" : " lost") + " quorum (" +
                                            why() + ")");
      } else if (const auto* s = std::get_if<SwapSorry>(&a)) {
        log_.write(Severity::info, std::string(s->in ? "adding" : "removing") + " the sorry server of VS " +
                                       vs_name(s->vs));
      } else if (log_.enabled(Severity::debug)) {
        log_.write(Severity::debug, to_string(a));
      }
      if (sink_) sink_(a);
    }
  }
}

void CheckerDriver::arm(const ArmTimer& t) {
  // Rounded up: the core ignores an expiry before its time.
  const auto ticks = (t.at.time_since_epoch() + tick_ - Duration(1)) / tick_;
  const TimePoint tick{ticks * tick_};
  const std::uint32_t index = base_.at(t.checker.vs).at(t.checker.rs) + t.checker.checker;
  slots_[index].due = tick;
  wheel_.emplace(tick, index);
  if (!ticking_) arm_wheel();
}

void CheckerDriver::arm_wheel() {
  if (continuing_) return;
  if (wheel_.empty()) return ticker_->disarm();
  ticker_->arm(wheel_.top().first, clock_.now());
}

void CheckerDriver::on_tick() {
  continuing_ = false;
  ticking_ = true;
  const TimePoint now = clock_.now();
  // At most kMaxPerTurn probes per turn: after a stall thousands may be due at once, and
  // the loop's other timers (a VRRP advert every 10 ms) must get in between.
  std::size_t started = 0;
  while (!stopped_ && !wheel_.empty() && wheel_.top().first <= now && started < kMaxPerTurn) {
    const auto [tick, index] = wheel_.top();
    wheel_.pop();
    Slot& s = slots_[index];
    if (s.due != tick) continue;  // stale: re-armed since
    s.due.reset();
    if (urgent_) urgent_->poll();
    step(TimerFired{s.key}, reason("timer"));
    ++started;
  }
  ticking_ = false;
  if (!stopped_ && started == kMaxPerTurn && !wheel_.empty() && wheel_.top().first <= now) {
    continuing_ = true;
    asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
      if (alive.lock() && continuing_) on_tick();
    });
    return;
  }
  arm_wheel();
}

void CheckerDriver::probe(const StartProbe& p) {
  Slot& s = slot(p.checker);
  if (s.token) prober_.cancel(*s.token);  // can't happen: the core runs one probe per checker
  s.token = prober_.start(check(p.checker), p.deadline,
                          [this, k = p.checker, id = p.probe, alive = std::weak_ptr<bool>(alive_)](ProbeOutcome o) {
                            if (!alive.lock()) return;
                            on_done(k, id, std::move(o));
                          });
}

void CheckerDriver::on_done(CheckerKey k, std::uint64_t probe, ProbeOutcome o) {
  Slot& s = slot(k);
  s.token.reset();
  const std::string_view what = conf::kCheckerNames[static_cast<int>(s.check->kind)];
  if (o.ok) return step(ProbeResult{k, probe, true, o.weight}, [&] { return std::string(what) + " passed"; });
  const CheckerSchedule& sched = core_.checker(k);
  const int retry = core_.policy()[k.vs].servers[k.rs].checkers[k.checker].retry;
  std::string why = std::string(what) + " " + o.reason;
  if (sched.up() && sched.retries_used() < retry) {
    // Not a verdict yet: it is retried after delay_before_retry.
    if (log_.enabled(Severity::debug))
      log_.write(Severity::debug, rs_name(k.server()) + " " + why + " (retry " + std::to_string(sched.retries_used() + 1) +
                                      " of " + std::to_string(retry) + " follows)");
  } else {
    if (sched.up() && sched.has_run() && retry > 0)
      why += " (retry " + std::to_string(retry) + " of " + std::to_string(retry) + ")";
    else if (!sched.has_run())
      why += " (first check)";
    if (log_.enabled(Severity::debug)) log_.write(Severity::debug, rs_name(k.server()) + " " + why);
  }
  step(ProbeResult{k, probe, false, o.weight}, [&] { return why; });
}

}  // namespace vigil::checkers::io
