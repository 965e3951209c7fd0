// VRRP blocks: vrrp_instance, authentication, vrrp_sync_group, vrrp_script, track_file,
// vrrp_track_process, garp_group.
#include "conf/bind_lists.hpp"

namespace vigil::conf {
using namespace bind;
namespace {

using VI = VrrpInstance;

struct StateP {
  using T = VrrpState;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 1)) return std::nullopt;
    static constexpr std::string_view kStates[] = {"BACKUP", "MASTER"};
    auto c = p.choice(st, 0, kStates);
    if (!c) return std::nullopt;
    return static_cast<VrrpState>(*c);
  }
  static void dump(JsonWriter& j, const T& v) { j.value(v == VrrpState::master ? "MASTER" : "BACKUP"); }
};

struct VersionP {
  using T = long long;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 1)) return std::nullopt;
    auto v = p.integer(st, 0, 2, 3);
    return v;
  }
  static void dump(JsonWriter& j, const T& v) { j.value(v); }
};

void h_auth(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 0, 0) || !p.want_block(st)) return;
  Authentication a;
  p.parse_block(st, authentication_schema(), &a);
  as<VI>(t).authentication.assign(std::move(a), st.loc());
}
void d_auth(JsonWriter& j, std::string_view k, const void* t) {
  const auto& a = as<VI>(t).authentication;
  if (!a.is_set()) return;
  j.key(k);
  j.begin_object();
  dump_members(j, authentication_schema(), &a.value);
  j.end_object();
}

struct AuthTypeP {
  using T = Authentication::Type;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 1)) return std::nullopt;
    static constexpr std::string_view kTypes[] = {"NONE", "PASS", "AH"};
    auto c = p.choice(st, 0, kTypes);
    if (!c) return std::nullopt;
    return static_cast<T>(*c);
  }
  static void dump(JsonWriter& j, const T& v) {
    j.value(v == T::pass ? "PASS" : v == T::ah ? "AH" : "NONE");
  }
};

void h_unicast_peer(Parser& p, void* t, const Stmt& st) {
  if (!p.want_block(st)) return;
  auto& out = as<VI>(t).unicast_peer;
  p.parse_items(st, [&](const Stmt& item) {
    auto a = IpAddress::parse(item.name());
    if (!a) {
      p.error(item.loc(), "'" + std::string(item.name()) + "' is not an IP address");
      return;
    }
    UnicastPeer peer{*a, std::nullopt, std::nullopt, item.loc()};
    for (std::size_t i = 0; i < item.argc(); ++i) {
      if (item.arg(i) == "min_ttl" || item.arg(i) == "max_ttl") {
        auto v = p.integer(item, i + 1, 0, 255);
        if (v) (item.arg(i) == "min_ttl" ? peer.min_ttl : peer.max_ttl) = *v;
        ++i;
      } else {
        p.error(item.args[i].loc, "unknown unicast_peer option '" + std::string(item.arg(i)) + "'");
      }
    }
    out.push_back(peer);
  });
}
void d_unicast_peer(JsonWriter& j, std::string_view k, const void* t) {
  const auto& v = as<VI>(t).unicast_peer;
  if (v.empty()) return;
  j.key(k);
  j.begin_array();
  for (const auto& peer : v) j.value(peer.address.to_string());
  j.end_array();
}

}  // namespace

const BlockSchema& authentication_schema() {
  static const BlockSchema s("authentication", {
      kw<&Authentication::auth_type, AuthTypeP>("auth_type", "NONE, PASS or AH (VRRPv2 only)"),
      kw<&Authentication::auth_pass, Str>("auth_pass", "password for PASS (8 characters used)"),
  });
  return s;
}

const BlockSchema& vrrp_instance_schema() {
  static const BlockSchema s("vrrp_instance", {
      kw<&VI::state, StateP>("state", "initial state: MASTER or BACKUP"),
      kw<&VI::interface, Str>("interface", "interface the instance runs on"),
      kw<&VI::virtual_router_id, Int<1, 255>>("virtual_router_id", "VRID, 1-255"),
      kw<&VI::priority, Int<1, 255>>("priority", "priority, 1-255 (255: address owner)"),
      kw<&VI::advert_int_us, Timer<1, 255000>>("advert_int", "advertisement interval in seconds"),
      kw<&VI::version, VersionP>("version", "VRRP version, 2 or 3"),
      kw<&VI::nopreempt, Flag>("nopreempt", "a higher priority backup does not take over"),
      kw<&VI::preempt, Flag>("preempt", "take over from a lower priority master (default)"),
      kw<&VI::preempt_delay_us, Timer<0, 1000000>>("preempt_delay", "seconds to wait before preempting"),
      kw<&VI::accept, Flag>("accept", "accept packets to the VIPs when not the owner"),
      kw<&VI::no_accept, Flag>("no_accept", "drop packets to the VIPs when not the owner"),
      kw<&VI::dont_track_primary, Flag>("dont_track_primary", "ignore faults of the interface"),
      kw<&VI::skip_check_adv_addr, Flag>("skip_check_adv_addr", "don't check the address list of adverts"),
      kw<&VI::strict_mode, Flag>("strict_mode", "strict RFC compliance"),
      kw<&VI::check_unicast_src, Flag>("check_unicast_src", "only accept unicast adverts from peers"),
      kw<&VI::unicast_fault_no_peer, Flag>("unicast_fault_no_peer", "FAULT when no unicast peer"),
      kw<&VI::native_ipv6, Flag>("native_ipv6", "force IPv6 adverts"),
      kw<&VI::smtp_alert, Flag>("smtp_alert", "send email on state changes"),
      kw<&VI::lower_prio_no_advert, Flag>("lower_prio_no_advert", "don't answer lower priority adverts"),
      kw<&VI::higher_prio_send_advert, Flag>("higher_prio_send_advert", "advert before yielding"),
      kw<&VI::notify_priority_changes, Flag>("notify_priority_changes", "notify FIFO of priority changes"),
      kw<&VI::notify_master_rx_lower_pri, ScriptP>("notify_master_rx_lower_pri", "script: master got lower priority advert"),
      kw<&VI::old_unicast_checksum, Flag>("old_unicast_checksum", "pre-2.0 unicast checksum"),
      kw<&VI::promote_secondaries, Flag>("promote_secondaries", "set promote_secondaries on the interface"),
      kw<&VI::use_vmac, OptStr>("use_vmac", "run on a macvlan (mode private) with the VRRP MAC; default name vrrp.<VRID>"),
      kw<&VI::use_vmac_addr, Flag>("use_vmac_addr", "VIPs on other interfaces on VMACs too (not supported yet: ignored with a warning)"),
      kw<&VI::vmac_xmit_base, Flag>("vmac_xmit_base", "send and receive adverts on the base interface (VIPs stay on the VMAC)"),
      kw<&VI::use_ipvlan, Words>("use_ipvlan", "run on an ipvlan"),
      kw<&VI::garp_master_delay, Int<0, 3600>>("garp_master_delay", "seconds before the second GARP burst"),
      kw<&VI::garp_master_repeat, Int<0, 255>>("garp_master_repeat", "GARPs per burst"),
      kw<&VI::garp_master_refresh, Int<0, 86400>>("garp_master_refresh", "seconds between refresh GARPs as master"),
      kw<&VI::garp_master_refresh_repeat, Int<0, 255>>("garp_master_refresh_repeat", "GARPs per refresh"),
      kw<&VI::garp_lower_prio_delay, Int<0, 3600>>("garp_lower_prio_delay", "delay of GARPs after a lower priority advert"),
      kw<&VI::garp_lower_prio_repeat, Int<0, 255>>("garp_lower_prio_repeat", "GARPs after a lower priority advert"),
      kw<&VI::garp_interval_us, Timer<0, 1000000>>("garp_interval", "seconds between GARPs of a burst"),
      kw<&VI::gna_interval_us, Timer<0, 1000000>>("gna_interval", "seconds between unsolicited NAs"),
      kw<&VI::garp_extra_if, Words>("garp_extra_if", "extra interfaces to send GARPs on"),
      kw<&VI::unicast_ttl, Int<1, 255>>("unicast_ttl", "TTL of unicast adverts"),
      kw<&VI::kernel_rx_buf_size, Int<0, 1LL << 31>>("kernel_rx_buf_size", "socket receive buffer"),
      kw<&VI::down_timer_adverts, Int<1, 100>>("down_timer_adverts", "adverts missed before master down"),
      kw<&VI::vrf, Str>("vrf", "VRF the VMAC belongs to"),
      kw<&VI::mcast_src_ip, Ip>("mcast_src_ip", "source address of multicast adverts"),
      kw<&VI::unicast_src_ip, Ip>("unicast_src_ip", "source address of unicast adverts"),
      kw<&VI::mcast_dst_ip, Ip>("mcast_dst_ip", "multicast group of adverts"),
      kw<&VI::track_src_ip, Flag>("track_src_ip", "FAULT when the source address goes"),
      custom("authentication", &h_auth, &d_auth, "VRRPv2 authentication block"),
      custom("unicast_peer", &h_unicast_peer, &d_unicast_peer, "unicast peers block"),
      addresses<&VI::virtual_ipaddress>("virtual_ipaddress", "the VIPs"),
      addresses<&VI::virtual_ipaddress_excluded>("virtual_ipaddress_excluded", "VIPs not in adverts"),
      routes<&VI::virtual_routes, false>("virtual_routes", "routes added as master"),
      routes<&VI::virtual_rules, true>("virtual_rules", "rules added as master"),
      tracks<&VI::track_interface>("track_interface", "interfaces whose state is tracked"),
      tracks<&VI::track_script>("track_script", "vrrp_scripts tracked"),
      tracks<&VI::track_file>("track_file", "track_files tracked"),
      tracks<&VI::track_process>("track_process", "vrrp_track_processes tracked"),
      tracks<&VI::track_bfd>("track_bfd", "bfd_instances tracked"),
      kw<&VI::notify_master, ScriptP>("notify_master", "script run on becoming master"),
      kw<&VI::notify_backup, ScriptP>("notify_backup", "script run on becoming backup"),
      kw<&VI::notify_fault, ScriptP>("notify_fault", "script run on entering fault"),
      kw<&VI::notify_stop, ScriptP>("notify_stop", "script run when the instance stops"),
      kw<&VI::notify_deleted, ScriptP>("notify_deleted", "script run when removed by a reload"),
      kw<&VI::notify, ScriptP>("notify", "script run on every change, with TYPE NAME STATE PRIORITY"),
      accepted("debug", "debug level"),
      KeywordDef{"lvs_sync_daemon_interface", Support::deprecated,
                 &set_field<&VI::lvs_sync_daemon_interface, Str>, "lvs_sync_daemon (global_defs)", nullptr},
      kw<&VI::v3_checksum_as_v2, Flag>("v3_checksum_as_v2", "VRRPv3 IPv4 checksum without pseudo-header"),
      accepted("no_virtual_ipaddress"), accepted("vmac_garp_intvl"), accepted("linkbeat_use_polling"),
      accepted("timer_expired_backup"), accepted("owner_ignore_adverts"), accepted("auth_hmac"),
      accepted("active_key"), accepted("anti_replay"), accepted("time_window"), accepted("mode"),
  });
  return s;
}

namespace {
using SG = VrrpSyncGroup;
}

const BlockSchema& vrrp_sync_group_schema() {
  static const BlockSchema s("vrrp_sync_group", {
      names<&SG::group>("group", "the member vrrp_instances"),
      tracks<&SG::track_interface>("track_interface", "interfaces tracked by the group"),
      tracks<&SG::track_script>("track_script", "scripts tracked by the group"),
      tracks<&SG::track_file>("track_file", "files tracked by the group"),
      tracks<&SG::track_process>("track_process", "processes tracked by the group"),
      tracks<&SG::track_bfd>("track_bfd", "BFD instances tracked by the group"),
      kw<&SG::notify_master, ScriptP>("notify_master", "script run when the group becomes master"),
      kw<&SG::notify_backup, ScriptP>("notify_backup", "script run when the group becomes backup"),
      kw<&SG::notify_fault, ScriptP>("notify_fault", "script run when the group faults"),
      kw<&SG::notify_stop, ScriptP>("notify_stop", "script run when the group stops"),
      kw<&SG::notify, ScriptP>("notify", "script run on every group change"),
      kw<&SG::smtp_alert, Flag>("smtp_alert", "send email on group changes"),
      kw<&SG::global_tracking, Flag>("global_tracking", "deprecated: members share tracking"),
      kw<&SG::sync_group_tracking_weight, Flag>("sync_group_tracking_weight", "allow weighted tracking in groups"),
      accepted("notify_priority_changes"),
  });
  return s;
}

namespace {
using VS_ = VrrpScript;

void h_script_user(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 1, 2)) return;
  Script s{{}, std::string(st.arg(0)), st.argc() > 1 ? std::string(st.arg(1)) : std::string()};
  as<VS_>(t).user.assign(std::move(s), st.loc());
}
void d_script_user(JsonWriter& j, std::string_view k, const void* t) {
  const auto& u = as<VS_>(t).user;
  if (!u.is_set()) return;
  j.key(k).value(u->user + (u->group.empty() ? "" : " " + u->group));
}


// `script` in vrrp_script: the whole line is the command (quoted or not).
void h_vscript(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 1, SIZE_MAX)) return;
  Script s{st.argc() == 1 ? std::string(st.arg(0)) : p.rest(st), {}, {}};
  as<VS_>(t).script.assign(std::move(s), st.loc());
}
void d_vscript(JsonWriter& j, std::string_view k, const void* t) {
  const auto& s = as<VS_>(t).script;
  if (!s.is_set()) return;
  j.key(k).value(s->command);
}

}  // namespace

const BlockSchema& vrrp_script_schema() {
  static const BlockSchema s("vrrp_script", {
      custom("script", &h_vscript, &d_vscript, "command to run; exit 0 means up"),
      kw<&VS_::interval_us, Timer<1, 86400000>>("interval", "seconds between runs"),
      kw<&VS_::timeout_us, Timer<1, 86400000>>("timeout", "seconds before a run counts as failed"),
      weight<VS_>("priority change: weight N [reverse]"),
      kw<&VS_::rise, Int<1, 1000000>>("rise", "successes before up"),
      kw<&VS_::fall, Int<1, 1000000>>("fall", "failures before down"),
      custom("user", &h_script_user, &d_script_user, "user [group] to run as"),
      kw<&VS_::init_fail, Flag>("init_fail", "start in the failed state"),
  });
  return s;
}

namespace {
using TF = TrackFile;
void h_init_file(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 0, 2)) return;
  auto& f = as<TF>(t);
  f.init_file.assign(true, st.loc());
  for (std::size_t i = 0; i < st.argc(); ++i) {
    if (st.arg(i) == "overwrite") {
      f.init_file_overwrite.assign(true, st.args[i].loc);
    } else if (auto v = p.integer(st, i, -2147483648LL, 2147483647LL)) {
      f.init_file_value.assign(*v, st.args[i].loc);
    }
  }
}
void d_init_file(JsonWriter& j, std::string_view k, const void* t) {
  const auto& f = as<TF>(t);
  if (!f.init_file.is_set()) return;
  j.key(k).value(f.init_file_value.is_set() ? f.init_file_value.value : 0LL);
}
}  // namespace

const BlockSchema& track_file_schema() {
  static const BlockSchema s("track_file", {
      kw<&TF::file, Str>("file", "the file whose number is tracked"),
      weight<TF>("multiplier: weight N [reverse]"),
      custom("init_file", &h_init_file, &d_init_file, "create the file: init_file [VALUE] [overwrite]"),
  });
  return s;
}

namespace {
using TP = TrackProcess;
}

const BlockSchema& track_process_schema() {
  static const BlockSchema s("vrrp_track_process", {
      kw<&TP::process, Str>("process", "process name to look for"),
      kw<&TP::param_match, Str>("param_match", "how parameters are matched"),
      weight<TP>("priority change: weight N [reverse]"),
      kw<&TP::quorum, Int<1, 65535>>("quorum", "processes needed to be up"),
      kw<&TP::quorum_max, Int<1, 65535>>("quorum_max", "processes allowed at most"),
      kw<&TP::fork_delay_us, Timer<0, 3600000>>("fork_delay", "seconds before counting a new process"),
      kw<&TP::terminate_delay_us, Timer<0, 3600000>>("terminate_delay", "seconds before counting an exit"),
      kw<&TP::delay_us, Timer<0, 3600000>>("delay", "fork_delay and terminate_delay at once"),
      kw<&TP::full_command, Flag>("full_command", "match the whole command line"),
  });
  return s;
}

namespace {
using GG = GarpGroup;
}

const BlockSchema& garp_group_schema() {
  static const BlockSchema s("garp_group", {
      kw<&GG::garp_interval_us, Timer<0, 1000000>>("garp_interval", "seconds between GARPs"),
      kw<&GG::gna_interval_us, Timer<0, 1000000>>("gna_interval", "seconds between NAs"),
      kw<&GG::interface, Str>("interface", "the interface of the group"),
      names<&GG::interfaces>("interfaces", "interfaces of the group"),
  });
  return s;
}

}  // namespace vigil::conf
