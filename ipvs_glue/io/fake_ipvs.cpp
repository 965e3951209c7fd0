#include "ipvs_glue/io/fake_ipvs.hpp"

#include <algorithm>
#include <cerrno>

namespace vigil::ipvs {
namespace {

struct Applier {
  IpvsTable& t;
  const std::set<std::string>& schedulers;

  int check_service(const Service& s) const {
    if (!schedulers.contains(s.scheduler)) return ENOENT;
    if (!s.pe_name.empty() && s.pe_name != "sip") return ENOENT;
    return 0;
  }
  static Service stored(Service s) {
    s.flags.hashed = true;  // the kernel marks every service it hashes
    s.dests.clear();
    return s;
  }
  int operator()(const AddService& o) {
    if (t.find(o.service.key)) return EEXIST;
    if (int e = check_service(o.service)) return e;
    t.services.push_back(stored(o.service));
    return 0;
  }
  int operator()(const EditService& o) {
    Service* s = t.find(o.service.key);
    if (!s) return ESRCH;
    if (int e = check_service(o.service)) return e;
    Service n = stored(o.service);
    n.dests = std::move(s->dests);
    n.stats = s->stats;
    *s = std::move(n);
    return 0;
  }
  int operator()(const DelService& o) {
    auto n = std::erase_if(t.services, [&](const Service& s) { return s.key == o.key; });
    return n ? 0 : ESRCH;
  }
  int operator()(const AddDest& o) {
    Service* s = t.find(o.service);
    if (!s) return ESRCH;
    if (s->find(o.dest.key())) return EEXIST;
    s->dests.push_back(o.dest);
    return 0;
  }
  int operator()(const EditDest& o) {
    Service* s = t.find(o.service);
    if (!s) return ESRCH;
    Dest* d = s->find(o.dest.key());
    if (!d) return ENOENT;
    const Dest old = *d;
    *d = o.dest;
    d->active_conns = old.active_conns;
    d->inactive_conns = old.inactive_conns;
    d->persist_conns = old.persist_conns;
    d->stats = old.stats;
    return 0;
  }
  int operator()(const DelDest& o) {
    Service* s = t.find(o.service);
    if (!s) return ESRCH;
    auto n = std::erase_if(s->dests, [&](const Dest& d) { return d.key() == o.dest; });
    return n ? 0 : ENOENT;
  }
};

}  // namespace

FakeIpvs::FakeIpvs()
    : schedulers_{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf",
                  "mh", "twos"} {}

Result<void, IpvsError> FakeIpvs::check() const {
  if (available_) return {};
  return unexpected(IpvsError{IpvsError::Kind::unavailable, ENOENT, "kernel IPVS unavailable"});
}

Result<IpvsTable, IpvsError> FakeIpvs::dump() {
  if (auto c = check(); !c) return unexpected(c.error());
  return table_;
}

int FakeIpvs::apply_one(const IpvsOp& op) {
  return std::visit(Applier{table_, schedulers_}, op);
}

Result<ApplyReport, IpvsError> FakeIpvs::apply(std::span<const IpvsOp> ops) {
  if (auto c = check(); !c) return unexpected(c.error());
  ApplyReport r;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    ++writes_;
    ++r.writes;
    int err = 0;
    if (injected_ && injected_->first == i) {
      err = injected_->second;
      injected_.reset();
    } else {
      err = apply_one(ops[i]);
    }
    if (err) r.failures.push_back({i, err, failure_message(ops[i], err, {})});
  }
  return r;
}

Result<std::vector<SyncDaemon>, IpvsError> FakeIpvs::sync_daemons() {
  if (auto c = check(); !c) return unexpected(c.error());
  return daemons_;
}

Result<void, IpvsError> FakeIpvs::start_sync_daemon(const SyncDaemon& d) {
  if (auto c = check(); !c) return unexpected(c.error());
  ++writes_;
  for (const auto& x : daemons_)
    if (x.state == d.state) return unexpected(IpvsError{IpvsError::Kind::kernel, EEXIST, "daemon running"});
  if (d.interface.empty())
    return unexpected(IpvsError{IpvsError::Kind::kernel, ENODEV, "no such interface"});
  SyncDaemon k = kernel_view(d);  // defaults and clamping as the kernel applies them
  if (!k.maxlen) k.maxlen = static_cast<std::uint16_t>(k.group->is_v6() ? 1452 : 1472);
  daemons_.push_back(k);
  std::sort(daemons_.begin(), daemons_.end(),
            [](const SyncDaemon& a, const SyncDaemon& b) { return a.state < b.state; });
  return {};
}

Result<void, IpvsError> FakeIpvs::stop_sync_daemon(SyncState state) {
  if (auto c = check(); !c) return unexpected(c.error());
  ++writes_;
  if (!std::erase_if(daemons_, [&](const SyncDaemon& d) { return d.state == state; }))
    return unexpected(IpvsError{IpvsError::Kind::kernel, ESRCH, "no such daemon"});
  return {};
}

Result<Timeouts, IpvsError> FakeIpvs::timeouts() {
  if (auto c = check(); !c) return unexpected(c.error());
  return timeouts_;
}

Result<void, IpvsError> FakeIpvs::set_timeouts(const Timeouts& t) {
  if (auto c = check(); !c) return unexpected(c.error());
  ++writes_;
  if (t.tcp) timeouts_.tcp = t.tcp;
  if (t.tcp_fin) timeouts_.tcp_fin = t.tcp_fin;
  if (t.udp) timeouts_.udp = t.udp;
  return {};
}

Result<Info, IpvsError> FakeIpvs::info() {
  if (auto c = check(); !c) return unexpected(c.error());
  return Info{0x010201, 4096};
}

Result<void, IpvsError> FakeIpvs::zero(const std::optional<ServiceKey>& service) {
  if (auto c = check(); !c) return unexpected(c.error());
  ++writes_;
  for (auto& s : table_.services) {
    if (service && s.key != *service) continue;
    s.stats = {};
    for (auto& d : s.dests) d.stats = {};
  }
  return {};
}

Result<void, IpvsError> FakeIpvs::flush() {
  if (auto c = check(); !c) return unexpected(c.error());
  ++writes_;
  table_.services.clear();
  return {};
}

}  // namespace vigil::ipvs
