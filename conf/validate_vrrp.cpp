#include <algorithm>
#include <map>
#include <set>

#include "conf/validate.hpp"

namespace vigil::conf {
namespace {


template <class T>
void check_unique_names(const std::vector<T>& items, std::string_view what, Diagnostics& d) {
  std::map<std::string_view, SourceLoc> seen;
  for (const auto& it : items) {
    auto [pos, fresh] = seen.emplace(it.name.value, it.name.loc);
    if (!fresh)
      d.error(it.name.loc, std::string(what) + " " + quoted(it.name.value) + " is defined twice (first at " +
                               d.where(pos->second) + ")");
  }
}

template <class T>
bool defined(const std::vector<T>& items, std::string_view name) {
  return std::any_of(items.begin(), items.end(), [&](const T& t) { return t.name.value == name; });
}

void check_refs(const Config& c, const std::vector<TrackRef>& refs, std::string_view kind,
                Diagnostics& d) {
  for (const auto& r : refs) {
    bool ok = true;
    if (kind == "track_script") {
      auto it = std::find_if(c.vrrp_scripts.begin(), c.vrrp_scripts.end(),
                             [&](const VrrpScript& s) { return s.name.value == r.name; });
      ok = it != c.vrrp_scripts.end();
      if (ok && !it->script.is_set())
        d.warning(r.loc, "track_script " + quoted(r.name) + " has no script and is ignored");
    } else if (kind == "track_file") {
      ok = defined(c.track_files, r.name);
    } else if (kind == "track_process") {
      ok = defined(c.track_processes, r.name);
    } else if (kind == "track_bfd") {
      ok = defined(c.bfd_instances, r.name);
    }
    if (!ok) d.error(r.loc, std::string(kind) + " refers to undefined " + quoted(r.name));
  }
}

Family instance_family(const VrrpInstance& vi) {
  for (const auto& a : vi.virtual_ipaddress) return a.address.address.family();
  for (const auto& a : vi.virtual_ipaddress_excluded) return a.address.address.family();
  if (vi.unicast_src_ip.is_set()) return vi.unicast_src_ip->family();
  if (!vi.unicast_peer.empty()) return vi.unicast_peer.front().address.family();
  return Family::v4;
}

void validate_instance(Config& c, VrrpInstance& vi, Diagnostics& d, const LoadOptions& opt) {
  const std::string name = quoted(vi.name.value);
  if (!vi.virtual_router_id.is_set())
    d.error(vi.name.loc, "vrrp_instance " + name + " has no virtual_router_id");
  if (!vi.interface.is_set()) {
    if (c.global.default_interface.is_set())
      vi.interface.assign(*c.global.default_interface, c.global.default_interface.loc);
    else
      d.error(vi.name.loc, "vrrp_instance " + name + " has no interface");
  }
  if (vi.interface.is_set() && opt.check_host_interfaces &&
      std::find(opt.host_interfaces.begin(), opt.host_interfaces.end(), *vi.interface) ==
          opt.host_interfaces.end())
    d.warning(vi.interface.loc, "interface " + quoted(*vi.interface) +
                                    " does not exist on this host; the instance waits in FAULT");

  // Address families: VIPs of one instance share a family; IPv6 means VRRPv3.
  const Family fam = instance_family(vi);
  for (const auto* list : {&vi.virtual_ipaddress, &vi.virtual_ipaddress_excluded})
    for (const auto& a : *list)
      if (list == &vi.virtual_ipaddress && a.address.address.family() != fam)
        d.error(a.loc, "vrrp_instance " + name + " mixes IPv4 and IPv6 virtual addresses; put " +
                           a.address.to_string() + " in virtual_ipaddress_excluded or another instance");
  if (!vi.version.is_set()) {
    if (fam == Family::v6)
      vi.version.assign_default(3);
    else if (c.global.vrrp_version.is_set())
      vi.version.assign(*c.global.vrrp_version, c.global.vrrp_version.loc);
    else
      vi.version.assign_default(2);
  } else if (*vi.version == 2 && fam == Family::v6) {
    d.error(vi.version.loc, "vrrp_instance " + name + " has IPv6 addresses, which need version 3");
  }
  // advert_int: v2 whole seconds 1-255 (RFC 3768 5.3.7); v3 centiseconds 1-4095 (RFC 5798 5.2.7).
  if (vi.advert_int_us.is_set()) {
    const long long us = *vi.advert_int_us;
    if (*vi.version == 2 && (us % 1'000'000 != 0 || us < 1'000'000 || us > 255'000'000))
      d.error(vi.advert_int_us.loc, "advert_int for VRRPv2 must be whole seconds, 1-255");
    if (*vi.version == 3 && (us < 10'000 || us > 40'950'000))
      d.error(vi.advert_int_us.loc, "advert_int for VRRPv3 must be 0.01-40.95 seconds");
    else if (*vi.version == 3 && us % 10'000 != 0)
      d.warning(vi.advert_int_us.loc, "advert_int is rounded to whole centiseconds in VRRPv3");
  } else {
    vi.advert_int_us.assign_default(1'000'000);
  }
  if (!vi.priority.is_set()) vi.priority.assign_default(100);
  if (vi.state.is_set() && *vi.state == VrrpState::backup && *vi.priority == 255)
    d.warning(vi.state.loc, "vrrp_instance " + name + " has priority 255 (address owner) but state BACKUP");
  if (vi.nopreempt.is_set() && vi.state.is_set() && *vi.state == VrrpState::master)
    d.warning(vi.nopreempt.loc, "nopreempt needs state BACKUP; vrrp_instance " + name + " will start as BACKUP");

  // Unicast: source and peers of the instance's family.
  if (vi.unicast_src_ip.is_set() && vi.unicast_src_ip->family() != fam)
    d.error(vi.unicast_src_ip.loc, "unicast_src_ip is not of the family of the instance's addresses");
  for (const auto& p : vi.unicast_peer)
    if (p.address.family() != fam)
      d.error(p.loc, "unicast_peer " + p.address.to_string() + " is not of the instance's address family");
  if (vi.mcast_src_ip.is_set() && vi.mcast_src_ip->family() != fam)
    d.error(vi.mcast_src_ip.loc, "mcast_src_ip is not of the family of the instance's addresses");

  if (vi.authentication.is_set()) {
    const auto& a = *vi.authentication;
    if (*vi.version == 3)
      d.warning(vi.authentication.loc, "authentication is not part of VRRPv3 and is ignored");
    else if (a.auth_type.is_set() && *a.auth_type == Authentication::Type::pass && !a.auth_pass.is_set())
      d.error(vi.authentication.loc, "auth_type PASS needs an auth_pass");
    else if (a.auth_type.is_set() && *a.auth_type == Authentication::Type::ah)
      d.warning(a.auth_type.loc, "auth_type AH is not supported (RFC 3768 removed it); adverts are sent without authentication");
    if (a.auth_pass.is_set() && a.auth_pass->size() > 8)
      d.warning(a.auth_pass.loc, "auth_pass is longer than 8 characters; only the first 8 are used");
  }
  check_refs(c, vi.track_script, "track_script", d);
  check_refs(c, vi.track_file, "track_file", d);
  check_refs(c, vi.track_process, "track_process", d);
  check_refs(c, vi.track_bfd, "track_bfd", d);
  if (opt.check_host_interfaces)
    for (const auto& t : vi.track_interface)
      if (std::find(opt.host_interfaces.begin(), opt.host_interfaces.end(), t.name) == opt.host_interfaces.end())
        d.warning(t.loc, "tracked interface " + quoted(t.name) + " does not exist on this host");

  // Defaults from global_defs.
  const auto& g = c.global;
  vi.garp_master_delay.inherit(g.vrrp_garp_master_delay);
  vi.garp_master_repeat.inherit(g.vrrp_garp_master_repeat);
  vi.garp_master_refresh.inherit(g.vrrp_garp_master_refresh);
  vi.garp_master_refresh_repeat.inherit(g.vrrp_garp_master_refresh_repeat);
  vi.garp_lower_prio_delay.inherit(g.vrrp_garp_lower_prio_delay);
  vi.garp_lower_prio_repeat.inherit(g.vrrp_garp_lower_prio_repeat);
  vi.garp_interval_us.inherit(g.vrrp_garp_interval_us);
  vi.gna_interval_us.inherit(g.vrrp_gna_interval_us);
  vi.skip_check_adv_addr.inherit(g.vrrp_skip_check_adv_addr);
  vi.check_unicast_src.inherit(g.vrrp_check_unicast_src);
  vi.strict_mode.inherit(g.vrrp_strict);
  vi.lower_prio_no_advert.inherit(g.vrrp_lower_prio_no_advert);
  vi.higher_prio_send_advert.inherit(g.vrrp_higher_prio_send_advert);
  if (!vi.garp_master_delay.is_set()) vi.garp_master_delay.assign_default(5);
  if (!vi.garp_master_repeat.is_set()) vi.garp_master_repeat.assign_default(5);
  if (!vi.state.is_set()) vi.state.assign_default(VrrpState::backup);
}

}  // namespace

void validate_vrrp(Config& c, Diagnostics& d, const LoadOptions& opt) {
  check_unique_names(c.vrrp_instances, "vrrp_instance", d);
  check_unique_names(c.vrrp_scripts, "vrrp_script", d);
  check_unique_names(c.track_files, "track_file", d);
  check_unique_names(c.track_processes, "vrrp_track_process", d);
  check_unique_names(c.sync_groups, "vrrp_sync_group", d);
  check_unique_names(c.bfd_instances, "bfd_instance", d);

  for (auto& s : c.vrrp_scripts)
    if (!s.script.is_set())
      d.warning(s.name.loc, "vrrp_script " + quoted(s.name.value) + " has no script; it is ignored");
  for (auto& f : c.track_files)
    if (!f.file.is_set()) d.error(f.name.loc, "track_file " + quoted(f.name.value) + " has no file");
  for (auto& p : c.track_processes)
    if (!p.process.is_set()) d.error(p.name.loc, "vrrp_track_process " + quoted(p.name.value) + " has no process");
  std::map<IpAddress, SourceLoc> bfd_peers;
  for (const auto& b : c.bfd_instances) {
    if (!b.neighbor_ip.is_set()) {
      d.error(b.name.loc, "bfd_instance " + quoted(b.name.value) + " has no neighbor_ip");
      continue;
    }
    if (b.source_ip.is_set() && b.source_ip->family() != b.neighbor_ip->family())
      d.error(b.source_ip.loc, "bfd_instance " + quoted(b.name.value) + ": source_ip is not of neighbor_ip's family");
    // Sessions are told apart by the peer's address until it knows our discriminator.
    if (auto [pos, fresh] = bfd_peers.emplace(*b.neighbor_ip, b.neighbor_ip.loc); !fresh)
      d.error(b.neighbor_ip.loc, "bfd_instance " + quoted(b.name.value) + ": neighbor " + b.neighbor_ip->to_string() +
                                     " already has a session (at " + d.where(pos->second) + ")");
  }
  for (auto& vi : c.vrrp_instances) validate_instance(c, vi, d, opt);

  // One VRID per interface and family.
  std::map<std::tuple<std::string, Family, long long>, const VrrpInstance*> vrids;
  for (const auto& vi : c.vrrp_instances) {
    if (!vi.virtual_router_id.is_set() || !vi.interface.is_set()) continue;
    auto key = std::make_tuple(*vi.interface, instance_family(vi), *vi.virtual_router_id);
    auto [it, fresh] = vrids.emplace(key, &vi);
    if (!fresh && vi.unicast_peer.empty() && it->second->unicast_peer.empty())
      d.error(vi.virtual_router_id.loc,
              "virtual_router_id " + std::to_string(*vi.virtual_router_id) + " of " + quoted(vi.name.value) +
                  " is already used on " + quoted(*vi.interface) + " by " + quoted(it->second->name.value) +
                  " (at " + d.where(it->second->virtual_router_id.loc) + ")");
  }

  // Sync groups: members exist, and belong to one group only.
  std::map<std::string, std::string> member_of;
  for (auto& sg : c.sync_groups) {
    if (sg.group.empty())
      d.warning(sg.name.loc, "vrrp_sync_group " + quoted(sg.name.value) + " has no group { } of instances; it is ignored");
    for (const auto& m : sg.group) {
      auto it = std::find_if(c.vrrp_instances.begin(), c.vrrp_instances.end(),
                             [&](const VrrpInstance& vi) { return vi.name.value == m.value; });
      if (it == c.vrrp_instances.end()) {
        d.error(m.loc, "vrrp_sync_group " + quoted(sg.name.value) + " refers to undefined vrrp_instance " + quoted(m.value));
        continue;
      }
      // keepalived ignores weighted tracking of a group member unless the group allows it.
      if (!sg.sync_group_tracking_weight.is_set() || !*sg.sync_group_tracking_weight) {
        for (const auto* list : {&it->track_script, &it->track_interface, &it->track_file,
                                 &it->track_process, &it->track_bfd})
          for (const auto& t : *list) {
            std::optional<long long> w = t.weight;
            if (!w && list == &it->track_script)
              for (const auto& scr : c.vrrp_scripts)
                if (scr.name.value == t.name && scr.weight.is_set()) w = *scr.weight;
            if (w && *w != 0)
              d.warning(t.loc, "weight of tracked " + quoted(t.name) + " is ignored: vrrp_instance " +
                                   quoted(m.value) + " is in vrrp_sync_group " + quoted(sg.name.value) +
                                   " (set sync_group_tracking_weight to allow it)");
          }
      }
      auto [pos, fresh] = member_of.emplace(m.value, sg.name.value);
      if (!fresh)
        d.error(m.loc, "vrrp_instance " + quoted(m.value) + " is already in vrrp_sync_group " + quoted(pos->second));
      else
        it->sync_group.assign(sg.name.value, m.loc);
    }
    check_refs(c, sg.track_script, "track_script", d);
    check_refs(c, sg.track_file, "track_file", d);
    check_refs(c, sg.track_process, "track_process", d);
    check_refs(c, sg.track_bfd, "track_bfd", d);
  }

  // The deprecated per-instance form becomes the global one (keepalived does the same).
  for (const auto& vi : c.vrrp_instances) {
    if (!vi.lvs_sync_daemon_interface.is_set()) continue;
    if (c.global.lvs_sync_daemon.is_set()) {
      d.warning(vi.lvs_sync_daemon_interface.loc,
                "lvs_sync_daemon_interface is ignored: global_defs has lvs_sync_daemon");
      continue;
    }
    d.warning(vi.lvs_sync_daemon_interface.loc,
              "lvs_sync_daemon_interface is deprecated; read as global_defs lvs_sync_daemon " +
                  *vi.lvs_sync_daemon_interface + " " + vi.name.value);
    LvsSyncDaemon sd;
    sd.interface = *vi.lvs_sync_daemon_interface;
    sd.instance = vi.name.value;
    c.global.lvs_sync_daemon.assign(sd, vi.lvs_sync_daemon_interface.loc);
  }
  if (c.global.lvs_sync_daemon.is_set()) {
    const auto& sd = *c.global.lvs_sync_daemon;
    if (!sd.instance.empty() && !defined(c.vrrp_instances, sd.instance))
      d.error(c.global.lvs_sync_daemon.loc, "lvs_sync_daemon refers to undefined vrrp_instance " + quoted(sd.instance));
  }
}

}  // namespace vigil::conf
