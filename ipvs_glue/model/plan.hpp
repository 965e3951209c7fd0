// plan(): the reconciler. Pure: compares what the kernel holds with what the configuration
// wants and returns the fewest kernel operations, in an order the kernel accepts.
#pragma once
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "ipvs_glue/model/types.hpp"

namespace vigil::ipvs {

// One kernel write each. Services in AddService / EditService carry no destinations.
struct AddService {
  Service service;
  friend bool operator==(const AddService&, const AddService&) = default;
};
struct EditService {
  Service service;
  friend bool operator==(const EditService&, const EditService&) = default;
};
struct DelService {
  ServiceKey key;
  friend bool operator==(const DelService&, const DelService&) = default;
};
struct AddDest {
  ServiceKey service;
  Dest dest;
  friend bool operator==(const AddDest&, const AddDest&) = default;
};
struct EditDest {
  ServiceKey service;
  Dest dest;
  friend bool operator==(const EditDest&, const EditDest&) = default;
};
struct DelDest {
  ServiceKey service;
  DestKey dest;
  friend bool operator==(const DelDest&, const DelDest&) = default;
};
using IpvsOp = std::variant<AddService, EditService, DelService, AddDest, EditDest, DelDest>;

struct Plan {
  std::vector<IpvsOp> ops;
  // Services in the kernel that vigil does not own: left alone, reported (sorted).
  std::vector<ServiceKey> foreign;
};

// `owned` names the services vigil is responsible for (every service its configuration
// declares, including ones it declared before a reload and no longer wants); the services
// of `desired` are owned implicitly. Anything else in `current` is foreign and untouched.
//
// Rules: a service or destination whose key exists on both sides is edited in place
// (SET_*), never deleted and re-added; a service deleted takes its destinations with it (no
// DEL_DEST for them); destination deletes come first, then service deletes, then for each
// desired service in order its edit or add followed by its destination edits and adds.
// Duplicate keys in `desired`: the first wins.
Plan plan(const IpvsTable& current, const IpvsTable& desired, const std::set<ServiceKey>& owned);

// "add service TCP 192.0.2.1:80", "edit dest 10.0.0.2:80 in TCP 192.0.2.1:80 (weight 1 -> 0)"
std::string describe(const IpvsOp& op, const IpvsTable* current = nullptr);
// One line naming what a plan changes: "2 changes: add service ...; delete dest ...", the
// first kSummaryOps of them ("...; ... and N more" after that: a log line, not a listing).
inline constexpr std::size_t kSummaryOps = 32;
std::string summarize(const Plan& p, const IpvsTable* current = nullptr);

}  // namespace vigil::ipvs
