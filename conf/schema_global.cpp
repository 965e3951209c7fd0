// The top level and global_defs, static addresses/routes/rules, virtual_server_group, SSL,
// bfd_instance, linkbeat_interfaces.
#include <algorithm>

#include "conf/bind_lists.hpp"

namespace vigil::conf {
using namespace bind;
namespace {

using G = GlobalDefs;


// smtp_server HOST [PORT]
struct HostPortP {
  using T = HostPort;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 2)) return std::nullopt;
    HostPort hp{std::string(st.arg(0)), 25};
    if (st.argc() == 2) {
      auto port = p.port(st, 1);
      if (!port) return std::nullopt;
      hp.port = *port;
    }
    return hp;
  }
  static void dump(JsonWriter& j, const T& v) { j.value(v.host + " " + std::to_string(v.port)); }
};

// lvs_sync_daemon IF [[inst] INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group IP]
struct SyncDaemonP {
  using T = LvsSyncDaemon;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 14)) return std::nullopt;
    LvsSyncDaemon d;
    d.interface = st.arg(0);
    for (std::size_t i = 1; i < st.argc(); ++i) {
      const auto w = st.arg(i);
      const bool has_value = i + 1 < st.argc();
      if (w == "id" && has_value) {
        auto v = p.integer(st, ++i, 0, 255);
        if (!v) return std::nullopt;
        d.syncid = *v;
      } else if (w == "maxlen" && has_value) {
        auto v = p.integer(st, ++i, 1, 65535 - 20 - 8);
        if (!v) return std::nullopt;
        d.maxlen = *v;
      } else if (w == "port" && has_value) {
        auto v = p.integer(st, ++i, 1, 65535);
        if (!v) return std::nullopt;
        d.port = *v;
      } else if (w == "ttl" && has_value) {
        auto v = p.integer(st, ++i, 1, 255);
        if (!v) return std::nullopt;
        d.ttl = *v;
      } else if (w == "group" && has_value) {
        auto a = p.ip(st, ++i);
        if (!a) return std::nullopt;
        if (!a->is_multicast()) {
          p.error(st.args[i].loc, "lvs_sync_daemon group " + quoted(st.arg(i)) + " is not multicast");
          return std::nullopt;
        }
        d.group = a;
      } else if (w == "inst" && has_value) {
        d.instance = st.arg(++i);
      } else if (d.instance.empty() && i == 1) {
        d.instance = w;
      } else {
        p.error(st.args[i].loc, "unknown lvs_sync_daemon option " + quoted(w));
        return std::nullopt;
      }
    }
    return d;
  }
  static void dump(JsonWriter& j, const T& v) {
    j.begin_object();
    j.key("interface").value(v.interface);
    if (!v.instance.empty()) j.key("instance").value(v.instance);
    if (v.syncid >= 0) j.key("id").value(v.syncid);
    if (v.maxlen >= 0) j.key("maxlen").value(v.maxlen);
    if (v.port >= 0) j.key("port").value(v.port);
    if (v.ttl >= 0) j.key("ttl").value(v.ttl);
    if (v.group) j.key("group").value(v.group->to_string());
    j.end_object();
  }
};

// lvs_timeouts [tcp N] [tcpfin N] [udp N]
struct TimeoutsP {
  using T = LvsTimeouts;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 2, 6)) return std::nullopt;
    LvsTimeouts t;
    for (std::size_t i = 0; i + 1 < st.argc(); i += 2) {
      auto v = p.integer(st, i + 1, 0, 86400 * 31);
      if (!v) return std::nullopt;
      if (st.arg(i) == "tcp") t.tcp = *v;
      else if (st.arg(i) == "tcpfin") t.tcpfin = *v;
      else if (st.arg(i) == "udp") t.udp = *v;
      else {
        p.error(st.args[i].loc, "lvs_timeouts takes tcp, tcpfin and udp, not " + quoted(st.arg(i)));
        return std::nullopt;
      }
    }
    if (st.argc() % 2 != 0) {
      p.error(st.loc(), "lvs_timeouts: every name needs a value");
      return std::nullopt;
    }
    return t;
  }
  static void dump(JsonWriter& j, const T& v) {
    j.begin_object();
    if (v.tcp >= 0) j.key("tcp").value(v.tcp);
    if (v.tcpfin >= 0) j.key("tcpfin").value(v.tcpfin);
    if (v.udp >= 0) j.key("udp").value(v.udp);
    j.end_object();
  }
};

struct Mcast4P : Ip {
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    auto a = Ip::parse(p, st);
    if (a && (!a->is_v4() || !a->is_multicast())) {
      p.error(st.args[0].loc, quoted(st.arg(0)) + " is not an IPv4 multicast address");
      return std::nullopt;
    }
    return a;
  }
};
struct Mcast6P : Ip {
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    auto a = Ip::parse(p, st);
    if (a && (!a->is_v6() || !a->is_multicast())) {
      p.error(st.args[0].loc, quoted(st.arg(0)) + " is not an IPv6 multicast address");
      return std::nullopt;
    }
    return a;
  }
};

void h_script_user(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 1, 2)) return;
  auto& g = as<G>(t);
  g.script_user.assign(std::string(st.arg(0)), st.loc());
  if (st.argc() == 2) g.script_group.assign(std::string(st.arg(1)), st.args[1].loc);
}
void d_script_user(JsonWriter& j, std::string_view k, const void* t) {
  const auto& g = as<G>(t);
  if (!g.script_user.is_set()) return;
  j.key(k).value(*g.script_user + (g.script_group.is_set() ? " " + *g.script_group : ""));
}

struct UmaskP {
  using T = long long;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, SIZE_MAX)) return std::nullopt;
    // Octal number, or symbolic IWGRP|IWOTH...: only the number form is modelled.
    const auto s = st.arg(0);
    long long v = 0;
    for (char c : s) {
      if (c < '0' || c > '7') {
        p.warning(st.loc(), "umask " + quoted(s) + ": only the octal form is supported; ignored");
        return std::nullopt;
      }
      v = v * 8 + (c - '0');
    }
    if (v > 0777) {
      p.error(st.args[0].loc, "umask " + quoted(s) + " is out of range");
      return std::nullopt;
    }
    return v;
  }
  static void dump(JsonWriter& j, const T& v) { j.value(v); }
};

}  // namespace

const BlockSchema& global_defs_schema() {
  static const BlockSchema s("global_defs", {
      kw<&G::router_id, Str>("router_id", "name of this director in mail and logs"),
      custom("notification_email", &h_names<&G::notification_email>, &d_names<&G::notification_email>, "mail recipients"),
      kw<&G::notification_email_from, Str>("notification_email_from", "mail sender"),
      kw<&G::smtp_server, HostPortP>("smtp_server", "mail relay: HOST [PORT]"),
      kw<&G::smtp_helo_name, Str>("smtp_helo_name", "HELO name"),
      kw<&G::smtp_connect_timeout, Int<1, 3600>>("smtp_connect_timeout", "seconds to reach the relay"),
      kw<&G::smtp_alert, Flag>("smtp_alert", "default for all smtp_alert"),
      kw<&G::smtp_alert_vrrp, Flag>("smtp_alert_vrrp", "default for VRRP smtp_alert"),
      kw<&G::smtp_alert_checker, Flag>("smtp_alert_checker", "default for checker smtp_alert"),
      kw<&G::checker_log_all_failures, Flag>("checker_log_all_failures", "log every failed check"),
      kw<&G::no_email_faults, Flag>("no_email_faults", "no mail for FAULT"),
      kw<&G::default_interface, Str>("default_interface", "interface of static addresses"),
      custom("script_user", &h_script_user, &d_script_user, "user [group] scripts run as"),
      kw<&G::enable_script_security, Flag>("enable_script_security", "refuse scripts writable by non-root"),
      kw<&G::umask, UmaskP>("umask", "umask of created files"),
      kw<&G::net_namespace, Str>("net_namespace", "network namespace to run in"),
      kw<&G::net_namespace_ipvs, Str>("net_namespace_ipvs", "network namespace of IPVS"),
      kw<&G::namespace_with_ipsets, Flag>("namespace_with_ipsets", "ipsets in a namespace"),
      kw<&G::instance, Str>("instance", "instance name (pid file names)"),
      kw<&G::use_pid_dir, Flag>("use_pid_dir", "pid files in /run/keepalived"),
      kw<&G::linkbeat_use_polling, Flag>("linkbeat_use_polling", "poll link state"),
      kw<&G::child_wait_time, Int<0, 3600>>("child_wait_time", "seconds to wait for children"),
      kw<&G::process_names, Flag>("process_names", "set process names"),
      kw<&G::process_name, Str>("process_name", "main process name"),
      kw<&G::vrrp_process_name, Str>("vrrp_process_name", "VRRP process name"),
      kw<&G::checker_process_name, Str>("checker_process_name", "checker process name"),
      kw<&G::bfd_process_name, Str>("bfd_process_name", "BFD process name"),
      kw<&G::tmp_config_directory, Str>("tmp_config_directory", "directory of the config copy"),
      kw<&G::config_save_dir, Str>("config_save_dir", "where configs are saved on reload"),
      kw<&G::startup_script, ScriptP>("startup_script", "script run at start"),
      kw<&G::startup_script_timeout, Int<1, 1000>>("startup_script_timeout", "its time limit"),
      kw<&G::shutdown_script, ScriptP>("shutdown_script", "script run at stop"),
      kw<&G::shutdown_script_timeout, Int<1, 1000>>("shutdown_script_timeout", "its time limit"),
      kw<&G::notify_fifo, Str>("notify_fifo", "FIFO receiving every state change"),
      kw<&G::notify_fifo_script, ScriptP>("notify_fifo_script", "script reading notify_fifo"),
      kw<&G::vrrp_notify_fifo, Str>("vrrp_notify_fifo", "FIFO of VRRP changes"),
      kw<&G::vrrp_notify_fifo_script, ScriptP>("vrrp_notify_fifo_script", "script reading it"),
      kw<&G::lvs_notify_fifo, Str>("lvs_notify_fifo", "FIFO of checker changes"),
      kw<&G::lvs_notify_fifo_script, ScriptP>("lvs_notify_fifo_script", "script reading it"),
      kw<&G::vrrp_mcast_group4, Mcast4P>("vrrp_mcast_group4", "IPv4 advert group (224.0.0.18)"),
      kw<&G::vrrp_mcast_group6, Mcast6P>("vrrp_mcast_group6", "IPv6 advert group (ff02::12)"),
      kw<&G::vrrp_garp_master_delay, Int<0, 3600>>("vrrp_garp_master_delay", "default garp_master_delay"),
      kw<&G::vrrp_garp_master_repeat, Int<0, 255>>("vrrp_garp_master_repeat", "default garp_master_repeat"),
      kw<&G::vrrp_garp_master_refresh, Int<0, 86400>>("vrrp_garp_master_refresh", "default garp_master_refresh"),
      kw<&G::vrrp_garp_master_refresh_repeat, Int<0, 255>>("vrrp_garp_master_refresh_repeat", "default refresh repeat"),
      kw<&G::vrrp_garp_lower_prio_delay, Int<0, 3600>>("vrrp_garp_lower_prio_delay", "default garp_lower_prio_delay"),
      kw<&G::vrrp_garp_lower_prio_repeat, Int<0, 255>>("vrrp_garp_lower_prio_repeat", "default garp_lower_prio_repeat"),
      kw<&G::vrrp_garp_interval_us, Timer<0, 1000000>>("vrrp_garp_interval", "default garp_interval"),
      kw<&G::vrrp_gna_interval_us, Timer<0, 1000000>>("vrrp_gna_interval", "default gna_interval"),
      kw<&G::vrrp_lower_prio_no_advert, Flag>("vrrp_lower_prio_no_advert", "default lower_prio_no_advert"),
      kw<&G::vrrp_higher_prio_send_advert, Flag>("vrrp_higher_prio_send_advert", "default higher_prio_send_advert"),
      kw<&G::vrrp_version, Int<2, 3>>("vrrp_version", "default VRRP version"),
      kw<&G::vrrp_strict, Flag>("vrrp_strict", "strict RFC compliance everywhere"),
      kw<&G::vrrp_skip_check_adv_addr, Flag>("vrrp_skip_check_adv_addr", "default skip_check_adv_addr"),
      kw<&G::vrrp_check_unicast_src, Flag>("vrrp_check_unicast_src", "default check_unicast_src"),
      kw<&G::vrrp_priority, Int<-20, 19>>("vrrp_priority", "nice value of VRRP"),
      kw<&G::checker_priority, Int<-20, 19>>("checker_priority", "nice value of checkers"),
      kw<&G::bfd_priority, Int<-20, 19>>("bfd_priority", "nice value of BFD"),
      kw<&G::vrrp_no_swap, Flag>("vrrp_no_swap", "lock VRRP memory"),
      kw<&G::checker_no_swap, Flag>("checker_no_swap", "lock checker memory"),
      kw<&G::bfd_no_swap, Flag>("bfd_no_swap", "lock BFD memory"),
      kw<&G::vrrp_startup_delay_us, Timer<0, 3600000>>("vrrp_startup_delay", "seconds before VRRP starts"),
      kw<&G::max_auto_priority, Int<-1, 99>>("max_auto_priority", "realtime priority ceiling"),
      kw<&G::min_auto_priority_delay_us, Int<0, 1000000000>>("min_auto_priority_delay", "delay before raising priority"),
      kw<&G::dynamic_interfaces, Flag>("dynamic_interfaces", "allow interfaces missing at start"),
      kw<&G::vrrp_notify_priority_changes, Flag>("vrrp_notify_priority_changes", "notify priority changes"),
      kw<&G::log_unknown_vrids, Flag>("log_unknown_vrids", "log adverts of unknown VRIDs"),
      kw<&G::vrrp_owner_ignore_adverts, Flag>("vrrp_owner_ignore_adverts", "owner ignores adverts"),
      kw<&G::fifo_write_vrrp_states_on_reload, Flag>("fifo_write_vrrp_states_on_reload", "rewrite states to FIFO on reload"),
      kw<&G::vrrp_netlink_monitor_rcv_bufs, Int<0, 1LL << 31>>("vrrp_netlink_monitor_rcv_bufs", "netlink buffer size"),
      kw<&G::vrrp_netlink_monitor_rcv_bufs_force, Flag>("vrrp_netlink_monitor_rcv_bufs_force", "force it"),
      kw<&G::vrrp_netlink_cmd_rcv_bufs, Int<0, 1LL << 31>>("vrrp_netlink_cmd_rcv_bufs", "netlink buffer size"),
      kw<&G::vrrp_netlink_cmd_rcv_bufs_force, Flag>("vrrp_netlink_cmd_rcv_bufs_force", "force it"),
      kw<&G::lvs_netlink_monitor_rcv_bufs, Int<0, 1LL << 31>>("lvs_netlink_monitor_rcv_bufs", "netlink buffer size"),
      kw<&G::lvs_netlink_monitor_rcv_bufs_force, Flag>("lvs_netlink_monitor_rcv_bufs_force", "force it"),
      kw<&G::lvs_netlink_cmd_rcv_bufs, Int<0, 1LL << 31>>("lvs_netlink_cmd_rcv_bufs", "netlink buffer size"),
      kw<&G::lvs_netlink_cmd_rcv_bufs_force, Flag>("lvs_netlink_cmd_rcv_bufs_force", "force it"),
      kw<&G::process_monitor_rcv_bufs, Int<0, 1LL << 31>>("process_monitor_rcv_bufs", "netlink buffer size"),
      kw<&G::process_monitor_rcv_bufs_force, Flag>("process_monitor_rcv_bufs_force", "force it"),
      kw<&G::vrrp_rx_bufs_multiplier, Int<1, 1000>>("vrrp_rx_bufs_multiplier", "receive buffer multiplier"),
      kw<&G::lvs_sync_daemon, SyncDaemonP>("lvs_sync_daemon", "IPVS connection sync daemon"),
      kw<&G::lvs_timeouts, TimeoutsP>("lvs_timeouts", "IPVS timeouts: tcp N tcpfin N udp N"),
      kw<&G::lvs_flush, Flag>("lvs_flush", "flush IPVS at start (vigil never flushes implicitly)"),
      kw<&G::lvs_flush_onstop, Flag>("lvs_flush_onstop", "flush IPVS at stop"),
      alias<&G::lvs_flush_onstop, Flag>("lvs_flush_on_stop", "lvs_flush_onstop"),
      kw<&G::enable_dbus, Flag>("enable_dbus", "D-Bus interface"),
      kw<&G::dbus_service_name, Str>("dbus_service_name", "D-Bus name"),
      kw<&G::enable_traps, Flag>("enable_traps", "SNMP traps"),
      kw<&G::enable_snmp_vrrp, Flag>("enable_snmp_vrrp", "SNMP VRRP MIB"),
      alias<&G::enable_snmp_vrrp, Flag>("enable_snmp_keepalived", "enable_snmp_vrrp"),
      kw<&G::enable_snmp_checker, Flag>("enable_snmp_checker", "SNMP checker MIB"),
      kw<&G::enable_snmp_rfc, Flag>("enable_snmp_rfc", "SNMP RFC MIBs"),
      kw<&G::enable_snmp_rfcv2, Flag>("enable_snmp_rfcv2", "SNMP RFC 2787 MIB"),
      kw<&G::enable_snmp_rfcv3, Flag>("enable_snmp_rfcv3", "SNMP RFC 6527 MIB"),
      kw<&G::snmp_socket, Str>("snmp_socket", "AgentX socket"),
      kw<&G::random_seed, Int<0, 4294967295LL>>("random_seed", "seed of ${_RANDOM}"),
      kw<&G::vrrp_iptables, Words>("vrrp_iptables", "Ignored: vigil enforces no_accept with nftables (see nftables)"),
      kw<&G::vrrp_ipsets, Words>("vrrp_ipsets", "ipsets for VIPs"),
      kw<&G::nftables, OptStr>("nftables", "nftables table (inet) that drops packets to the VIPs of no_accept instances (default vigil)"),
      kw<&G::nftables_counters, Flag>("nftables_counters", "counters on that table's rules"),
      kw<&G::nftables_ifindex, Flag>("nftables_ifindex", "match interfaces by index"),
      kw<&G::nftables_priority, Int<-2147483648LL, 2147483647LL>>("nftables_priority", "priority of that table's input chain (default -1)"),
      kw<&G::vmac_prefix, Str>("vmac_prefix", "prefix of the default VMAC interface names (default vrrp: vrrp.<VRID>)"),
      kw<&G::vmac_addr_prefix, Str>("vmac_addr_prefix", "prefix of the VMACs of use_vmac_addr (not supported yet)"),
      kw<&G::state_dump_file, Str>("state_dump_file", "where SIGUSR1 dumps state"),
      kw<&G::stats_dump_file, Str>("stats_dump_file", "where SIGUSR2 dumps stats"),
      kw<&G::json_dump_file, Str>("json_dump_file", "where SIGJSON dumps state"),
      kw<&G::reload_time_file, Str>("reload_time_file", "file holding a time at which to reload"),
      kw<&G::reload_repeat, Flag>("reload_repeat", "repeat the timed reload daily"),
      alias<&G::checker_process_name, Str>("lvs_process_name", "checker_process_name"),
      accepted("vrrp_rlimit_rttime"), accepted("vrrp_rlimit_rtime"), accepted("checker_rlimit_rttime"),
      accepted("checker_rlimit_rtime"), accepted("bfd_rlimit_rttime"), accepted("bfd_rlimit_rtime"),
      accepted("vrrp_rt_priority"), accepted("checker_rt_priority"), accepted("bfd_rt_priority"),
      accepted("vrrp_cpu_affinity"), accepted("checker_cpu_affinity"), accepted("bfd_cpu_affinity"),
      accepted("vrrp_rx_bufs_policy"), accepted("vrrp_min_garp"), accepted("vrrp_garp_extra_if"),
      accepted("vrrp_vmac_garp_intvl"), accepted("vrrp_down_timer_adverts"), accepted("vrrp_delay_after_boot"),
      accepted("v3_checksum_as_v2"), accepted("use_symlink_paths"), accepted("set_supplementary_groups"),
      accepted("snmp_vs_stats_update_interval"), accepted("snmp_rs_stats_update_interval"),
      accepted("nftables_ipvs"), accepted("nftables_ipvs_start_fwmark"), accepted("nftables_ipvs_priority"),
      accepted("iproute_usr_dir"), accepted("iproute_etc_dir"), accepted("include_check"),
      accepted("reload_check_config"),
      accepted("reload_file"), accepted("data_use_instance"), accepted("json_version"),
      accepted("disable_local_igmp"), accepted("dbus_no_interface_name"), accepted("no_checker_emails"),
      accepted("rs_init_notifies"), accepted("timer_expired_backup"), accepted("thread_timer_expired"),
      accepted("vrrp_notify_priority_changes_fifo"), accepted("snmp_name"),
  });
  return s;
}

namespace {

using C = Config;

template <class T, auto Vec, const BlockSchema& (*Schema)()>
void h_named_block(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 1, 1) || !p.want_block(st)) {
    if (st.has_block) p.skip_block(st);
    return;
  }
  T item;
  item.name = {std::string(st.arg(0)), st.args[0].loc};
  p.parse_block(st, Schema(), &item);
  (as<C>(t).*Vec).push_back(std::move(item));
}

template <class T, auto Vec, const BlockSchema& (*Schema)()>
void d_named_blocks(JsonWriter& j, std::string_view k, const void* t) {
  const auto& v = as<C>(t).*Vec;
  if (v.empty()) return;
  j.key(k);
  j.begin_array();
  for (const auto& item : v) {
    j.begin_object();
    j.key("name").value(item.name.value);
    dump_members(j, Schema(), &item);
    j.end_object();
  }
  j.end_array();
}

template <class T, auto Vec, const BlockSchema& (*Schema)()>
KeywordDef named_block(std::string_view name, std::string_view summary) {
  return custom(name, &h_named_block<T, Vec, Schema>, &d_named_blocks<T, Vec, Schema>, summary);
}

void h_global_defs(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 0, 0) || !p.want_block(st)) {
    if (st.has_block) p.skip_block(st);
    return;
  }
  p.parse_block(st, global_defs_schema(), &as<C>(t).global);
}
void d_global_defs(JsonWriter& j, std::string_view k, const void* t) {
  j.key(k);
  j.begin_object();
  dump_members(j, global_defs_schema(), &as<C>(t).global);
  j.end_object();
}

// Top-level process settings keepalived accepts outside global_defs.
template <auto M, class P>
void h_top_global(Parser& p, void* t, const Stmt& st) {
  set_field<M, P>(p, &as<C>(t).global, st);
}
template <auto M, class P>
KeywordDef top_global(std::string_view name) {
  return KeywordDef{name, Support::modelled, &h_top_global<M, P>, "process setting (also in global_defs)", nullptr};
}

// virtual_server IP PORT | fwmark N | group NAME
void h_virtual_server(Parser& p, void* t, const Stmt& st) {
  VirtualServer vs;
  vs.loc = st.loc();
  bool ok = p.want_args(st, 2, 2);
  if (ok && st.arg(0) == "fwmark") {
    vs.kind = VirtualServer::Kind::fwmark;
    auto m = p.integer(st, 1, 1, 4294967295LL);
    ok = m.has_value();
    if (m) vs.fwmark = *m;
  } else if (ok && st.arg(0) == "group") {
    vs.kind = VirtualServer::Kind::group;
    vs.group = st.arg(1);
  } else if (ok) {
    auto a = p.ip(st, 0);
    auto port = p.port(st, 1);
    ok = a && port;
    if (ok) {
      vs.address = *a;
      vs.port = *port;
    }
  }
  if (!p.want_block(st)) return;
  p.parse_block(st, virtual_server_schema(), &vs);
  // Large files hold tens of thousands of real servers: drop the growth slack.
  vs.real_servers.shrink_to_fit();
  if (ok) as<C>(t).virtual_servers.push_back(std::move(vs));
}

// virtual_server_group NAME { IP PORT | IP-LAST PORT | fwmark N }
void h_vsg(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 1, 1) || !p.want_block(st)) {
    if (st.has_block) p.skip_block(st);
    return;
  }
  VirtualServerGroup g;
  g.name = {std::string(st.arg(0)), st.args[0].loc};
  p.parse_items(st, [&](const Stmt& item) {
    VsgEntry e;
    e.loc = item.loc();
    if (item.name() == "fwmark") {
      if (!p.want_args(item, 1, 1)) return;
      auto m = p.integer(item, 0, 1, 4294967295LL);
      if (!m) return;
      e.kind = VsgEntry::Kind::fwmark;
      e.fwmark = *m;
      g.entries.push_back(e);
      return;
    }
    if (!p.want_args(item, 1, 1)) return;
    auto port = p.port(item, 0);
    const auto text = item.name();
    // A range: the last dotted (v4) or colon (v6) part of the address runs to LAST.
    const auto dash = text.rfind('-');
    auto first = IpAddress::parse(text.substr(0, dash));
    if (!first) {
      p.error(item.loc(), quoted(text) + " is not an address or address range");
      return;
    }
    e.first = e.last = *first;
    if (dash != std::string_view::npos) {
      const auto last_part = text.substr(dash + 1);
      unsigned long last = 0;
      const int base = first->is_v4() ? 10 : 16;
      bool good = !last_part.empty() && last_part.size() <= 4;
      for (char c : last_part) {
        int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : 99;
        if (d >= base) good = false;
        last = last * static_cast<unsigned long>(base) + static_cast<unsigned long>(d < base ? d : 0);
      }
      auto bytes = first->bytes();
      const std::size_t n = first->is_v4() ? 4 : 16;
      const unsigned long start = first->is_v4() ? bytes[3] : (std::size_t{bytes[14]} << 8 | bytes[15]);
      const unsigned long limit = first->is_v4() ? 255 : 65535;
      if (!good || last > limit || last < start) {
        p.error(item.loc(), "address range " + quoted(text) + " must end at or above its start, within the last part");
        return;
      }
      if (first->is_v4()) {
        bytes[3] = static_cast<std::uint8_t>(last);
        e.last = IpAddress::v4((std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                               (std::uint32_t{bytes[2]} << 8) | bytes[3]);
      } else {
        bytes[14] = static_cast<std::uint8_t>(last >> 8);
        bytes[15] = static_cast<std::uint8_t>(last);
        e.last = IpAddress::v6(bytes);
      }
      (void)n;
      e.kind = VsgEntry::Kind::range;
    }
    if (!port) return;
    e.port = *port;
    g.entries.push_back(e);
  });
  as<C>(t).virtual_server_groups.push_back(std::move(g));
}

void d_vsg(JsonWriter& j, std::string_view k, const void* t) {
  const auto& v = as<C>(t).virtual_server_groups;
  if (v.empty()) return;
  j.key(k);
  j.begin_array();
  for (const auto& g : v) {
    j.begin_object();
    j.key("name").value(g.name.value);
    j.key("entries");
    j.begin_array();
    for (const auto& e : g.entries) {
      if (e.kind == VsgEntry::Kind::fwmark)
        j.value("fwmark " + std::to_string(e.fwmark));
      else if (e.kind == VsgEntry::Kind::range)
        j.value(e.first.to_string() + "-" + e.last.to_string() + " " + std::to_string(e.port));
      else
        j.value(e.first.to_string() + " " + std::to_string(e.port));
    }
    j.end_array();
    j.end_object();
  }
  j.end_array();
}

void h_ssl(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 0, 0) || !p.want_block(st)) {
    if (st.has_block) p.skip_block(st);
    return;
  }
  SslBlock b;
  b.loc = st.loc();
  p.parse_block(st, ssl_schema(), &b);
  as<C>(t).ssl.assign(std::move(b), st.loc());
}
void d_ssl(JsonWriter& j, std::string_view k, const void* t) {
  const auto& s = as<C>(t).ssl;
  if (!s.is_set()) return;
  j.key(k);
  j.begin_object();
  dump_members(j, ssl_schema(), &s.value);
  j.end_object();
}

void h_linkbeat(Parser& p, void* t, const Stmt& st) {
  parse_name_list(p, st, as<C>(t).linkbeat_interfaces.interfaces);
}
void d_linkbeat(JsonWriter& j, std::string_view k, const void* t) {
  const auto& v = as<C>(t).linkbeat_interfaces.interfaces;
  if (v.empty()) return;
  j.key(k);
  dump_name_list(j, v);
}

void h_garp_group(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 0, 0) || !p.want_block(st)) {
    if (st.has_block) p.skip_block(st);
    return;
  }
  GarpGroup g;
  g.loc = st.loc();
  p.parse_block(st, garp_group_schema(), &g);
  as<C>(t).garp_groups.push_back(std::move(g));
}

void d_virtual_servers(JsonWriter& j, std::string_view k, const void* t) {
  const auto& v = as<C>(t).virtual_servers;
  if (v.empty()) return;
  j.key(k);
  dump_virtual_servers(j, v);
}

}  // namespace

const BlockSchema& ssl_schema() {
  static const BlockSchema s("SSL", {
      kw<&SslBlock::password, Str>("password", "password of the key"),
      kw<&SslBlock::ca, Str>("ca", "CA certificate file"),
      kw<&SslBlock::certificate, Str>("certificate", "client certificate file"),
      kw<&SslBlock::key, Str>("key", "client key file"),
  });
  return s;
}

const BlockSchema& bfd_instance_schema() {
  using B = BfdInstance;
  static const BlockSchema s("bfd_instance", {
      kw<&B::neighbor_ip, Ip>("neighbor_ip", "the BFD peer"),
      alias<&B::neighbor_ip, Ip>("neighbour_ip", "neighbor_ip"),
      kw<&B::source_ip, Ip>("source_ip", "our address"),
      kw<&B::min_rx_us, MsTimer<0, 1000000>>("min_rx", "required min RX interval, ms (default 10)"),
      kw<&B::min_tx_us, MsTimer<0, 1000000>>("min_tx", "desired min TX interval while Up, ms (default 10)"),
      kw<&B::idle_tx_us, MsTimer<0, 1000000>>("idle_tx", "desired min TX interval while not Up, ms (default 1000)"),
      kw<&B::multiplier, Int<1, 255>>("multiplier", "detect multiplier"),
      kw<&B::passive, Flag>("passive", "wait for the peer"),
      kw<&B::ttl, Int<1, 255>>("ttl", "IPv4 TTL"),
      kw<&B::hoplimit, Int<1, 255>>("hoplimit", "IPv6 hop limit"),
      kw<&B::max_hops, Int<0, 255>>("max_hops", "hops allowed"),
      kw<&B::vrrp, Flag>("vrrp", "send this session's events to VRRP only"),
      kw<&B::checker, Flag>("checker", "send this session's events to the checkers only"),
      weight<B, -253, 253>(),
      accepted("vrf"), accepted("multihop"),
  });
  return s;
}

const BlockSchema& top_schema() {
  static const BlockSchema s("the top level", {
      custom("global_defs", &h_global_defs, &d_global_defs, "global settings block"),
      addresses<&C::static_ipaddress>("static_ipaddress", "addresses vigil keeps in place"),
      routes<&C::static_routes, false>("static_routes", "routes vigil keeps in place"),
      routes<&C::static_rules, true>("static_rules", "rules vigil keeps in place"),
      named_block<VrrpScript, &C::vrrp_scripts, &vrrp_script_schema>("vrrp_script", "a tracking script"),
      named_block<TrackFile, &C::track_files, &track_file_schema>("track_file", "a tracked file"),
      KeywordDef{"vrrp_track_file", Support::deprecated, &h_named_block<TrackFile, &C::track_files, &track_file_schema>, "track_file", nullptr},
      named_block<TrackProcess, &C::track_processes, &track_process_schema>("vrrp_track_process", "a tracked process"),
      named_block<VrrpSyncGroup, &C::sync_groups, &vrrp_sync_group_schema>("vrrp_sync_group", "instances that change state together"),
      named_block<VrrpInstance, &C::vrrp_instances, &vrrp_instance_schema>("vrrp_instance", "a VRRP instance"),
      custom("garp_group", &h_garp_group, nullptr, "GARP rate limits for interfaces"),
      custom("virtual_server_group", &h_vsg, &d_vsg, "addresses, ranges and fwmarks served together"),
      custom("virtual_server", &h_virtual_server, &d_virtual_servers, "an IPVS service"),
      named_block<BfdInstance, &C::bfd_instances, &bfd_instance_schema>("bfd_instance", "a BFD session"),
      custom("SSL", &h_ssl, &d_ssl, "TLS client settings of SSL_GET"),
      custom("linkbeat_interfaces", &h_linkbeat, &d_linkbeat, "interfaces polled for link state"),
      top_global<&G::net_namespace, Str>("net_namespace"),
      top_global<&G::net_namespace_ipvs, Str>("net_namespace_ipvs"),
      top_global<&G::namespace_with_ipsets, Flag>("namespace_with_ipsets"),
      top_global<&G::instance, Str>("instance"),
      top_global<&G::use_pid_dir, Flag>("use_pid_dir"),
      top_global<&G::linkbeat_use_polling, Flag>("linkbeat_use_polling"),
      top_global<&G::child_wait_time, Int<0, 3600>>("child_wait_time"),
      accepted("interface_up_down_delays"), accepted("track_group"),
  });
  return s;
}

std::vector<const BlockSchema*> all_schemas() {
  std::vector<const BlockSchema*> v = {
      &top_schema(),           &global_defs_schema(),    &vrrp_instance_schema(),
      &authentication_schema(), &vrrp_sync_group_schema(), &vrrp_script_schema(),
      &track_file_schema(),     &track_process_schema(),  &garp_group_schema(),
      &virtual_server_schema(), &real_server_schema(),    &url_schema(),
      &smtp_host_schema(),      &ssl_schema(),            &bfd_instance_schema()};
  for (std::size_t i = 0; i < std::size(kCheckerNames); ++i) v.push_back(&checker_schema(i));
  return v;
}

void dump_members(JsonWriter& j, const BlockSchema& schema, const void* target) {
  for (const auto& k : schema.keywords())
    if (k.dump != nullptr) k.dump(j, k.name, target);
}

}  // namespace vigil::conf
