#include <algorithm>
#include <map>
#include <set>

#include "conf/validate.hpp"

namespace vigil::conf {
namespace {


constexpr std::string_view kSchedulers[] = {"rr",  "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh",
                                            "sed", "nq",  "fo", "ovf", "mh",   "twos"};

std::optional<Family> vs_family(const Config& c, const VirtualServer& vs) {
  switch (vs.kind) {
    case VirtualServer::Kind::address:
      return vs.address.family();
    case VirtualServer::Kind::fwmark:
      if (vs.ip_family.is_set()) return *vs.ip_family == "inet6" ? Family::v6 : Family::v4;
      return std::nullopt;
    case VirtualServer::Kind::group:
      for (const auto& g : c.virtual_server_groups)
        if (g.name.value == vs.group)
          for (const auto& e : g.entries)
            if (e.kind != VsgEntry::Kind::fwmark) return e.first.family();
      return std::nullopt;
  }
  return std::nullopt;
}

std::string vs_name(const VirtualServer& vs) {
  switch (vs.kind) {
    case VirtualServer::Kind::address:
      return (vs.address.is_v6() ? "[" + vs.address.to_string() + "]" : vs.address.to_string()) + ":" +
             std::to_string(vs.port);
    case VirtualServer::Kind::fwmark: return "fwmark " + std::to_string(vs.fwmark);
    case VirtualServer::Kind::group: return "group " + vs.group;
  }
  return {};
}

bool valid_granularity(const std::string& g, Family f) {
  if (f == Family::v6) {
    if (g.empty() || g.size() > 3 || !std::all_of(g.begin(), g.end(), ::isdigit)) return false;
    return std::stoi(g) >= 1 && std::stoi(g) <= 128;
  }
  auto a = IpAddress::parse(g);
  if (!a || !a->is_v4()) return false;
  const std::uint32_t m = a->v4_host_order();
  return m != 0 && ((~m + 1) & ~m) == 0;  // contiguous ones, then zeros
}

void resolve_checker(CheckBase& cb, const RealServer& rs, const GlobalDefs& g) {
  if (cb.kind == CheckerKind::file || cb.kind == CheckerKind::bfd) return;
  auto& c = static_cast<CheckCommon&>(cb);
  c.connect_timeout_us.inherit(rs.connect_timeout_us);
  c.delay_loop_us.inherit(rs.delay_loop_us);
  c.retry.inherit(rs.retry);
  c.delay_before_retry_us.inherit(rs.delay_before_retry_us);
  c.warmup_us.inherit(rs.warmup_us);
  if (rs.extra) c.log_all_failures.inherit(rs.extra->log_all_failures);
  c.log_all_failures.inherit(g.checker_log_all_failures);
  if (!c.connect_ip.is_set()) c.connect_ip.assign_default(rs.address);
  if (!c.connect_port.is_set() && rs.port.is_set() && cb.kind != CheckerKind::misc &&
      cb.kind != CheckerKind::ping)
    c.connect_port.assign_default(*rs.port);
  if (!c.retry.is_set()) c.retry.assign_default(cb.kind == CheckerKind::misc ? 0 : 1);
  if (!c.delay_before_retry_us.is_set()) c.delay_before_retry_us.assign_default(1'000'000);
  if (cb.kind == CheckerKind::http || cb.kind == CheckerKind::ssl) {
    auto& h = static_cast<HttpCheck&>(cb);
    if (!h.virtualhost.is_set() && rs.extra) h.virtualhost.inherit(rs.extra->virtualhost);
    for (auto& u : h.url) u.virtualhost.inherit(h.virtualhost);
  }
}

void validate_checker(const CheckBase& cb, const Config& c, Diagnostics& d) {
  switch (cb.kind) {
    case CheckerKind::http:
    case CheckerKind::ssl: {
      const auto& h = static_cast<const HttpCheck&>(cb);
      if (h.url.empty()) d.error(cb.loc, std::string(kCheckerNames[static_cast<int>(cb.kind)]) + " needs at least one url block");
      for (const auto& u : h.url)
        if (!u.path.is_set()) d.error(u.loc, "url block has no path");
      break;
    }
    case CheckerKind::misc:
      if (!static_cast<const MiscCheck&>(cb).misc_path.is_set()) d.error(cb.loc, "MISC_CHECK has no misc_path");
      break;
    case CheckerKind::file: {
      const auto& f = static_cast<const FileCheck&>(cb);
      if (!f.track_file.is_set())
        d.error(cb.loc, "FILE_CHECK has no track_file");
      else if (std::none_of(c.track_files.begin(), c.track_files.end(),
                            [&](const TrackFile& t) { return t.name.value == *f.track_file; }))
        d.error(f.track_file.loc, "FILE_CHECK refers to undefined track_file " + quoted(*f.track_file));
      break;
    }
    case CheckerKind::bfd: {
      const auto& b = static_cast<const BfdCheck&>(cb);
      if (!b.name.is_set())
        d.error(cb.loc, "BFD_CHECK has no name");
      else if (std::none_of(c.bfd_instances.begin(), c.bfd_instances.end(),
                            [&](const BfdInstance& i) { return i.name.value == *b.name; }))
        d.error(b.name.loc, "BFD_CHECK refers to undefined bfd_instance " + quoted(*b.name));
      break;
    }
    default:
      break;
  }
  if (cb.kind != CheckerKind::file && cb.kind != CheckerKind::bfd) {
    const auto& cc = static_cast<const CheckCommon&>(cb);
    const auto& bindto = cc.src().bindto;
    if (bindto.is_set() && cc.connect_ip.is_set() && bindto->family() != cc.connect_ip->family())
      d.error(bindto.loc, "bindto is not of the family of the checked address");
  }
}

void validate_vs(Config& c, VirtualServer& vs, Diagnostics& d) {
  const std::string name = vs_name(vs);
  if (vs.kind == VirtualServer::Kind::group &&
      std::none_of(c.virtual_server_groups.begin(), c.virtual_server_groups.end(),
                   [&](const VirtualServerGroup& g) { return g.name.value == vs.group; }))
    d.error(vs.loc, "virtual_server refers to undefined virtual_server_group " + quoted(vs.group));
  if (vs.ip_family.is_set() && *vs.ip_family != "inet" && *vs.ip_family != "inet6")
    d.error(vs.ip_family.loc, "ip_family must be inet or inet6");
  if (vs.lvs_sched.is_set() &&
      std::find(std::begin(kSchedulers), std::end(kSchedulers), *vs.lvs_sched) == std::end(kSchedulers))
    d.error(vs.lvs_sched.loc, "unknown scheduler " + quoted(*vs.lvs_sched) +
                                  " (rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos)");
  if (!vs.lvs_sched.is_set()) vs.lvs_sched.assign_default("wlc");
  if (!vs.lvs_method.is_set()) vs.lvs_method.assign_default(LvsMethod{});
  if (!vs.protocol.is_set()) vs.protocol.assign_default(Proto::tcp);
  if (!vs.delay_loop_us.is_set()) vs.delay_loop_us.assign_default(60'000'000);
  if (vs.kind == VirtualServer::Kind::address && vs.address.is_unspecified())
    d.error(vs.loc, "virtual_server address " + vs.address.to_string() + " is unspecified");

  const auto fam = vs_family(c, vs);
  if (vs.persistence_granularity.is_set() &&
      !valid_granularity(*vs.persistence_granularity, fam.value_or(Family::v4)))
    d.error(vs.persistence_granularity.loc, "persistence_granularity " + quoted(*vs.persistence_granularity) +
                                                " is not a netmask (IPv4) or prefix length (IPv6)");
  if (vs.sorry_server.is_set() && fam && vs.sorry_server->address.family() != *fam &&
      vs.lvs_method->kind != LbKind::tun)
    d.error(vs.sorry_server.loc, "sorry_server " + vs.sorry_server->address.to_string() +
                                     " is not of the family of virtual_server " + name);

  std::set<std::pair<IpAddress, long long>> seen;
  long long total_weight = 0;
  for (auto& rs : vs.real_servers) {
    // virtual_server -> real_server inheritance.
    if (!rs.port.is_set() && vs.kind == VirtualServer::Kind::address) rs.port.assign_default(vs.port);
    if (!rs.weight.is_set()) rs.weight.assign_default(1);
    rs.delay_loop_us.inherit(vs.delay_loop_us);
    rs.retry.inherit(vs.retry);
    rs.delay_before_retry_us.inherit(vs.delay_before_retry_us);
    rs.warmup_us.inherit(vs.warmup_us);
    rs.connect_timeout_us.inherit(vs.connect_timeout_us);
    if (!rs.connect_timeout_us.is_set()) rs.connect_timeout_us.assign_default(5'000'000);
    rs.inhibit_on_failure.inherit(vs.inhibit_on_failure);
    rs.alpha.inherit(vs.alpha);
    rs.omega.inherit(vs.omega);
    rs.lvs_method.inherit(vs.lvs_method);
    if (vs.virtualhost.is_set()) {
      if (!rs.extra) rs.extra = std::make_unique<RealServerExtra>();
      rs.extra->virtualhost.inherit(vs.virtualhost);
    }
    const LbKind method = rs.lvs_method->kind;
    if (fam && rs.address.family() != *fam && method != LbKind::tun)
      d.error(rs.loc, "real_server " + rs.address.to_string() + " is not of the family of virtual_server " +
                          name + " (only TUN may mix families)");
    if (!seen.emplace(rs.address, rs.port.is_set() ? *rs.port : -1).second)
      d.error(rs.loc, "real_server " + rs.address.to_string() +
                          (rs.port.is_set() ? ":" + std::to_string(*rs.port) : "") + " appears twice in " + name);
    if (method == LbKind::dr && rs.port.is_set() && vs.kind == VirtualServer::Kind::address &&
        *rs.port != vs.port)
      d.warning(rs.port.loc, "DR cannot change the port: real_server " + rs.address.to_string() +
                                 " port " + std::to_string(*rs.port) + " differs from " + std::to_string(vs.port));
    if (rs.extra && rs.extra->uthreshold.is_set() && rs.extra->lthreshold.is_set() &&
        *rs.extra->lthreshold > *rs.extra->uthreshold)
      d.error(rs.extra->lthreshold.loc, "lthreshold is above uthreshold");
    total_weight += *rs.weight;
    for (auto& ch : rs.checkers) {
      resolve_checker(*ch, rs, c.global);
      validate_checker(*ch, c, d);
    }
  }
  if (vs.quorum.is_set() && !vs.real_servers.empty() && *vs.quorum > total_weight)
    d.warning(vs.quorum.loc, "quorum " + std::to_string(*vs.quorum) + " is above the total weight " +
                                 std::to_string(total_weight) + " of " + name + "; it can never be met");
}

}  // namespace

void validate_lvs(Config& c, Diagnostics& d, const LoadOptions&) {
  std::map<std::string_view, SourceLoc> groups;
  for (const auto& g : c.virtual_server_groups) {
    auto [pos, fresh] = groups.emplace(g.name.value, g.name.loc);
    if (!fresh)
      d.error(g.name.loc, "virtual_server_group " + quoted(g.name.value) + " is defined twice (first at " +
                              d.where(pos->second) + ")");
    std::optional<Family> fam;
    for (const auto& e : g.entries) {
      if (e.kind == VsgEntry::Kind::fwmark) continue;
      if (fam && *fam != e.first.family())
        d.error(e.loc, "virtual_server_group " + quoted(g.name.value) + " mixes IPv4 and IPv6 addresses");
      fam = e.first.family();
    }
  }
  std::map<std::tuple<int, std::string, int>, SourceLoc> services;
  for (auto& vs : c.virtual_servers) {
    validate_vs(c, vs, d);
    const std::string key = vs.kind == VirtualServer::Kind::address ? vs.address.to_string() + ":" + std::to_string(vs.port)
                            : vs.kind == VirtualServer::Kind::fwmark ? "fwmark " + std::to_string(vs.fwmark)
                                                                     : "group " + vs.group;
    const int proto = vs.kind == VirtualServer::Kind::fwmark ? -1 : static_cast<int>(*vs.protocol);
    auto [pos, fresh] = services.emplace(std::make_tuple(static_cast<int>(vs.kind), key, proto), vs.loc);
    if (!fresh)
      d.error(vs.loc, "virtual_server " + vs_name(vs) + " is defined twice (first at " + d.where(pos->second) + ")");
  }
}

}  // namespace vigil::conf
