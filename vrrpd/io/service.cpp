#include "vrrpd/io/service.hpp"

#include <algorithm>

namespace vigil::vrrp::io {
namespace {

std::string family_name(Family f) { return f == Family::v4 ? "IPv4" : "IPv6"; }

std::string drop_name(const Drop& d) {
  return std::visit([](auto reason) { return std::string(to_string(reason)); }, d);
}

}  // namespace

Service::Service(std::vector<InstanceConfig> configs, Ports ports) : ports_(ports) {
  for (auto& c : configs) {
    Instance::Ports p{nullptr, ports_.vips, ports_.arp, ports_.scripts, ports_.timers, ports_.log};
    instances_.push_back(std::make_unique<Instance>(std::move(c), p));
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

void Service::start(const LinkState& link_up) {
  if (std::exchange(started_, true)) return;
  // Every instance's listener and groups first: a socket joins all its groups when opened.
  endpoint_of_.assign(instances_.size(), nullptr);
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    const auto& c = instances_[i]->config();
    if (c.ifindex == 0) continue;
    Endpoint& e = endpoint_for(c);
    e.demux.add(i, listener(c));
    for (const auto& d : c.destinations)
      if (d.is_multicast() && std::find(e.config.groups.begin(), e.config.groups.end(), d) == e.config.groups.end())
        e.config.groups.push_back(d);
    endpoint_of_[i] = &e;
  }
  for (auto& e : endpoints_) open(*e);
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    auto& inst = *instances_[i];
    const auto& c = inst.config();
    Endpoint* e = endpoint_of_[i];
    if (!e && ports_.log.enabled(Severity::warning))
      ports_.log.write(Severity::warning, "(" + c.name + ") interface " + c.interface +
                                              " does not exist: the instance stays in FAULT");
    if (e && e->socket) inst.set_transport(e->socket.get());
    const bool usable = e && e->socket && link_up(c.ifindex);
    inst.start(usable);
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
}

void Service::on_packet(Endpoint& e, const RxPacket& p) {
  auto outcome = e.demux.classify(p);
  if (auto* d = std::get_if<Demux::Delivery>(&outcome)) return instances_[d->id]->receive(d->input);
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

void Service::stop() {
  if (!std::exchange(started_, false)) return;
  for (auto& i : instances_) i->stop();
}

void Service::on_link(const LinkEvent& ev) {
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    auto& inst = *instances_[i];
    if (inst.config().ifindex != ev.ifindex) continue;
    // Without a socket the instance stays in FAULT whatever the link does.
    if (!endpoint_of_.empty() && endpoint_of_[i] && endpoint_of_[i]->socket) inst.set_link(ev.up);
  }
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
                         std::to_string(i->announcer().sent()));
  }
  for (const auto& e : endpoints_) {
    const auto& c = e->demux.counters();
    std::string line = label(*e) + "received " + std::to_string(c.delivered_count()) +
                       ", dropped " + std::to_string(c.dropped());
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
