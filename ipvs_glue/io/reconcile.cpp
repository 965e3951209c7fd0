#include "ipvs_glue/io/reconcile.hpp"

#include <cerrno>
#include <type_traits>

namespace vigil::ipvs {
namespace {

const ServiceKey& service_of(const IpvsOp& op) {
  return std::visit(
      [](const auto& o) -> const ServiceKey& {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, AddService> || std::is_same_v<T, EditService>)
          return o.service.key;
        else if constexpr (std::is_same_v<T, DelService>)
          return o.key;
        else
          return o.service;
      },
      op);
}

// Whether a failure says the kernel changed under us (worth a re-plan) rather than a
// persistent refusal. ENOENT on a service op is a missing scheduler or engine module, and
// ESRCH on the destinations of a service whose add failed is only its consequence.
bool any_race(const std::vector<OpFailure>& failures, const std::vector<IpvsOp>& ops) {
  std::set<ServiceKey> failed_adds;
  for (const auto& f : failures)
    if (std::holds_alternative<AddService>(ops[f.index])) failed_adds.insert(service_of(ops[f.index]));
  for (const auto& f : failures) {
    const IpvsOp& op = ops[f.index];
    const bool service_op = std::holds_alternative<AddService>(op) || std::holds_alternative<EditService>(op);
    if (f.err == EEXIST) return true;
    if (f.err == ENOENT && !service_op) return true;
    if (f.err == ESRCH && !failed_adds.contains(service_of(op))) return true;
  }
  return false;
}

}  // namespace

Result<ReconcileReport, IpvsError> reconcile(IpvsPort& port, const IpvsTable& desired,
                                             const std::set<ServiceKey>& owned, int max_rounds) {
  ReconcileReport report;
  std::vector<IpvsOp> last;
  while (report.rounds < static_cast<std::size_t>(max_rounds)) {
    auto current = port.dump();
    if (!current) return unexpected(current.error());
    Plan p = plan(*current, desired, owned);
    if (report.rounds == 0) {
      report.foreign = p.foreign;
      report.summary = summarize(p, &*current);
    }
    if (p.ops.empty()) {
      report.failures.clear();  // converged, whatever failed on the way
      break;
    }
    if (report.rounds > 0 && p.ops == last) break;  // the same failure again
    ++report.rounds;
    auto applied = port.apply(p.ops);
    if (!applied) return unexpected(applied.error());
    report.ops += p.ops.size();
    report.writes += applied->writes;
    report.failures = std::move(applied->failures);
    if (!any_race(report.failures, p.ops)) break;
    last = std::move(p.ops);
  }
  return report;
}

}  // namespace vigil::ipvs
