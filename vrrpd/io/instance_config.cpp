#include "vrrpd/io/instance_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <utility>

#include "vrrpd/io/scripts.hpp"

namespace vigil::vrrp::io {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

IpAddress default_group(Family f, const conf::GlobalDefs& g) {
  if (f == Family::v4)
    return g.vrrp_mcast_group4.is_set() ? *g.vrrp_mcast_group4 : *IpAddress::parse("224.0.0.18");
  return g.vrrp_mcast_group6.is_set() ? *g.vrrp_mcast_group6 : *IpAddress::parse("ff02::12");
}

// What prepare_script learnt about a user or a program, kept for the other scripts.
Result<proc::Credentials, std::string> resolve_cached(const std::string& user, const std::string& group) {
  static std::map<std::pair<std::string, std::string>, Result<proc::Credentials, std::string>> cache;
  auto it = cache.find({user, group});
  if (it == cache.end()) it = cache.emplace(std::pair{user, group}, proc::resolve_user(user, group)).first;
  return it->second;
}

std::optional<std::string> insecure_cached(const std::string& program) {
  static std::map<std::string, std::optional<std::string>> cache;
  auto it = cache.find(program);
  if (it == cache.end()) it = cache.emplace(program, proc::insecure_script(program)).first;
  return it->second;
}

// Prepares a notify script; a refused one is left out with the warning.
std::vector<std::string> notify_script(const conf::Setting<conf::Script>& s, const conf::GlobalDefs& g, RunAs& as,
                                       std::vector<std::string>* warnings) {
  auto p = prepare_script(s, g);
  if (!p.warning.empty() && warnings) warnings->push_back(std::move(p.warning));
  as = std::move(p.as);
  return std::move(p.argv);
}

// RFC 3768 §5.3.6 / keepalived: the password, truncated or zero-padded to 8 bytes.
V2Auth auth_of(const conf::VrrpInstance& vi) {
  V2Auth out;
  if (!vi.authentication.is_set()) return out;
  const auto& a = *vi.authentication;
  if (!a.auth_type.is_set() || *a.auth_type != conf::Authentication::Type::pass) return out;
  out.type = AuthType::pass;
  const auto& pass = *a.auth_pass;
  for (std::size_t i = 0; i < out.data.size() && i < pass.size(); ++i)
    out.data[i] = static_cast<std::byte>(pass[i]);
  return out;
}

Result<Vip, std::string> vip_of(const conf::IpAddressEntry& e, const std::string& interface,
                                const InterfaceLookup& lookup) {
  Vip v;
  v.address = e.address;
  v.dev = e.dev.empty() ? interface : e.dev;
  if (auto info = lookup(v.dev)) v.ifindex = info->ifindex;
  v.broadcast = e.broadcast;
  v.peer = e.peer;
  auto scope = parse_scope(e.scope);
  if (!scope) return unexpected("virtual address " + e.address.to_string() + ": unknown scope '" + e.scope + "'");
  // keepalived ignores scope and label on IPv6 addresses (the kernel has no IPv6 labels).
  const bool v6 = e.address.address.is_v6();
  v.scope = v6 ? 0 : *scope;
  v.label = v6 ? std::string() : e.label;
  // keepalived adds every IPv6 VIP without DAD: a tentative address could neither answer
  // neighbour solicitations nor be announced for the ~1 s DAD takes.
  v.nodad = e.nodad || e.address.address.is_v6();
  v.noprefixroute = e.noprefixroute;
  v.home = e.home;
  return v;
}

// The source of our adverts (RFC 5798 §5.1.1.1 / §5.1.2.1): unicast_src_ip for unicast,
// mcast_src_ip for multicast, else the interface's primary IPv4 / link-local IPv6 address.
std::optional<IpAddress> source_of(const conf::VrrpInstance& vi, Family f,
                                   const std::optional<InterfaceInfo>& info) {
  if (!vi.unicast_peer.empty() && vi.unicast_src_ip.is_set()) return *vi.unicast_src_ip;
  if (vi.mcast_src_ip.is_set()) return *vi.mcast_src_ip;
  if (!info) return std::nullopt;
  return f == Family::v4 ? info->ipv4 : info->ipv6_link_local;
}

bool flag(const conf::Setting<bool>& s) { return s.is_set() && *s; }

// use_vmac [NAME], vmac_xmit_base: the VMAC to set up at start (the Service does it).
std::optional<VmacConfig> vmac_of(const conf::VrrpInstance& vi, const conf::GlobalDefs& global, Family family,
                                  std::uint8_t vrid, const InstanceConfig& c, const std::optional<InterfaceInfo>& info,
                                  std::vector<std::string>& warnings) {
  if (!vi.use_vmac.is_set()) {
    if (flag(vi.vmac_xmit_base)) warnings.push_back("vmac_xmit_base is only valid with use_vmac; ignored");
    return std::nullopt;
  }
  VmacConfig v;
  v.prefix = global.vmac_prefix.is_set() && !global.vmac_prefix->empty() ? *global.vmac_prefix : "vrrp";
  v.name = vmac_name_candidates(*vi.use_vmac, vrid, family, v.prefix).front();
  v.base = c.interface;
  v.base_ifindex = c.ifindex;
  v.mac = vmac_address(vrid, family);
  v.xmit_base = flag(vi.vmac_xmit_base);
  if (v.xmit_base && flag(vi.strict_mode)) {
    warnings.push_back("vmac_xmit_base is incompatible with strict_mode; adverts go out on the VMAC");
    v.xmit_base = false;
  }
  // Unicast adverts are addressed to the base's own address, hence its MAC: they never reach
  // a socket on the macvlan. Without this, both nodes would be Master.
  if (!v.xmit_base && !vi.unicast_peer.empty()) {
    warnings.push_back("use_vmac with unicast_peer: the peers' adverts arrive on " + c.interface +
                       ", so adverts are sent and received there (as vmac_xmit_base)");
    v.xmit_base = true;
  }
  if (flag(vi.use_vmac_addr)) warnings.push_back("use_vmac_addr is not supported; ignored");
  for (const auto& e : vi.virtual_ipaddress_excluded)
    if (e.address.address.is_v6()) v.has_ipv6_vips = true;
  if (family == Family::v6 && info) {
    const std::optional<IpAddress> src =
        vi.mcast_src_ip.is_set() ? std::optional<IpAddress>(*vi.mcast_src_ip) : std::nullopt;
    v.link_local = vmac_link_local(src, info->ipv6_link_local, info->mac);
  }
  return v;
}

}  // namespace

void bind_vmac(InstanceConfig& c, const std::string& name, int ifindex) {
  if (!c.vmac) return;
  const std::string old = std::exchange(c.vmac->name, name);
  c.vmac->ifindex = ifindex;
  for (auto& v : c.vips)
    if (v.dev == old || v.dev == name) {
      v.dev = name;
      v.ifindex = ifindex;
    }
  if (!c.vmac->xmit_base) {
    c.interface = name;
    c.ifindex = ifindex;
  }
}

const std::string& configured_interface(const InstanceConfig& c) { return c.vmac ? c.vmac->base : c.interface; }

RouteSpecs route_specs(const std::vector<conf::RouteEntry>& entries, const InterfaceLookup& lookup) {
  RouteSpecs out;
  for (const auto& e : entries) {
    auto r = parse_route(e.words);
    if (!r) {
      out.warnings.push_back(r.error() + "; skipped");
      continue;
    }
    if (!r->dev.empty())
      if (auto info = lookup(r->dev)) r->ifindex = info->ifindex;
    out.routes.push_back(std::move(*r));
  }
  return out;
}

RuleSpecs rule_specs(const std::vector<conf::RouteEntry>& entries, Family family) {
  RuleSpecs out;
  for (const auto& e : entries) {
    auto r = parse_rule(e.words, e.family.value_or(family));
    if (!r) {
      out.warnings.push_back(r.error() + "; skipped");
      continue;
    }
    out.rules.push_back(std::move(*r));
  }
  return out;
}

Family instance_family(const conf::VrrpInstance& vi) {
  for (const auto& a : vi.virtual_ipaddress) return a.address.address.family();
  for (const auto& a : vi.virtual_ipaddress_excluded) return a.address.address.family();
  if (vi.unicast_src_ip.is_set()) return vi.unicast_src_ip->family();
  if (!vi.unicast_peer.empty()) return vi.unicast_peer.front().address.family();
  return Family::v4;
}

std::optional<std::uint8_t> parse_scope(const std::string& text) {
  if (text.empty() || text == "global" || text == "universe") return 0;
  if (text == "site") return 200;
  if (text == "link") return 253;
  if (text == "host") return 254;
  if (text == "nowhere") return 255;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 255) return std::nullopt;
  return static_cast<std::uint8_t>(value);
}

Result<InstanceConfig, std::string> make_instance_config(const conf::VrrpInstance& vi,
                                                         const conf::GlobalDefs& global,
                                                         const InterfaceLookup& lookup) {
  InstanceConfig c;
  c.name = vi.name.value;
  c.interface = *vi.interface;
  const auto info = lookup(c.interface);
  c.ifindex = info ? info->ifindex : 0;
  const Family family = instance_family(vi);

  auto& r = c.router;
  r.version = *vi.version == 3 ? Version::v3 : Version::v2;
  r.vrid = static_cast<std::uint8_t>(*vi.virtual_router_id);
  r.priority = static_cast<std::uint8_t>(std::clamp<long long>(*vi.priority, 1, 255));
  r.advertisement_interval = std::chrono::duration_cast<Centiseconds>(microseconds{*vi.advert_int_us});
  auto source = source_of(vi, family, info);
  if (!source && info)
    return unexpected("interface " + c.interface + " has no " +
                      (family == Family::v4 ? "IPv4 address" : "IPv6 link-local address") +
                      " to send adverts from");
  // Without the interface there is no source yet: the unspecified address of the family
  // keeps the Router's configuration valid while the instance waits in FAULT.
  r.primary_address = source ? *source
                             : (family == Family::v4 ? IpAddress::v4(0) : IpAddress::v6({}));
  for (const auto& e : vi.virtual_ipaddress) r.addresses.push_back(e.address.address);
  r.preempt = !(vi.nopreempt.is_set() && *vi.nopreempt);
  r.preempt_delay = microseconds{vi.preempt_delay_us.is_set() ? *vi.preempt_delay_us : 0};
  // keepalived: accept by default, no_accept under vrrp_strict or when asked.
  const bool strict = vi.strict_mode.is_set() && *vi.strict_mode;
  const bool no_accept = vi.no_accept.is_set() && *vi.no_accept;
  r.accept = (vi.accept.is_set() && *vi.accept) || !(strict || no_accept);
  r.advert_on_lower_priority = !(vi.lower_prio_no_advert.is_set() && *vi.lower_prio_no_advert);
  r.advert_on_higher_priority = vi.higher_prio_send_advert.is_set() && *vi.higher_prio_send_advert;
  if (r.version == Version::v2) r.auth = auth_of(vi);

  for (const auto& p : vi.unicast_peer) {
    c.destinations.push_back(p.address);
    UnicastPeer peer{p.address, {}, {}};
    if (p.min_ttl) peer.min_ttl = static_cast<int>(*p.min_ttl);
    if (p.max_ttl) peer.max_ttl = static_cast<int>(*p.max_ttl);
    c.peers.push_back(peer);
  }
  if (c.destinations.empty())
    c.destinations.push_back(vi.mcast_dst_ip.is_set() ? *vi.mcast_dst_ip : default_group(family, global));

  c.vmac = vmac_of(vi, global, family, r.vrid, c, info, c.warnings);
  // keepalived: the VIPs without a dev of their own go on the VMAC.
  const std::string& vip_dev = c.vmac ? c.vmac->name : c.interface;
  for (const auto* list : {&vi.virtual_ipaddress, &vi.virtual_ipaddress_excluded})
    for (const auto& e : *list) {
      auto v = vip_of(e, vip_dev, lookup);
      if (!v) return unexpected(v.error());
      c.vips.push_back(std::move(*v));
    }
  auto routes = route_specs(vi.virtual_routes, lookup);
  c.routes = std::move(routes.routes);
  c.warnings.insert(c.warnings.end(), routes.warnings.begin(), routes.warnings.end());
  auto rules = rule_specs(vi.virtual_rules, family);
  c.rules = std::move(rules.rules);
  c.warnings.insert(c.warnings.end(), rules.warnings.begin(), rules.warnings.end());

  auto& g = c.garp;
  g.delay = seconds{vi.garp_master_delay.is_set() ? *vi.garp_master_delay : 5};
  g.repeat = static_cast<unsigned>(vi.garp_master_repeat.is_set() ? *vi.garp_master_repeat : 5);
  g.refresh = seconds{vi.garp_master_refresh.is_set() ? *vi.garp_master_refresh : 0};
  g.refresh_repeat =
      static_cast<unsigned>(vi.garp_master_refresh_repeat.is_set() ? *vi.garp_master_refresh_repeat : 1);
  const auto& interval = family == Family::v4 ? vi.garp_interval_us : vi.gna_interval_us;
  g.interval = microseconds{interval.is_set() ? *interval : 0};
  // keepalived: the lower-priority refresh defaults to the Master's own schedule.
  g.lower_repeat = vi.garp_lower_prio_repeat.is_set() ? static_cast<unsigned>(*vi.garp_lower_prio_repeat) : g.repeat;
  g.lower_delay = vi.garp_lower_prio_delay.is_set() ? Duration{seconds{*vi.garp_lower_prio_delay}} : g.delay;

  c.notify.master = notify_script(vi.notify_master, global, c.notify.as.master, &c.warnings);
  c.notify.backup = notify_script(vi.notify_backup, global, c.notify.as.backup, &c.warnings);
  c.notify.fault = notify_script(vi.notify_fault, global, c.notify.as.fault, &c.warnings);
  c.notify.stop = notify_script(vi.notify_stop, global, c.notify.as.stop, &c.warnings);
  c.notify.notify = notify_script(vi.notify, global, c.notify.as.notify, &c.warnings);

  const bool compat = vi.v3_checksum_as_v2.is_set() && *vi.v3_checksum_as_v2;
  c.encode.v3_checksum_as_v2 = compat;
  c.decode.v3_checksum_as_v2 = compat;
  if (r.version == Version::v2) c.decode.auth = r.auth;
  c.sync_group = vi.sync_group.is_set() ? *vi.sync_group : std::string();
  r.sync_group = !c.sync_group.empty();
  c.skip_check_adv_addr = vi.skip_check_adv_addr.is_set() && *vi.skip_check_adv_addr;
  c.check_unicast_src = vi.check_unicast_src.is_set() && *vi.check_unicast_src;
  return c;
}

namespace {

const conf::VrrpScript* find_script(const conf::Config& c, const std::string& name) {
  for (const auto& s : c.vrrp_scripts)
    if (s.name.value == name) return &s;
  return nullptr;
}

const conf::TrackFile* find_file(const conf::Config& c, const std::string& name) {
  for (const auto& f : c.track_files)
    if (f.name.value == name) return &f;
  return nullptr;
}

const conf::BfdInstance* find_bfd(const conf::Config& c, const std::string& name) {
  for (const auto& b : c.bfd_instances)
    if (b.name.value == name) return &b;
  return nullptr;
}

const conf::VrrpSyncGroup* group_of(const conf::Config& c, const conf::VrrpInstance& vi) {
  if (!vi.sync_group.is_set()) return nullptr;
  for (const auto& g : c.sync_groups)
    if (g.name.value == *vi.sync_group) return &g;
  return nullptr;
}

void add_refs(const conf::Config& c, const std::vector<conf::TrackRef>& refs, TrackKind kind,
              std::vector<TrackItem>& out) {
  for (const auto& r : refs) {
    TrackItem t{kind, r.name, 0, r.reverse};
    if (r.weight) t.weight = static_cast<int>(*r.weight);
    if (kind == TrackKind::script) {
      const auto* s = find_script(c, r.name);
      if (!s || !s->script.is_set()) continue;
      // Refused (unknown user, enable_script_security): ignored, as keepalived disables it.
      if (prepare_script(s->script, c.global, &s->user).argv.empty()) continue;
      if (!r.weight && s->weight.is_set()) {
        t.weight = static_cast<int>(*s->weight);
        t.reverse = s->weight_reverse.is_set() && *s->weight_reverse;
      }
    } else if (kind == TrackKind::bfd) {
      const auto* b = find_bfd(c, r.name);
      // keepalived: a bfd_instance marked `checker` (and not `vrrp`) sends VRRP nothing.
      if (!b || (b->checker.is_set() && *b->checker && !(b->vrrp.is_set() && *b->vrrp))) continue;
      if (!r.weight && b->weight.is_set()) {
        t.weight = static_cast<int>(*b->weight);
        t.reverse = b->weight_reverse.is_set() && *b->weight_reverse;
      }
    } else if (kind == TrackKind::file) {
      const auto* f = find_file(c, r.name);
      if (!f) continue;
      if (!r.weight) {
        t.weight = f->weight.is_set() ? static_cast<int>(*f->weight) : 1;
        t.reverse = f->weight_reverse.is_set() && *f->weight_reverse;
      }
    }
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
  }
}

}  // namespace

std::vector<TrackItem> track_items(const conf::Config& c, const conf::VrrpInstance& vi) {
  std::vector<TrackItem> out;
  add_refs(c, vi.track_interface, TrackKind::interface, out);
  add_refs(c, vi.track_script, TrackKind::script, out);
  add_refs(c, vi.track_file, TrackKind::file, out);
  add_refs(c, vi.track_bfd, TrackKind::bfd, out);
  if (const auto* g = group_of(c, vi)) {
    add_refs(c, g->track_interface, TrackKind::interface, out);
    add_refs(c, g->track_script, TrackKind::script, out);
    add_refs(c, g->track_file, TrackKind::file, out);
    add_refs(c, g->track_bfd, TrackKind::bfd, out);
    // keepalived: a member's tracking is not weighted unless the group allows it.
    if (!(g->sync_group_tracking_weight.is_set() && *g->sync_group_tracking_weight))
      for (auto& t : out) t.weight = 0;
  }
  return out;
}

std::vector<ScriptSpec> script_specs(const conf::Config& c, std::vector<std::string>* warnings) {
  std::vector<ScriptSpec> out;
  auto used = [&](const std::string& name) {
    auto in = [&](const std::vector<conf::TrackRef>& refs) {
      return std::any_of(refs.begin(), refs.end(), [&](const conf::TrackRef& r) { return r.name == name; });
    };
    for (const auto& vi : c.vrrp_instances)
      if (in(vi.track_script)) return true;
    for (const auto& g : c.sync_groups)
      if (!g.group.empty() && in(g.track_script)) return true;
    return false;
  };
  for (const auto& s : c.vrrp_scripts) {
    if (!s.script.is_set() || !used(s.name.value)) continue;
    ScriptSpec spec;
    spec.name = s.name.value;
    auto prepared = prepare_script(s.script, c.global, &s.user);
    if (prepared.argv.empty()) {
      if (warnings) warnings->push_back("vrrp_script " + s.name.value + ": " + prepared.warning);
      continue;  // track_items leaves it out too
    }
    spec.argv = std::move(prepared.argv);
    spec.as = std::move(prepared.as);
    spec.interval = microseconds{*s.interval_us};
    spec.timeout = s.timeout_us.is_set() ? Duration{microseconds{*s.timeout_us}} : spec.interval;
    spec.rise = s.rise.is_set() ? static_cast<int>(*s.rise) : 1;
    spec.fall = s.fall.is_set() ? static_cast<int>(*s.fall) : 1;
    spec.init_fail = s.init_fail.is_set() && *s.init_fail;
    out.push_back(std::move(spec));
  }
  return out;
}

std::vector<FileSpec> file_specs(const conf::Config& c) {
  std::vector<FileSpec> out;
  for (const auto& f : c.track_files) {
    if (!f.file.is_set()) continue;
    FileSpec spec{f.name.value, *f.file, std::nullopt, false};
    if (f.init_file.is_set() && *f.init_file) {
      spec.init_value = f.init_file_value.is_set() ? *f.init_file_value : 0;
      spec.init_overwrite = f.init_file_overwrite.is_set() && *f.init_file_overwrite;
    }
    out.push_back(std::move(spec));
  }
  return out;
}

std::vector<SyncGroupConfig> sync_groups(const conf::Config& c, std::vector<std::string>* warnings) {
  std::vector<SyncGroupConfig> out;
  for (const auto& g : c.sync_groups) {
    if (g.group.empty()) continue;
    SyncGroupConfig sg;
    sg.name = g.name.value;
    for (const auto& m : g.group) sg.members.push_back(m.value);
    sg.notify.master = notify_script(g.notify_master, c.global, sg.notify.as.master, warnings);
    sg.notify.backup = notify_script(g.notify_backup, c.global, sg.notify.as.backup, warnings);
    sg.notify.fault = notify_script(g.notify_fault, c.global, sg.notify.as.fault, warnings);
    sg.notify.stop = notify_script(g.notify_stop, c.global, sg.notify.as.stop, warnings);
    sg.notify.notify = notify_script(g.notify, c.global, sg.notify.as.notify, warnings);
    out.push_back(std::move(sg));
  }
  return out;
}

Result<std::vector<Vip>, std::string> static_addresses(const conf::Config& c,
                                                       const InterfaceLookup& lookup) {
  std::vector<Vip> out;
  for (const auto& e : c.static_ipaddress) {
    if (e.dev.empty()) return unexpected("static address " + e.address.to_string() + " has no dev");
    auto v = vip_of(e, e.dev, lookup);
    if (!v) return unexpected(v.error());
    if (v->ifindex == 0) return unexpected("static address " + e.address.to_string() + ": no interface " + e.dev);
    v->nodad = e.nodad;  // not a VIP: DAD as asked
    out.push_back(std::move(*v));
  }
  return out;
}

PreparedScript prepare_script(const conf::Setting<conf::Script>& script, const conf::GlobalDefs& global,
                              const conf::Setting<conf::Script>* user_setting) {
  PreparedScript out;
  if (!script.is_set()) return out;
  auto argv = split_command(script->command);
  if (argv.empty()) return out;
  std::string user = script->user, group = script->group;
  if (user_setting && user_setting->is_set() && !(*user_setting)->user.empty())
    user = (*user_setting)->user, group = (*user_setting)->group;
  if (user.empty() && global.script_user.is_set()) {
    user = *global.script_user;
    group = global.script_group.is_set() ? *global.script_group : std::string();
  }
  if (!user.empty()) {
    auto creds = resolve_cached(user, group);
    if (!creds) {
      out.warning = argv[0] + ": " + creds.error() + "; the script is not run";
      return out;
    }
    // Ourselves already: no need to fork to become it.
    if (!(creds->uid == ::geteuid() && creds->gid == ::getegid())) out.as = *creds;
  }
  const bool as_root = out.as ? out.as->uid == 0 : ::geteuid() == 0;
  if (global.enable_script_security.is_set() && *global.enable_script_security && as_root) {
    if (auto why = insecure_cached(argv[0])) {
      out.warning = argv[0] + ": unsafe to run as root (" + *why + "), enable_script_security refuses it";
      out.as.reset();
      return out;
    }
  }
  out.argv = std::move(argv);
  return out;
}

}  // namespace vigil::vrrp::io
