#include "vrrpd/io/service.hpp"

#include <algorithm>
#include <array>

#include "vrrpd/io/instance_config.hpp"
#include "vrrpd/io/net.hpp"

namespace vigil::vrrp::io {
namespace {

std::string family_name(Family f) { return f == Family::v4 ? "IPv4" : "IPv6"; }

std::string drop_name(const Drop& d) {
  return std::visit([](auto reason) { return std::string(to_string(reason)); }, d);
}

}  // namespace

Service::Service(std::vector<InstanceConfig> configs, Ports ports, Options options)
    : ports_(ports), options_(std::move(options)), deadlines_(ports_.timers, DeadlineTable::Wake::precise),
      advert_deadlines_(ports_.timers, DeadlineTable::Wake::urgent) {
  // A precise wait's spin stops for a packet waiting on any of the sockets.
  deadlines_.set_input_waiting([this] {
    for (const auto& e : endpoints_)
      if (e->socket && e->socket->input_waiting()) return true;
    return false;
  });
  for (auto& c : configs) {
    Instance::Ports p{nullptr,       ports_.vips, ports_.arp,    ports_.scripts, ports_.timers,
                      ports_.log,    ports_.routes, ports_.fifo, &deadlines_, &advert_deadlines_};
    instances_.push_back(std::make_unique<Instance>(std::move(c), p));
  }
  for (auto& spec : options_.scripts)
    scripts_.push_back(std::make_unique<ScriptTracker>(
        spec, ports_.scripts, ports_.timers, ports_.log,
        [this](const std::string& name, ScriptState st) {
          if (objects_.set_script(name, st)) retrack(TrackKind::script, name);
        }));
  for (auto& g : options_.groups) {
    auto group = std::make_unique<SyncGroup>(g, ports_.scripts, ports_.log, ports_.fifo);
    for (const auto& name : g.members)
      for (auto& i : instances_)
        if (i->config().name == name) group->add(*i);
    groups_.push_back(std::move(group));
  }
}

Service::Endpoint& Service::endpoint_for(const InstanceConfig& c) {
  const Family f = c.router.primary_address.family();
  for (auto& e : endpoints_)
    if (e->config.ifindex == c.ifindex && e->config.family == f) return *e;
  auto e = std::make_unique<Endpoint>(Endpoint{{f, c.interface, c.ifindex, {}}, nullptr, Demux(c.ifindex)});
  endpoints_.push_back(std::move(e));
  return *endpoints_.back();
}

std::string Service::label(const Endpoint& e) const {
  return "(" + e.config.ifname + " " + family_name(e.config.family) + ") ";
}

// An instance's listener and groups on the endpoint of its interface and family. Before
// start the sockets open later with every group; after start (an interface that appeared)
// the endpoint's socket is opened, or reopened when it must join another group.
void Service::attach(std::size_t i) {
  const auto& c = instances_[i]->config();
  Endpoint* old = endpoint_of_[i];
  if (old) old->demux.remove(i);
  endpoint_of_[i] = nullptr;
  if (c.ifindex == 0) return;
  Endpoint& e = endpoint_for(c);
  e.demux.add(i, listener(c));
  bool joined = false;
  for (const auto& d : c.destinations)
    if (d.is_multicast() && std::find(e.config.groups.begin(), e.config.groups.end(), d) == e.config.groups.end()) {
      e.config.groups.push_back(d);
      joined = true;
    }
  endpoint_of_[i] = &e;
  if (!started_) return;
  if (!e.socket || joined) {
    e.socket.reset();
    e.failed = false;
    open(e);
    for (std::size_t j = 0; j < instances_.size(); ++j)
      if (endpoint_of_[j] == &e) instances_[j]->set_transport(e.socket.get());
  }
}

void Service::index_vips() {
  vip_owners_.clear();
  unresolved_ = false;
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    const auto& c = instances_[i]->config();
    for (const auto& v : c.vips) vip_owners_[{v.ifindex, v.address.address}].push_back(i);
    if (c.router.primary_address.bytes() == std::array<std::uint8_t, 16>{}) unresolved_ = true;
  }
}

void Service::start(const LinkState& link_up) {
  if (std::exchange(started_, true)) return;
  // use_vmac: the macvlans first; the instances' sockets and VIPs are on them.
  vmacs_.assign(instances_.size(), std::nullopt);
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    if (!instances_[i]->config().vmac) continue;
    auto c = instances_[i]->config();
    const int before = c.ifindex;
    if (prepare_vmac(i, c) || c.ifindex != before) instances_[i]->rebind(std::move(c), false);
  }
  index_vips();
  // Every instance's listener and groups first: a socket joins all its groups when opened.
  started_ = false;
  endpoint_of_.assign(instances_.size(), nullptr);
  for (std::size_t i = 0; i < instances_.size(); ++i) attach(i);
  started_ = true;
  for (auto& e : endpoints_) open(*e);
  for (const auto& v : options_.static_addresses)
    if (auto added = ports_.vips.add(v); !added) ports_.log.write(Severity::warning, "static address: " + added.error());
  if (ports_.routes) {
    for (const auto& r : options_.static_routes)
      if (auto added = ports_.routes->add(r); !added) ports_.log.write(Severity::warning, "static " + added.error());
    for (const auto& r : options_.static_rules)
      if (auto added = ports_.routes->add(r); !added) ports_.log.write(Severity::warning, "static " + added.error());
  }
  // Tracked objects: interfaces as they are now; scripts from their first run; files as the
  // daemon read them.
  for (const auto& inst : instances_)
    for (const auto& t : inst->config().track)
      if (t.kind == TrackKind::interface)
        objects_.set_interface(t.name, options_.interface_up && options_.interface_up(t.name));
  for (auto& inst : instances_) inst->set_tracking(evaluate(inst->config().track, objects_));
  for (auto& st : scripts_) st->start();
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    auto& inst = *instances_[i];
    const auto& c = inst.config();
    Endpoint* e = endpoint_of_[i];
    if (!e && ports_.log.enabled(Severity::warning))
      ports_.log.write(Severity::warning, "(" + c.name + ") interface " + c.interface +
                                              " does not exist: the instance stays in FAULT");
    if (e && e->socket) inst.set_transport(e->socket.get());
    bool usable = e && e->socket && link_up(c.ifindex);
    if (auto& v = vmacs_[i]) {
      v->base_up = link_up(v->link.base_ifindex);
      v->vmac_up = link_up(v->link.ifindex);
      usable = e && e->socket && v->base_up && v->vmac_up;
    }
    inst.start(usable);
  }
}

void Service::retrack(TrackKind kind, const std::string& name) {
  for (auto& inst : instances_) {
    const auto& track = inst->config().track;
    if (std::any_of(track.begin(), track.end(),
                    [&](const TrackItem& t) { return t.kind == kind && t.name == name; }))
      inst->set_tracking(evaluate(track, objects_));
  }
}

void Service::set_file_value(const std::string& name, long long value) {
  if (objects_.set_file(name, value)) {
    if (ports_.log.enabled(Severity::info))
      ports_.log.write(Severity::info, "track_file " + name + " is now " + std::to_string(value));
    if (started_) retrack(TrackKind::file, name);
  }
}

void Service::set_bfd_state(const std::string& name, bool up) {
  if (!objects_.set_bfd(name, up)) return;
  if (ports_.log.enabled(Severity::info))
    ports_.log.write(Severity::info, "track_bfd " + name + " is now " + (up ? "UP" : "DOWN"));
  if (started_) retrack(TrackKind::bfd, name);
}

// An instance whose interface was missing (or vanished) and now exists: resolve it anew,
// attach it to a socket, start it.
void Service::try_rebind(const std::string& ifname) {
  if (!started_ || !options_.resolve) return;
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    auto& inst = *instances_[i];
    if (configured_interface(inst.config()) != ifname) continue;
    const bool runnable = endpoint_of_[i] && endpoint_of_[i]->socket && inst.link_up();
    if (runnable || (inst.state() != State::fault && inst.state() != State::initialize)) continue;
    auto c = options_.resolve(inst.config().name);
    if (!c || c->ifindex == 0) continue;
    if (c->vmac) {
      // The base came back (a new one: its macvlan went with the old).
      if (vmacs_[i] && !vmacs_[i]->gone && vmacs_[i]->link.base_ifindex == c->vmac->base_ifindex &&
          endpoint_of_[i] && endpoint_of_[i]->socket)
        continue;
      release_vmac(i);
      if (!prepare_vmac(i, *c)) continue;
    } else if (c->ifindex == inst.config().ifindex && endpoint_of_[i] && endpoint_of_[i]->socket) {
      continue;
    }
    c->track = inst.config().track;
    c->sync_group = inst.config().sync_group;
    if (!inst.rebind(std::move(*c), false)) continue;
    index_vips();
    attach(i);
    Endpoint* e = endpoint_of_[i];
    if (e && e->socket) {
      inst.set_transport(e->socket.get());
      inst.set_link(options_.interface_up ? options_.interface_up(ifname) : true);
      if (auto& v = vmacs_[i]) v->base_up = v->vmac_up = inst.link_up();
    }
  }
}

void Service::open(Endpoint& e) {
  auto s = ports_.sockets.open(e.config);
  if (!s) {
    e.failed = true;
    ports_.log.write(Severity::error, label(e) + "cannot open the VRRP socket: " + s.error() +
                                          "; its instances stay in FAULT");
    return;
  }
  e.socket = std::move(*s);
  e.socket->start([this, &e](const RxPacket& p) { on_packet(e, p); },
                  [this, &e](RxDrop d) { on_drop(e, d, nullptr); });
  e.socket->set_on_send_error([this, &e](const IpAddress& dst, int err) {
    ++e.send_errors;
    if (ports_.log.enabled(Severity::warning) && e.send_error_log.allow(ports_.timers.now()))
      ports_.log.write(Severity::warning, label(e) + "cannot send an advert to " + dst.to_string() + ": " + errno_text(err));
  });
}

void Service::on_packet(Endpoint& e, const RxPacket& p) {
  // Decoded into the same Input every time: no allocation per advert.
  auto outcome = e.demux.classify(p, std::get<AdvertReceived>(rx_));
  if (auto* id = std::get_if<Demux::Id>(&outcome)) return instances_[*id]->receive(rx_, p.arrived);
  on_drop(e, std::get<Drop>(outcome), &p.src);
}

// The Demux counted it already (the socket layer's own drops are counted here).
void Service::on_drop(Endpoint& e, const Drop& d, const IpAddress* src) {
  if (!src) {
    // Socket-level drops do not pass through the Demux: count them on its counters' side.
    e.demux.count(std::get<RxDrop>(d));
  }
  if (!ports_.log.enabled(Severity::debug) || !e.drop_log.allow(ports_.timers.now())) return;
  ports_.log.write(Severity::debug, label(e) + "dropped a message" +
                                        (src ? " from " + src->to_string() : std::string()) +
                                        ": " + drop_name(d));
}

void Service::flush_sends() {
  for (auto& e : endpoints_)
    if (e->socket) e->socket->flush();
}

void Service::hand_off() {
  if (!started_ || std::exchange(handed_off_, true)) return;
  // Every Master's priority 0 first, out at once (they are queued), then the removals: the
  // Backups' Skew_Time runs from the first, not after a thousand netlink round trips.
  for (auto& i : instances_) i->stop(true);
  flush_sends();
}

void Service::stop() {
  if (!started_) return;
  hand_off();
  started_ = false;
  for (auto& st : scripts_) st->stop();
  // Last instance first: with promote_secondaries (daemon/vrrp_service.cpp) each deletion
  // of the first address of a subnet promotes the next one, and the first instances'
  // VIPs were most likely added first. Measured with 1,000 VIPs in four /16s: in instance
  // order a's removals ran on into the peer's takeover, which then took 740-1,080 ms, not
  // 630-650.
  for (auto it = instances_.rbegin(); it != instances_.rend(); ++it) (*it)->release();
  ports_.vips.flush();  // the removes the releases queued go now
  // keepalived removes its static rules, routes and addresses on the way out, too.
  if (ports_.routes) {
    for (const auto& r : options_.static_rules) (void)ports_.routes->remove(r);
    for (const auto& r : options_.static_routes) (void)ports_.routes->remove(r);
  }
  for (const auto& v : options_.static_addresses) (void)ports_.vips.remove(v);
  // The macvlans last: their addresses are gone.
  for (std::size_t i = 0; i < vmacs_.size(); ++i) release_vmac(i);
}

void Service::on_link(const LinkEvent& ev) {
  ports_.arp.link_changed(ev.ifindex);
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    auto& inst = *instances_[i];
    if (on_vmac_link(i, ev)) continue;
    if (inst.config().ifindex != ev.ifindex) continue;
    // Without a socket the instance stays in FAULT whatever the link does.
    if (!endpoint_of_.empty() && endpoint_of_[i] && endpoint_of_[i]->socket) inst.set_link(ev.up);
  }
  if (!ev.name.empty() && objects_.set_interface(ev.name, ev.up)) retrack(TrackKind::interface, ev.name);
  if (!ev.removed && !ev.name.empty()) try_rebind(ev.name);
  // A macvlan deleted under a running instance is made anew (its base permitting).
  for (std::size_t i = 0; i < vmacs_.size(); ++i)
    if (vmacs_[i] && vmacs_[i]->gone && vmacs_[i]->link.ifindex == ev.ifindex)
      try_rebind(configured_interface(instances_[i]->config()));
}

void Service::on_addr(const AddrEvent& ev) {
  if (!started_) return;
  if (!ev.removed) {
    // An interface that had no address to send adverts from may have one now.
    if (!unresolved_) return;
    for (const auto& inst : instances_)
      if (inst->config().ifindex == ev.ifindex && inst->state() == State::fault &&
          inst->config().router.primary_address.bytes() == std::array<std::uint8_t, 16>{})
        return try_rebind(configured_interface(inst->config()));
    return;
  }
  if (auto it = vip_owners_.find({ev.ifindex, ev.address.address}); it != vip_owners_.end())
    for (const auto i : it->second)
      for (const auto& v : instances_[i]->config().vips)
        if (v.ifindex == ev.ifindex && v.address.address == ev.address.address) instances_[i]->restore(v);
  for (const auto& v : options_.static_addresses)
    if (v.ifindex == ev.ifindex && v.address.address == ev.address.address) {
      if (auto added = ports_.vips.add(v); added)
        ports_.log.write(Severity::notice, "restored static address " + to_string(v) + " that was deleted");
    }
}

const SyncGroup* Service::group(const std::string& name) const {
  for (const auto& g : groups_)
    if (g->config().name == name) return g.get();
  return nullptr;
}

void Service::dump() {
  for (const auto& i : instances_) {
    const auto& s = i->stats();
    std::uint64_t discarded = 0;
    for (auto n : s.discarded) discarded += n;
    ports_.log.write(Severity::notice,
                     "(" + i->config().name + ") state " + std::string(to_string(i->state())) +
                         ", priority " + std::to_string(i->router().priority()) +
                         ", adverts sent " + std::to_string(s.adverts_sent) + ", send errors " +
                         std::to_string(s.send_errors) + ", discarded " + std::to_string(discarded) +
                         ", address errors " + std::to_string(s.vip_errors) + ", announcements " +
                         std::to_string(i->announcer().sent()) +
                         (i->own_fault() ? ", fault: " + (i->link_up() ? i->tracking().fault_reason : "interface " + i->config().interface + " down") : std::string()));
  }
  for (const auto& e : endpoints_) {
    const auto& c = e->demux.counters();
    std::string line = label(*e) + "received " + std::to_string(c.delivered_count()) +
                       ", dropped " + std::to_string(c.dropped()) + ", send errors " +
                       std::to_string(e->send_errors);
    for (std::size_t r = 0; r < kRxDropCount; ++r)
      if (auto n = c[static_cast<RxDrop>(r)]) line += ", " + std::string(to_string(static_cast<RxDrop>(r))) + " " + std::to_string(n);
    for (std::size_t r = 0; r < kDecodeErrorCount; ++r)
      if (auto n = c[static_cast<DecodeError>(r)]) line += ", " + std::string(to_string(static_cast<DecodeError>(r))) + " " + std::to_string(n);
    ports_.log.write(Severity::notice, line);
  }
}

const Instance* Service::find(const std::string& name) const {
  for (const auto& i : instances_)
    if (i->config().name == name) return i.get();
  return nullptr;
}

const RxCounters* Service::counters(int ifindex, Family family) const {
  for (const auto& e : endpoints_)
    if (e->config.ifindex == ifindex && e->config.family == family) return &e->demux.counters();
  return nullptr;
}

}  // namespace vigil::vrrp::io
