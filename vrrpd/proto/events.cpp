#include "vrrpd/proto/events.hpp"

namespace vigil::vrrp {

std::string_view to_string(State s) {
  switch (s) {
    case State::initialize: return "INIT";
    case State::backup: return "BACKUP";
    case State::master: return "MASTER";
    case State::fault: return "FAULT";
  }
  return "unknown";
}

std::string_view to_string(TimerId t) {
  switch (t) {
    case TimerId::adver: return "adver";
    case TimerId::master_down: return "master_down";
    case TimerId::preempt_delay: return "preempt_delay";
  }
  return "unknown";
}

std::string_view to_string(Reason r) {
  switch (r) {
    case Reason::startup: return "startup";
    case Reason::startup_owner: return "startup as address owner";
    case Reason::master_down_timer: return "master down timer expired";
    case Reason::preempt_delay: return "preempt delay expired";
    case Reason::higher_priority_advert: return "higher priority advert";
    case Reason::shutdown: return "shutdown";
    case Reason::fault_raised: return "fault raised";
    case Reason::fault_cleared: return "fault cleared";
    case Reason::sync_group: return "sync group";
  }
  return "unknown";
}

std::string_view to_string(DiscardReason r) {
  switch (r) {
    case DiscardReason::vrid_mismatch: return "vrid_mismatch";
    case DiscardReason::version_mismatch: return "version_mismatch";
    case DiscardReason::family_mismatch: return "family_mismatch";
    case DiscardReason::adver_int_mismatch: return "adver_int_mismatch";
  }
  return "unknown";
}

}  // namespace vigil::vrrp
