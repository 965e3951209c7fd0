// The typed configuration: what vigil understood from keepalived.conf. Every value keeps the
// location it came from (Setting<T>::loc). Produced by conf::load(); read by the daemon.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <variant>
#include <vector>

#include "base/ip.hpp"
#include "conf/setting.hpp"

namespace vigil::conf {

// A script with its optional user and group: `notify_master "/bin/x arg" [user [group]]`.
struct Script {
  std::string command;
  std::string user;
  std::string group;
  friend bool operator==(const Script&, const Script&) = default;
};

struct HostPort {
  std::string host;  // IP address or name
  std::uint16_t port{};
};

struct LvsSyncDaemon {
  std::string interface;
  std::string instance;  // VRRP instance it follows
  long long syncid{-1};
  long long maxlen{-1};
  long long port{-1};
  long long ttl{-1};
  std::optional<IpAddress> group;
};

struct LvsTimeouts {
  long long tcp{-1}, tcpfin{-1}, udp{-1};
};

// ---- global_defs and top-level process settings ----------------------------------------
struct GlobalDefs {
  // process
  Setting<std::string> net_namespace, net_namespace_ipvs, instance, process_name,
      vrrp_process_name, checker_process_name, bfd_process_name, tmp_config_directory,
      config_save_dir;
  Setting<bool> namespace_with_ipsets, use_pid_dir, linkbeat_use_polling, process_names;
  Setting<long long> child_wait_time;
  Setting<Script> startup_script, shutdown_script;
  Setting<long long> startup_script_timeout, shutdown_script_timeout;
  // identity and mail
  Setting<std::string> router_id, notification_email_from, smtp_helo_name, default_interface;
  std::vector<Located<std::string>> notification_email;
  Setting<HostPort> smtp_server;
  Setting<long long> smtp_connect_timeout;
  Setting<bool> smtp_alert, smtp_alert_vrrp, smtp_alert_checker, checker_log_all_failures,
      no_email_faults;
  // scripts
  Setting<std::string> script_user, script_group;
  Setting<bool> enable_script_security;
  Setting<long long> umask;
  // notify fifos
  Setting<std::string> notify_fifo, vrrp_notify_fifo, lvs_notify_fifo;
  Setting<Script> notify_fifo_script, vrrp_notify_fifo_script, lvs_notify_fifo_script;
  // vrrp defaults
  Setting<IpAddress> vrrp_mcast_group4, vrrp_mcast_group6;
  Setting<long long> vrrp_garp_master_delay, vrrp_garp_master_repeat, vrrp_garp_master_refresh,
      vrrp_garp_master_refresh_repeat, vrrp_garp_lower_prio_delay, vrrp_garp_lower_prio_repeat,
      vrrp_garp_interval_us, vrrp_gna_interval_us, vrrp_version, vrrp_priority, checker_priority,
      bfd_priority, vrrp_startup_delay_us, max_auto_priority, min_auto_priority_delay_us,
      vrrp_netlink_monitor_rcv_bufs, vrrp_netlink_cmd_rcv_bufs, lvs_netlink_monitor_rcv_bufs,
      lvs_netlink_cmd_rcv_bufs, process_monitor_rcv_bufs, vrrp_rx_bufs_multiplier;
  Setting<bool> vrrp_netlink_monitor_rcv_bufs_force, vrrp_netlink_cmd_rcv_bufs_force,
      lvs_netlink_monitor_rcv_bufs_force, lvs_netlink_cmd_rcv_bufs_force,
      process_monitor_rcv_bufs_force;
  Setting<bool> vrrp_lower_prio_no_advert, vrrp_higher_prio_send_advert, vrrp_strict,
      vrrp_skip_check_adv_addr, vrrp_check_unicast_src, vrrp_no_swap, checker_no_swap,
      bfd_no_swap, dynamic_interfaces, vrrp_notify_priority_changes, log_unknown_vrids,
      vrrp_owner_ignore_adverts, fifo_write_vrrp_states_on_reload;
  Setting<std::string> vrrp_iptables, vrrp_ipsets, nftables, vmac_prefix, vmac_addr_prefix;
  Setting<bool> nftables_counters, nftables_ifindex;
  Setting<long long> nftables_priority;
  // lvs
  Setting<LvsSyncDaemon> lvs_sync_daemon;
  Setting<LvsTimeouts> lvs_timeouts;
  Setting<bool> lvs_flush, lvs_flush_onstop;
  // dbus/snmp
  Setting<bool> enable_dbus, enable_traps, enable_snmp_vrrp, enable_snmp_checker,
      enable_snmp_rfc, enable_snmp_rfcv2, enable_snmp_rfcv3, enable_snmp_keepalived;
  Setting<std::string> dbus_service_name, snmp_socket;
  Setting<long long> random_seed;
  Setting<std::string> state_dump_file, stats_dump_file, json_dump_file, reload_time_file;
  Setting<bool> reload_repeat;
};

// ---- static addresses, routes and rules ---------------------------------------------------
// An address line in virtual_ipaddress / static_ipaddress:
//   <prefix> [brd <ip>] [dev <if>] [scope <scope>] [label <label>] [peer <ip>] [no_track] ...
struct IpAddressEntry {
  Prefix address;
  std::optional<IpAddress> broadcast, peer;
  std::string dev, scope, label;
  bool no_track{false}, home{false}, nodad{false}, noprefixroute{false}, use_vmac{false};
  long long preferred_lft{-1};  // seconds; -1: forever (the default)
  std::string track_group;
  SourceLoc loc{};
};

// A route or rule line: kept as its words (ip-route syntax), plus the destination/family.
struct RouteEntry {
  std::vector<std::string> words;
  std::optional<Prefix> destination;  // routes; rules: the 'from'/'to' where given
  std::optional<Family> family;
  SourceLoc loc{};
};

// ---- VRRP -----------------------------------------------------------------------------------
struct VrrpScript {
  Located<std::string> name;
  Setting<Script> script;
  Setting<long long> interval_us{1'000'000}, timeout_us, weight, rise, fall;
  Setting<bool> weight_reverse, init_fail;
  Setting<Script> user;  // user/group only
};

struct TrackFile {
  Located<std::string> name;
  Setting<std::string> file;
  Setting<long long> weight;
  Setting<bool> weight_reverse, init_file_overwrite;
  Setting<long long> init_file_value;
  Setting<bool> init_file;
};

struct TrackProcess {
  Located<std::string> name;
  Setting<std::string> process;
  Setting<std::string> param_match;
  Setting<long long> weight, quorum, quorum_max, fork_delay_us, terminate_delay_us, delay_us;
  Setting<bool> weight_reverse, full_command;
};

// `track_interface { eth0 weight -10 }`, `track_script { chk weight 5 reverse }` etc.
struct TrackRef {
  std::string name;
  std::optional<long long> weight;
  bool reverse{false};
  SourceLoc loc{};
};

struct Authentication {
  enum class Type : std::uint8_t { none, pass, ah };
  Setting<Type> auth_type;
  Setting<std::string> auth_pass;
};

struct UnicastPeer {
  IpAddress address;
  std::optional<long long> min_ttl, max_ttl;
  SourceLoc loc{};
};

enum class VrrpState : std::uint8_t { backup, master };

struct VrrpInstance {
  Located<std::string> name;
  Setting<VrrpState> state;
  Setting<std::string> interface;
  Setting<long long> virtual_router_id, priority{100}, advert_int_us{1'000'000}, version;
  Setting<bool> nopreempt, preempt, accept, no_accept, dont_track_primary, skip_check_adv_addr,
      strict_mode, check_unicast_src, unicast_fault_no_peer, native_ipv6, smtp_alert,
      lower_prio_no_advert, higher_prio_send_advert, notify_priority_changes,
      old_unicast_checksum, promote_secondaries, use_vmac_addr,
      vmac_xmit_base, use_ipvlan_flag, v3_checksum_as_v2;
  Setting<long long> preempt_delay_us, garp_master_delay, garp_master_repeat,
      garp_master_refresh, garp_master_refresh_repeat, garp_lower_prio_delay,
      garp_lower_prio_repeat, garp_interval_us, gna_interval_us, unicast_ttl, kernel_rx_buf_size,
      down_timer_adverts;
  Setting<std::string> use_vmac;  // interface name; "" = default vrrp.<vrid>
  Setting<std::string> use_ipvlan, garp_extra_if, vrf, track_src_ip_flag;
  Setting<IpAddress> mcast_src_ip, unicast_src_ip, mcast_dst_ip;
  Setting<bool> track_src_ip;
  Setting<Authentication> authentication;
  std::vector<UnicastPeer> unicast_peer;
  std::vector<IpAddressEntry> virtual_ipaddress, virtual_ipaddress_excluded;
  std::vector<RouteEntry> virtual_routes, virtual_rules;
  std::vector<TrackRef> track_interface, track_script, track_file, track_process, track_bfd;
  Setting<Script> notify_master, notify_backup, notify_fault, notify_stop, notify_deleted,
      notify, notify_master_rx_lower_pri;
  Setting<std::string> sync_group;  // filled in by validation from vrrp_sync_group
  Setting<std::string> lvs_sync_daemon_interface;  // deprecated: global lvs_sync_daemon
};

struct VrrpSyncGroup {
  Located<std::string> name;
  std::vector<Located<std::string>> group;
  std::vector<TrackRef> track_interface, track_script, track_file, track_process, track_bfd;
  Setting<Script> notify_master, notify_backup, notify_fault, notify_stop, notify;
  Setting<bool> smtp_alert, global_tracking, sync_group_tracking_weight;
};

struct GarpGroup {
  Setting<long long> garp_interval_us, gna_interval_us;
  Setting<std::string> interface;
  std::vector<Located<std::string>> interfaces;
  SourceLoc loc{};
};

// ---- LVS --------------------------------------------------------------------------------------
enum class LbKind : std::uint8_t { nat, dr, tun };
enum class TunType : std::uint8_t { ipip, gue, gre };
enum class TunCsum : std::uint8_t { none, nocsum, csum, remcsum };
// lvs_method NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]
struct LvsMethod {
  LbKind kind{LbKind::nat};
  TunType tun_type{TunType::ipip};
  TunCsum tun_csum{TunCsum::none};
  std::uint16_t tun_port{};
  friend bool operator==(const LvsMethod&, const LvsMethod&) = default;
};
enum class Proto : std::uint8_t { tcp, udp, sctp };

enum class CheckerKind : std::uint8_t {
  tcp, http, ssl, misc, smtp, dns, udp, ping, file, bfd
};
inline constexpr std::string_view kCheckerNames[] = {
    "TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", "SMTP_CHECK",
    "DNS_CHECK", "UDP_CHECK", "PING_CHECK", "FILE_CHECK", "BFD_CHECK"};

// Checkers are allocated one by one at their own size: a TCP_CHECK does not pay for the
// fields of an HTTP_GET.
struct CheckBase {
  explicit CheckBase(CheckerKind k) : kind(k) {}
  virtual ~CheckBase() = default;
  CheckerKind kind;
  SourceLoc loc{};
};

// Where a check's packets come from. Few checks set any of these, so a check holds them
// only when one is given: a 40,000-server file then holds 40,000 null pointers, not
// 40,000 x 100 bytes of unset settings.
struct CheckSource {
  Setting<IpAddress> bindto;
  Setting<long long> bind_port, fwmark;
  Setting<std::string> bind_if;
};

struct CheckCommon : CheckBase {
  using CheckBase::CheckBase;
  Setting<IpAddress> connect_ip;
  Setting<bool> log_all_failures;
  Setting<long long> connect_port, connect_timeout_us, retry, delay_before_retry_us, warmup_us,
      delay_loop_us;
  std::unique_ptr<CheckSource> source;  // null: none of bindto, bind_port, fwmark, bind_if

  // The source settings, all unset when none was given.
  const CheckSource& src() const {
    static const CheckSource kNone{};
    return source ? *source : kNone;
  }
  CheckSource& src_mut() {
    if (!source) source = std::make_unique<CheckSource>();
    return *source;
  }
};

struct Url {
  Setting<std::string> path, digest, virtualhost, regex;
  std::vector<std::pair<int, int>> status_code;  // inclusive ranges
  Setting<bool> regex_no_match;
  Setting<std::string> regex_options;
  Setting<long long> regex_min_offset, regex_max_offset, regex_stack;
  SourceLoc loc{};
};

struct HttpCheck : CheckCommon {
  explicit HttpCheck(bool tls) : CheckCommon(tls ? CheckerKind::ssl : CheckerKind::http) {}
  std::vector<Url> url;
  Setting<std::string> virtualhost, http_protocol, sni_name;
  Setting<bool> enable_sni, fast_recovery, tls_compliant;
};

struct TcpCheck : CheckCommon {
  TcpCheck() : CheckCommon(CheckerKind::tcp) {}
};

struct MiscCheck : CheckCommon {
  MiscCheck() : CheckCommon(CheckerKind::misc) {}
  Setting<Script> misc_path;
  Setting<long long> misc_timeout_us;
  Setting<bool> misc_dynamic;
  Setting<Script> user;
};

struct SmtpHost : CheckCommon {
  SmtpHost() : CheckCommon(CheckerKind::smtp) {}
};
struct SmtpCheck : CheckCommon {
  SmtpCheck() : CheckCommon(CheckerKind::smtp) {}
  Setting<std::string> helo_name;
  std::vector<std::unique_ptr<SmtpHost>> host;
};

struct DnsCheck : CheckCommon {
  DnsCheck() : CheckCommon(CheckerKind::dns) {}
  Setting<std::string> type, name;
};

struct UdpCheck : CheckCommon {
  UdpCheck() : CheckCommon(CheckerKind::udp) {}
  Setting<std::string> payload;
  Setting<bool> require_reply;
  Setting<long long> min_reply_length, max_reply_length;
};

struct PingCheck : CheckCommon {
  PingCheck() : CheckCommon(CheckerKind::ping) {}
};

struct FileCheck : CheckBase {
  FileCheck() : CheckBase(CheckerKind::file) {}
  Setting<std::string> track_file;
  Setting<long long> weight;
  Setting<bool> weight_reverse;
};

struct BfdCheck : CheckBase {
  BfdCheck() : CheckBase(CheckerKind::bfd) {}
  Setting<std::string> name;
  Setting<long long> weight;
  Setting<bool> weight_reverse;
};

// Rarely given real_server settings live apart, allocated only when one is given.
struct RealServerExtra {
  Setting<long long> uthreshold, lthreshold;
  Setting<Script> notify_up, notify_down;
  Setting<std::string> virtualhost;
  Setting<bool> smtp_alert, log_all_failures;
};

struct RealServer {
  IpAddress address;
  SourceLoc loc{};
  Setting<long long> port;  // absent for fwmark services
  Setting<long long> weight, delay_loop_us, retry, delay_before_retry_us, warmup_us,
      connect_timeout_us;
  Setting<LvsMethod> lvs_method;
  Setting<bool> inhibit_on_failure, alpha, omega;
  std::unique_ptr<RealServerExtra> extra;
  std::vector<std::unique_ptr<CheckBase>> checkers;
};

struct SorryServer {
  IpAddress address;
  std::optional<std::uint16_t> port;
  SourceLoc loc{};
};

struct VirtualServer {
  enum class Kind : std::uint8_t { address, fwmark, group };
  Kind kind{Kind::address};
  IpAddress address;           // kind == address
  std::uint16_t port{};        // kind == address
  long long fwmark{};          // kind == fwmark
  std::string group;           // kind == group
  std::optional<Family> fwmark_family;
  SourceLoc loc{};

  Setting<std::string> lvs_sched;
  Setting<LvsMethod> lvs_method;
  Setting<Proto> protocol;
  Setting<long long> delay_loop_us, persistence_timeout, quorum, hysteresis, retry,
      delay_before_retry_us, warmup_us, connect_timeout_us;
  Setting<std::string> persistence_granularity, persistence_engine, virtualhost, ip_family,
      sorry_server_lvs_method;
  Setting<bool> ops, hashed, alpha, omega, inhibit_on_failure, smtp_alert, ha_suspend,
      sorry_server_inhibit, one_packet, sh_port, sh_fallback, mh_port, mh_fallback, flag_1,
      flag_2, flag_3;
  Setting<Script> quorum_up, quorum_down;
  Setting<SorryServer> sorry_server;
  std::vector<RealServer> real_servers;
};

struct VsgEntry {
  enum class Kind : std::uint8_t { address, range, fwmark };
  Kind kind{Kind::address};
  IpAddress first, last;  // range: first..last (last differs only in the final part)
  std::uint16_t port{};
  long long fwmark{};
  SourceLoc loc{};
};

struct VirtualServerGroup {
  Located<std::string> name;
  std::vector<VsgEntry> entries;
};

struct SslBlock {
  Setting<std::string> password, ca, certificate, key;
  SourceLoc loc{};
};

struct LinkbeatInterfaces {
  std::vector<Located<std::string>> interfaces;
};

struct BfdInstance {
  Located<std::string> name;
  Setting<IpAddress> neighbor_ip, source_ip;
  Setting<long long> min_rx_us, min_tx_us, idle_tx_us, multiplier, ttl, hoplimit, max_hops;
  Setting<bool> passive, vrrp, checker;
  Setting<long long> weight;
  Setting<bool> weight_reverse;
};

// ---- the whole file -------------------------------------------------------------------------
struct Config {
  GlobalDefs global;
  std::vector<IpAddressEntry> static_ipaddress;
  std::vector<RouteEntry> static_routes, static_rules;
  std::vector<VrrpScript> vrrp_scripts;
  std::vector<TrackFile> track_files;
  std::vector<TrackProcess> track_processes;
  std::vector<VrrpSyncGroup> sync_groups;
  std::vector<VrrpInstance> vrrp_instances;
  std::vector<GarpGroup> garp_groups;
  std::vector<VirtualServerGroup> virtual_server_groups;
  std::vector<VirtualServer> virtual_servers;
  std::vector<BfdInstance> bfd_instances;
  Setting<SslBlock> ssl;
  LinkbeatInterfaces linkbeat_interfaces;
};

}  // namespace vigil::conf
