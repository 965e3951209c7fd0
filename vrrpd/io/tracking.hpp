// keepalived's tracking: track_interface, track_script (vrrp_script), track_file and track_bfd
// (a bfd_instance's session) turn into
// an instance's effective priority (weights) or FAULT (weight 0). The values of the tracked
// objects live in TrackedObjects; evaluate() folds an instance's TrackItems over them. The
// vrrp_script runner (ScriptTracker) is timer-driven on the loop and never waits for a script.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "vrrpd/io/log.hpp"
#include "vrrpd/io/scripts.hpp"
#include "vrrpd/io/timer.hpp"

namespace vigil::vrrp::io {

enum class TrackKind : std::uint8_t { interface, script, file, bfd };
std::string_view to_string(TrackKind k);

// One `track_interface` / `track_script` / `track_file` line of an instance (or of its
// vrrp_sync_group), with keepalived's weight already resolved: a track_script without a weight
// takes its vrrp_script's, a track_file without one takes its track_file's (default 1), and a
// sync-group member's weights are 0 unless the group has sync_group_tracking_weight.
struct TrackItem {
  TrackKind kind{};
  std::string name;  // the interface, vrrp_script or track_file name
  int weight{0};     // 0: "down" means FAULT
  bool reverse{false};
  friend bool operator==(const TrackItem&, const TrackItem&) = default;
};

// keepalived's script states: no result yet (INIT), then GOOD / BAD with rise / fall.
enum class ScriptState : std::uint8_t { init, good, bad };
std::string_view to_string(ScriptState s);

// The current value of every tracked object, by name. An interface never heard of is down,
// a script never run is init, a file never read is 0.
class TrackedObjects {
 public:
  // Each returns whether the value changed.
  bool set_interface(const std::string& name, bool up);
  bool set_script(const std::string& name, ScriptState s);
  bool set_file(const std::string& name, long long value);
  bool set_bfd(const std::string& name, bool up);
  bool interface_up(const std::string& name) const;
  ScriptState script(const std::string& name) const;
  long long file(const std::string& name) const;
  bool bfd_up(const std::string& name) const;  // a session never heard of is down

 private:
  std::map<std::string, bool, std::less<>> interfaces_;
  std::map<std::string, ScriptState, std::less<>> scripts_;
  std::map<std::string, long long, std::less<>> files_;
  std::map<std::string, bool, std::less<>> bfds_;
};

struct TrackStatus {
  int delta{0};         // the sum of the weights that apply now
  bool fault{false};    // a weight-0 object is down (or a file's value * weight <= -254)
  bool pending{false};  // a weight-0 script has no result yet: the instance waits to start
  std::string fault_reason;  // the first object that faults, e.g. "track_script chk_nginx"
  friend bool operator==(const TrackStatus&, const TrackStatus&) = default;
};

// keepalived's vrrp_track: an interface or script contributes +weight while up if the weight
// is positive, weight while down if it is negative (reverse swaps up and down); a file
// contributes value * weight (reverse negates the weight; weight 0: a non-zero value faults).
TrackStatus evaluate(const std::vector<TrackItem>& items, const TrackedObjects& objects);

// The effective priority: the address owner (255) is never changed by weights; others are
// base + delta clamped to 1..254 (keepalived).
std::uint8_t effective_priority(std::uint8_t base, int delta);

// One vrrp_script.
struct ScriptSpec {
  std::string name;
  std::vector<std::string> argv;
  Duration interval{std::chrono::seconds{1}};
  Duration timeout{std::chrono::seconds{1}};  // keepalived: the interval when not given
  int rise{1}, fall{1};
  bool init_fail{false};
  RunAs as;  // vrrp_script `user [group]`, else global_defs script_user
};

// Runs one vrrp_script every `interval` (the next run `interval` after the previous one
// started, never two at once) through the ScriptRunner, kills it at `timeout` (a failure),
// and applies keepalived's rise/fall: from INIT the first result decides; after that `rise`
// consecutive successes make it GOOD and `fall` consecutive failures BAD.
class ScriptTracker {
 public:
  using OnChange = std::function<void(const std::string& name, ScriptState state)>;
  ScriptTracker(ScriptSpec spec, ScriptRunner& runner, TimerService& timers, Log& log,
                OnChange on_change);
  ~ScriptTracker();
  ScriptTracker(const ScriptTracker&) = delete;
  ScriptTracker& operator=(const ScriptTracker&) = delete;

  void start();  // the first run now
  void stop();   // no more runs; a running one is left to its timeout, its result ignored
  ScriptState state() const { return state_; }
  const ScriptSpec& spec() const { return spec_; }
  std::uint64_t runs() const { return runs_; }

 private:
  void run();
  void done(const ScriptExit& e);
  void set(ScriptState s, const std::string& why);

  ScriptSpec spec_;
  ScriptRunner& runner_;
  TimerService& timers_;
  Log& log_;
  OnChange on_change_;
  std::unique_ptr<Timer> timer_;
  std::shared_ptr<bool> alive_;
  ScriptState state_{ScriptState::init};
  int result_{0};  // keepalived's counter: >= rise is GOOD
  bool running_{false}, stopped_{true};
  TimePoint started_{};
  std::uint64_t runs_{0};
};

// keepalived track_file: the first integer in the file (0 when absent or unreadable).
long long parse_track_file(std::string_view text);

}  // namespace vigil::vrrp::io
