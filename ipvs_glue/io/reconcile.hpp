// reconcile(): dump the kernel, plan, apply; on a race (EEXIST, ENOENT, ESRCH: someone
// changed the table between our dump and our writes) dump and plan again. Synchronous over
// the port; the driver decides when to call it (start, reload, periodic, on demand).
#pragma once
#include <set>
#include <string>
#include <vector>

#include "ipvs_glue/io/port.hpp"

namespace vigil::ipvs {

struct ReconcileReport {
  std::size_t ops{};     // operations applied, over all rounds
  std::size_t writes{};  // write requests sent, over all rounds
  std::size_t rounds{};  // dump-plan-apply rounds
  std::vector<ServiceKey> foreign;  // left alone (from the first dump)
  std::vector<OpFailure> failures;  // those of the last round
  std::string summary;              // what the first plan changed, one line
  bool ok() const { return failures.empty(); }
};

// Stops when a plan is empty, when the last apply had no race, when a re-plan repeats the
// plan that just failed (a persistent error such as a missing scheduler), or after
// max_rounds.
Result<ReconcileReport, IpvsError> reconcile(IpvsPort& port, const IpvsTable& desired,
                                             const std::set<ServiceKey>& owned,
                                             int max_rounds = 3);

}  // namespace vigil::ipvs
