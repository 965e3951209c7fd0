#include "vrrpd/io/tracking.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

namespace vigil::vrrp::io {

std::string_view to_string(TrackKind k) {
  switch (k) {
    case TrackKind::interface: return "track_interface";
    case TrackKind::script: return "track_script";
    case TrackKind::file: return "track_file";
    case TrackKind::bfd: return "track_bfd";
  }
  return "track";
}

std::string_view to_string(ScriptState s) {
  switch (s) {
    case ScriptState::init: return "INIT";
    case ScriptState::good: return "GOOD";
    case ScriptState::bad: return "BAD";
  }
  return "UNKNOWN";
}

namespace {
template <class Map, class V>
bool set_value(Map& m, const std::string& name, V v) {
  auto [it, fresh] = m.try_emplace(name, v);
  if (fresh) return true;
  return std::exchange(it->second, v) != v;
}
}  // namespace

bool TrackedObjects::set_interface(const std::string& name, bool up) {
  return set_value(interfaces_, name, up);
}
bool TrackedObjects::set_script(const std::string& name, ScriptState s) {
  return set_value(scripts_, name, s);
}
bool TrackedObjects::set_file(const std::string& name, long long value) {
  return set_value(files_, name, value);
}
// A session never heard of is down: hearing that it is down changes nothing.
bool TrackedObjects::set_bfd(const std::string& name, bool up) {
  if (up == bfd_up(name)) return false;
  bfds_[name] = up;
  return true;
}
bool TrackedObjects::bfd_up(const std::string& name) const {
  auto it = bfds_.find(name);
  return it != bfds_.end() && it->second;
}
bool TrackedObjects::interface_up(const std::string& name) const {
  auto it = interfaces_.find(name);
  return it != interfaces_.end() && it->second;
}
ScriptState TrackedObjects::script(const std::string& name) const {
  auto it = scripts_.find(name);
  return it == scripts_.end() ? ScriptState::init : it->second;
}
long long TrackedObjects::file(const std::string& name) const {
  auto it = files_.find(name);
  return it == files_.end() ? 0 : it->second;
}

TrackStatus evaluate(const std::vector<TrackItem>& items, const TrackedObjects& objects) {
  TrackStatus st;
  auto faulted = [&](const TrackItem& t) {
    if (!st.fault) st.fault_reason = std::string(to_string(t.kind)) + " " + t.name;
    st.fault = true;
  };
  // An up/down object: weight 0 faults while down; a positive weight adds while up, a
  // negative one while down. reverse swaps up and down.
  auto up_down = [&](const TrackItem& t, bool up) {
    if (t.reverse) up = !up;
    if (t.weight == 0) {
      if (!up) faulted(t);
    } else if (up && t.weight > 0) {
      st.delta += t.weight;
    } else if (!up && t.weight < 0) {
      st.delta += t.weight;
    }
  };
  for (const auto& t : items) {
    switch (t.kind) {
      case TrackKind::interface: up_down(t, objects.interface_up(t.name)); break;
      case TrackKind::bfd: up_down(t, objects.bfd_up(t.name)); break;
      case TrackKind::script: {
        const auto s = objects.script(t.name);
        if (s == ScriptState::init) {  // no result yet: no weight; weight 0 holds the start
          if (t.weight == 0) st.pending = true;
          break;
        }
        up_down(t, s == ScriptState::good);
        break;
      }
      case TrackKind::file: {
        const long long value = objects.file(t.name);
        if (t.weight == 0) {
          if (value != 0) faulted(t);
          break;
        }
        const long long w = t.reverse ? -t.weight : t.weight;
        const long long d = std::clamp<long long>(value * w, -100000, 100000);
        if (d <= -254) faulted(t);
        else st.delta += static_cast<int>(d);
        break;
      }
    }
  }
  return st;
}

std::uint8_t effective_priority(std::uint8_t base, int delta) {
  if (base == 255) return 255;
  return static_cast<std::uint8_t>(std::clamp(static_cast<int>(base) + delta, 1, 254));
}

long long parse_track_file(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (i < text.size() && text[i] == '+') ++i;
  long long v = 0;
  auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), v);
  (void)end;
  return ec == std::errc{} ? v : 0;
}

// ---- ScriptTracker ----

ScriptTracker::ScriptTracker(ScriptSpec spec, ScriptRunner& runner, TimerService& timers,
                             Log& log, OnChange on_change)
    : spec_(std::move(spec)),
      runner_(runner),
      timers_(timers),
      log_(log),
      on_change_(std::move(on_change)),
      timer_(timers.make_timer()),
      alive_(std::make_shared<bool>(true)) {
  spec_.rise = std::max(spec_.rise, 1);
  spec_.fall = std::max(spec_.fall, 1);
  // keepalived: INIT needs one success to be GOOD; init_fail starts BAD.
  if (spec_.init_fail) {
    state_ = ScriptState::bad;
    result_ = 0;
  } else {
    result_ = spec_.rise - 1;
  }
}

ScriptTracker::~ScriptTracker() { *alive_ = false; }

void ScriptTracker::start() {
  if (!std::exchange(stopped_, false)) return;
  run();
}

void ScriptTracker::stop() {
  stopped_ = true;
  timer_->cancel();
}

void ScriptTracker::run() {
  if (stopped_) return;
  started_ = timers_.now();
  timer_->arm(started_ + spec_.interval, [this] {
    // Never two at once: a run still going when the next is due makes that one wait.
    if (!running_) run();
  });
  if (running_) return;
  running_ = true;
  ++runs_;
  runner_.run(spec_.argv, spec_.timeout,
              [this, alive = std::weak_ptr<bool>(alive_)](const ScriptExit& e) {
                auto a = alive.lock();
                if (!a || !*a) return;
                done(e);
              },
              spec_.as);
}

void ScriptTracker::done(const ScriptExit& e) {
  running_ = false;
  if (stopped_) return;
  const int top = spec_.rise + spec_.fall - 1;
  if (e.ok()) {
    if (result_ < spec_.rise - 1) {
      ++result_;
    } else {
      if (result_ < spec_.rise) set(ScriptState::good, "succeeded");
      result_ = top;
    }
  } else {
    if (result_ > spec_.rise) {
      --result_;
    } else {
      if (result_ == spec_.rise || state_ == ScriptState::init)
        set(ScriptState::bad, "failed (" + to_string(e) + ")");
      result_ = 0;
    }
  }
  // The run that finished after its slot: the next one now.
  if (timers_.now() >= started_ + spec_.interval) run();
}

void ScriptTracker::set(ScriptState s, const std::string& why) {
  if (std::exchange(state_, s) == s) return;
  log_.write(Severity::info, "VRRP_Script(" + spec_.name + ") " + why);
  if (on_change_) on_change_(spec_.name, s);
}

}  // namespace vigil::vrrp::io
