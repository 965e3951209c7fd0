#include "ipvs_glue/model/plan.hpp"

#include <map>

namespace vigil::ipvs {
namespace {

using ServiceIndex = std::map<ServiceKey, const Service*>;

ServiceIndex index_services(const IpvsTable& t) {
  ServiceIndex idx;
  for (const auto& s : t.services) idx.emplace(s.key, &s);  // first wins
  return idx;
}

std::map<DestKey, const Dest*> index_dests(const Service& s) {
  std::map<DestKey, const Dest*> idx;
  for (const auto& d : s.dests) idx.emplace(d.key(), &d);
  return idx;
}

Service without_dests(const Service& s) {
  Service out = s;
  out.dests.clear();
  out.stats = {};
  return out;
}

Dest settings_only(const Dest& d) {
  Dest out = d;
  out.active_conns = out.inactive_conns = out.persist_conns = 0;
  out.stats = {};
  return out;
}

void delete_stale_dests(const Service& cur, const Service& want, std::vector<IpvsOp>& ops) {
  const auto wanted = index_dests(want);
  for (const auto& d : cur.dests)
    if (!wanted.contains(d.key())) ops.push_back(DelDest{cur.key, d.key()});
}

void converge_dests(const Service* cur, const Service& want, std::vector<IpvsOp>& ops) {
  std::map<DestKey, const Dest*> have;
  if (cur) have = index_dests(*cur);
  std::set<DestKey> done;
  for (const auto& d : want.dests) {
    if (!done.insert(d.key()).second) continue;  // duplicate: first wins
    auto it = have.find(d.key());
    if (it == have.end())
      ops.push_back(AddDest{want.key, settings_only(d)});
    else if (!same_settings(*it->second, d))
      ops.push_back(EditDest{want.key, settings_only(d)});
  }
}

}  // namespace

Plan plan(const IpvsTable& current, const IpvsTable& desired, const std::set<ServiceKey>& owned) {
  Plan p;
  const ServiceIndex have = index_services(current);
  const ServiceIndex want = index_services(desired);
  auto is_owned = [&](const ServiceKey& k) { return owned.contains(k) || want.contains(k); };

  // 1. Destination deletes in services that stay; 2. deletes of owned services not wanted.
  for (const auto& [key, cur] : have)
    if (auto w = want.find(key); w != want.end()) delete_stale_dests(*cur, *w->second, p.ops);
  for (const auto& [key, cur] : have) {
    if (!is_owned(key))
      p.foreign.push_back(key);
    else if (!want.contains(key))
      p.ops.push_back(DelService{key});
  }
  // 3. Per desired service: its edit or add, then its destinations.
  std::set<ServiceKey> done;
  for (const auto& s : desired.services) {
    if (!done.insert(s.key).second) continue;
    auto h = have.find(s.key);
    const Service* cur = h == have.end() ? nullptr : h->second;
    if (!cur)
      p.ops.push_back(AddService{without_dests(s)});
    else if (!same_settings(*cur, s))
      p.ops.push_back(EditService{without_dests(s)});
    converge_dests(cur, s, p.ops);
  }
  return p;
}

}  // namespace vigil::ipvs
