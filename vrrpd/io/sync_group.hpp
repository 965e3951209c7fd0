// keepalived's vrrp_sync_group: its instances move together.
//   - A member becomes Master only when every member wants to (each one's Master_Down_Timer
//     or preempt_delay ran out) or is Master already; then all of them do (RequestMaster ->
//     GroupMaster). keepalived: "only sync to master if everyone wants to, i.e. prefer
//     backup state to avoid thrashing".
//   - A member that leaves Master for Backup takes the Masters of the group with it.
//   - A member with a fault of its own (interface, tracked object) puts the whole group in
//     FAULT; the group leaves FAULT when no member has one.
// The group's state (FAULT if a member is, else MASTER / BACKUP / STOP once all members
// agree) runs the group's notify_master|backup|fault|stop and `notify` ("GROUP name STATE 0").
#pragma once
#include <string>
#include <vector>

#include "vrrpd/io/instance.hpp"

namespace vigil::vrrp::io {

struct SyncGroupConfig {
  std::string name;
  std::vector<std::string> members;  // vrrp_instance names
  NotifyConfig notify;
};

class SyncGroup {
 public:
  SyncGroup(SyncGroupConfig config, ScriptRunner& scripts, Log& log, NotifyFifo* fifo = nullptr);
  SyncGroup(const SyncGroup&) = delete;
  SyncGroup& operator=(const SyncGroup&) = delete;

  void add(Instance& member);
  const SyncGroupConfig& config() const { return config_; }
  const std::vector<Instance*>& members() const { return members_; }
  // The group's state as last announced (INIT before anything happened).
  State state() const { return state_; }

  // From the members' drivers.
  void on_state(Instance& who, const StateChanged& change);
  void on_request_master(Instance& who);
  void on_own_fault(Instance& who);

 private:
  void update_state();
  void notify(State s);
  void log(Severity s, const std::string& message);

  SyncGroupConfig config_;
  ScriptRunner& scripts_;
  NotifyFifo* fifo_;
  Log& log_;
  std::vector<Instance*> members_;
  State state_{State::initialize};
  bool fault_{false};
};

}  // namespace vigil::vrrp::io
