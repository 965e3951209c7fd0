#include "checkers/core/events.hpp"

#include <chrono>

#include "base/overloaded.hpp"

namespace vigil::checkers {
namespace {

std::string at(TimePoint t) {
  return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count()) + "us";
}

}  // namespace

std::string to_string(RsKey k) { return "vs" + std::to_string(k.vs) + "/rs" + std::to_string(k.rs); }

std::string to_string(CheckerKey k) { return to_string(k.server()) + "/c" + std::to_string(k.checker); }

std::string to_string(NotifyKind k) {
  switch (k) {
    case NotifyKind::rs_up: return "rs_up";
    case NotifyKind::rs_down: return "rs_down";
    case NotifyKind::quorum_up: return "quorum_up";
    case NotifyKind::quorum_down: return "quorum_down";
  }
  return "?";
}

std::string to_string(const Action& a) {
  return std::visit(
      Overloaded{
          [](const StartProbe& p) {
            return "StartProbe " + to_string(p.checker) + " #" + std::to_string(p.probe) + " deadline " + at(p.deadline);
          },
          [](const ArmTimer& t) { return "ArmTimer " + to_string(t.checker) + " at " + at(t.at); },
          [](const SetRealServer& s) {
            return "SetRealServer " + to_string(s.server) +
                   (s.present ? " present weight " + std::to_string(s.weight) : std::string(" absent"));
          },
          [](const SwapSorry& s) { return "SwapSorry vs" + std::to_string(s.vs) + (s.in ? " in" : " out"); },
          [](const Notify& n) {
            return "Notify " + to_string(n.kind) + " " + (n.kind == NotifyKind::rs_up || n.kind == NotifyKind::rs_down
                                                               ? to_string(n.server)
                                                               : "vs" + std::to_string(n.server.vs)) +
                   (n.script ? " script '" + n.script->command + "'" : std::string());
          }},
      a);
}

}  // namespace vigil::checkers
