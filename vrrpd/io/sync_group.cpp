#include "vrrpd/io/sync_group.hpp"

#include <algorithm>

namespace vigil::vrrp::io {
namespace {

std::string state_word(State s) {
  switch (s) {
    case State::master: return "MASTER";
    case State::backup: return "BACKUP";
    case State::fault: return "FAULT";
    case State::initialize: return "STOP";
  }
  return "UNKNOWN";
}

}  // namespace

SyncGroup::SyncGroup(SyncGroupConfig config, ScriptRunner& scripts, Log& log, NotifyFifo* fifo)
    : config_(std::move(config)), scripts_(scripts), fifo_(fifo), log_(log) {}

void SyncGroup::add(Instance& member) {
  members_.push_back(&member);
  member.set_group(this);
}

void SyncGroup::on_request_master(Instance& who) {
  for (const auto* m : members_) {
    if (m == &who || m->state() == State::master) continue;
    if (m->state() == State::backup && m->router().wants_master()) continue;
    return;  // someone still hears a live Master, or cannot run: stay Backup meanwhile
  }
  log(Severity::info, "syncing instances to MASTER state (" + who.config().name + " asked)");
  for (auto* m : members_)
    if (m->state() == State::backup) m->group_master();
}

void SyncGroup::on_state(Instance& who, const StateChanged& c) {
  if (c.to == State::master) {
    // Whatever made it Master (the group's order, or the owner starting), the rest follow.
    for (auto* m : members_)
      if (m != &who && m->state() == State::backup) m->group_master();
  } else if (c.from == State::master && c.to == State::backup) {
    bool any = false;
    for (auto* m : members_)
      if (m != &who && m->state() == State::master) any = true;
    if (any) log(Severity::info, "syncing instances to BACKUP state (" + who.config().name + " left MASTER)");
    for (auto* m : members_)
      if (m != &who && m->state() == State::master) m->group_backup();
  }
  update_state();
}

void SyncGroup::on_own_fault(Instance&) {
  const bool fault = std::any_of(members_.begin(), members_.end(),
                                 [](const Instance* m) { return m->own_fault(); });
  if (fault != fault_) {
    fault_ = fault;
    if (fault) log(Severity::info, "syncing instances to FAULT state");
  }
  for (auto* m : members_) m->set_group_fault(fault);
  update_state();
}

// FAULT as soon as a member is; otherwise the state all members agree on; a mix (the group
// moving) keeps the last one.
void SyncGroup::update_state() {
  if (members_.empty()) return;
  State next = state_;
  if (std::any_of(members_.begin(), members_.end(), [](const Instance* m) { return m->state() == State::fault; })) {
    next = State::fault;
  } else {
    const State first = members_.front()->state();
    if (std::all_of(members_.begin(), members_.end(), [&](const Instance* m) { return m->state() == first; }))
      next = first;
  }
  if (next == state_) return;
  state_ = next;
  log(Severity::info, "entering " + std::string(to_string(next)) + " state");
  notify(next);
}

void SyncGroup::notify(State to) {
  if (fifo_) fifo_->write(fifo_line(FifoSubject::group, config_.name, to, 0));
  const auto& n = config_.notify;
  const std::vector<std::string>* specific = nullptr;
  const RunAs* as = nullptr;
  switch (to) {
    case State::master: specific = &n.master, as = &n.as.master; break;
    case State::backup: specific = &n.backup, as = &n.as.backup; break;
    case State::fault: specific = &n.fault, as = &n.as.fault; break;
    case State::initialize: specific = &n.stop, as = &n.as.stop; break;
  }
  if (specific && !specific->empty()) scripts_.run(*specific, n.timeout, nullptr, *as);
  if (!n.notify.empty()) {
    auto argv = n.notify;
    argv.insert(argv.end(), {"GROUP", config_.name, state_word(to), "0"});
    scripts_.run(std::move(argv), n.timeout, nullptr, n.as.notify);
  }
}

void SyncGroup::log(Severity s, const std::string& message) {
  if (log_.enabled(s)) log_.write(s, "VRRP_Group(" + config_.name + ") " + message);
}

}  // namespace vigil::vrrp::io
