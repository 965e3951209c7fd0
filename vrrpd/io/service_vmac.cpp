// Service: the use_vmac instances' macvlans (vmac.hpp), set up before the sockets open,
// released after the addresses are gone; the instance's link is its base's AND its macvlan's.
#include <algorithm>

#include "vrrpd/io/instance_config.hpp"
#include "vrrpd/io/service.hpp"

namespace vigil::vrrp::io {

// Chooses the macvlan's name (keepalived's order; a name taken by something else, or by
// another instance of ours, is passed over), creates or reuses it, and binds the instance's
// config to it. False (and ifindex 0: the instance stays in FAULT) when it cannot be had.
bool Service::prepare_vmac(std::size_t i, InstanceConfig& c) {
  auto& v = *c.vmac;
  if (v.base_ifindex == 0) return false;  // the base is missing: FAULT until it appears
  const std::string who = "(" + c.name + ") ";
  auto fail = [&](const std::string& why) {
    ports_.log.write(Severity::error, who + "use_vmac: " + why + "; the instance stays in FAULT");
    c.ifindex = 0;
    return false;
  };
  if (!ports_.vmacs) return fail("no netlink socket to create the VMAC interface with");
  const Family family = c.router.primary_address.family();
  auto claimed = [&](const std::string& name) {
    for (std::size_t j = 0; j < vmacs_.size(); ++j)
      if (j != i && vmacs_[j] && vmacs_[j]->link.name == name) return true;
    return false;
  };
  for (const auto& name : vmac_name_candidates(v.name, c.router.vrid, family, v.prefix)) {
    if (claimed(name)) continue;
    const auto use = classify(ports_.vmacs->find(name), v.base_ifindex, v.mac);
    if (use == NameUse::taken) {
      ports_.log.write(Severity::warning, who + "interface " + name + " exists and is not its VMAC; trying another name");
      continue;
    }
    VmacSpec spec{name, v.base, v.base_ifindex, v.mac, family, v.has_ipv6_vips, v.link_local, use == NameUse::reusable};
    auto link = ports_.vmacs->setup(spec);
    if (!link) return fail(link.error());
    ports_.log.write(Severity::notice, who + (spec.reuse ? "reusing" : "created") + " VMAC interface " + name + " (" +
                                           to_string(v.mac) + ") on " + v.base +
                                           (v.xmit_base ? ", adverts on " + v.base : std::string()));
    vmacs_[i] = VmacState{*link, true, true};
    bind_vmac(c, link->name, link->ifindex);
    return true;
  }
  return fail("no free name for the VMAC interface");
}

void Service::release_vmac(std::size_t i) {
  if (i >= vmacs_.size() || !vmacs_[i]) return;
  const auto link = std::exchange(vmacs_[i], std::nullopt)->link;
  const std::string who = "(" + instances_[i]->config().name + ") ";
  if (auto r = ports_.vmacs->release(link); !r)
    ports_.log.write(Severity::warning, who + "VMAC interface " + link.name + ": " + r.error());
  else if (link.owned)
    ports_.log.write(Severity::notice, who + "removed VMAC interface " + link.name);
}

// A link event for the base or the macvlan of a use_vmac instance: its link is up when both
// are (the macvlan follows its base's carrier, but may be set down or deleted on its own).
bool Service::on_vmac_link(std::size_t i, const LinkEvent& ev) {
  if (i >= vmacs_.size() || !vmacs_[i]) return false;
  auto& s = *vmacs_[i];
  if (ev.ifindex != s.link.base_ifindex && ev.ifindex != s.link.ifindex) return true;
  if (ev.ifindex == s.link.base_ifindex) s.base_up = ev.up && !ev.removed;
  // The macvlan's own events trail its set-up (created down, then up): the event may be
  // older than the state, so the state is read anew when the daemon can.
  if (ev.ifindex == s.link.ifindex && ev.removed) s.gone = true;
  if (ev.ifindex == s.link.ifindex)
    s.vmac_up = !ev.removed && (options_.interface_up ? options_.interface_up(s.link.name) : ev.up);
  if (endpoint_of_[i] && endpoint_of_[i]->socket) instances_[i]->set_link(s.base_up && s.vmac_up);
  return true;
}

}  // namespace vigil::vrrp::io
