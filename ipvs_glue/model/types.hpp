// The IPVS table as plain values: what the kernel holds (read back) and what vigil wants
// (desired). Pure: base/ and the standard library only. Field meanings follow
// <linux/ip_vs.h> (IPVS_SVC_ATTR_*, IPVS_DEST_ATTR_*, IPVS_DAEMON_ATTR_*).
#pragma once
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.hpp"

namespace vigil::ipvs {

// IPPROTO_* numbers; any other value read from the kernel is kept as is.
enum class Protocol : std::uint16_t { tcp = 6, udp = 17, sctp = 132 };
std::string protocol_name(Protocol p);  // "TCP", "UDP", "SCTP", "proto N"

// What identifies a virtual service in the kernel: (family, fwmark) for firewall-mark
// services, (family, protocol, address, port) otherwise. Build keys with inet() / mark() so
// that unused fields are in their canonical state (the kernel reads back a fwmark service
// with protocol TCP, the zero address and port 0). Field order gives ipvsadm's sort order.
struct ServiceKey {
  std::uint32_t fwmark{};  // nonzero: a firewall-mark service
  Family family{Family::v4};
  Protocol protocol{Protocol::tcp};
  IpAddress address;
  std::uint16_t port{};

  static ServiceKey inet(Protocol protocol, const IpAddress& address, std::uint16_t port);
  static ServiceKey mark(Family family, std::uint32_t fwmark);
  bool is_fwmark() const { return fwmark != 0; }
  // "TCP 192.0.2.1:80", "UDP [2001:db8::1]:53", "FWM 7", "FWM 7 IPv6"
  std::string to_string() const;
  friend auto operator<=>(const ServiceKey&, const ServiceKey&) = default;
  friend bool operator==(const ServiceKey&, const ServiceKey&) = default;
};

// IP_VS_SVC_F_*. The scheduler flags are shared bits whose meaning depends on the
// scheduler: sched1 = sh-fallback / mh-fallback / flag-1, sched2 = sh-port / mh-port /
// flag-2, sched3 = flag-3.
struct ServiceFlags {
  bool persistent{}, hashed{}, one_packet{}, sched1{}, sched2{}, sched3{};

  static constexpr std::uint32_t kPersistent = 0x0001, kHashed = 0x0002, kOnePacket = 0x0004,
                                 kSched1 = 0x0008, kSched2 = 0x0010, kSched3 = 0x0020;
  std::uint32_t bits() const;
  static ServiceFlags from_bits(std::uint32_t bits);
  friend bool operator==(const ServiceFlags&, const ServiceFlags&) = default;
};

// IPVS_STATS_ATTR_*: counters since the last ZERO and current rates. Read back only.
struct Stats {
  std::uint64_t conns{}, inpkts{}, outpkts{}, inbytes{}, outbytes{};
  std::uint64_t cps{}, inpps{}, outpps{}, inbps{}, outbps{};
  friend bool operator==(const Stats&, const Stats&) = default;
};

// IP_VS_CONN_F_* forwarding methods (the low three bits of conn_flags).
enum class ForwardMethod : std::uint8_t { masq = 0, local = 1, tunnel = 2, route = 3, bypass = 4 };
std::string_view forward_name(ForwardMethod m);  // ipvsadm's "Masq", "Local", "Tunnel", "Route"

enum class TunnelType : std::uint8_t { ipip = 0, gue = 1, gre = 2 };
// IP_VS_TUNNEL_ENCAP_FLAG_*: 0 is "nocsum".
inline constexpr std::uint16_t kTunFlagCsum = 1 << 0;
inline constexpr std::uint16_t kTunFlagRemCsum = 1 << 1;

struct DestKey {
  IpAddress address;
  std::uint16_t port{};
  std::string to_string() const;  // "192.0.2.10:80", "[2001:db8::10]:80"
  friend auto operator<=>(const DestKey&, const DestKey&) = default;
  friend bool operator==(const DestKey&, const DestKey&) = default;
};

// A real server. The address family may differ from the service's only for tunnel.
struct Dest {
  IpAddress address;
  std::uint16_t port{};
  ForwardMethod method{ForwardMethod::masq};
  TunnelType tun_type{TunnelType::ipip};  // tunnel only
  std::uint16_t tun_port{};               // tunnel only (GUE)
  std::uint16_t tun_flags{};              // tunnel only: kTunFlag*
  std::int32_t weight{1};
  std::uint32_t u_threshold{}, l_threshold{};  // 0: no limit
  // Read back only.
  std::uint32_t active_conns{}, inactive_conns{}, persist_conns{};
  Stats stats;

  DestKey key() const { return {address, port}; }
  friend bool operator==(const Dest&, const Dest&) = default;
};

// Whether the kernel would need SET_DEST to turn `a` into `b`: counters are ignored, and the
// tunnel fields only count for tunnel destinations.
bool same_settings(const Dest& a, const Dest& b);

struct Service {
  ServiceKey key;
  std::string scheduler{"wlc"};
  ServiceFlags flags;
  std::uint32_t timeout{};  // persistence, in seconds
  // Persistence granularity as a prefix length; empty = the full length (one client).
  std::optional<std::uint8_t> netmask;
  std::string pe_name;  // persistence engine ("sip"); empty = none
  Stats stats;          // read back only
  std::vector<Dest> dests;

  const Dest* find(const DestKey& k) const;
  Dest* find(const DestKey& k);
  friend bool operator==(const Service&, const Service&) = default;
};

// Whether SET_SERVICE is needed to turn `a` into `b`. Destinations and stats are ignored,
// and so is the HASHED flag, which the kernel sets on every service it holds.
bool same_settings(const Service& a, const Service& b);

struct IpvsTable {
  std::vector<Service> services;

  const Service* find(const ServiceKey& k) const;
  Service* find(const ServiceKey& k);
  // ipvsadm's order: services by key, destinations by address then port.
  void sort();
  friend bool operator==(const IpvsTable&, const IpvsTable&) = default;
};

// The connection synchronisation daemon (IPVS_DAEMON_ATTR_*). Zero values mean "the kernel
// default" (maxlen from the MTU, group 224.0.0.81 / ff02::81, port 8848, ttl 1).
enum class SyncState : std::uint32_t { master = 1, backup = 2 };
struct SyncDaemon {
  SyncState state{SyncState::master};
  std::string interface;
  std::uint32_t syncid{};
  std::uint16_t maxlen{};
  std::optional<IpAddress> group;
  std::uint16_t port{};
  std::uint8_t ttl{};
  friend bool operator==(const SyncDaemon&, const SyncDaemon&) = default;
};

// What the kernel keeps of a start request (ip_vs_sync.c, start_sync_thread): the defaults
// filled in (group 224.0.0.81, port 8848, ttl 1) and an explicit maxlen clamped to
// [1 (master) or 1024 (backup), 65535 - IP and UDP headers]. A maxlen of 0 stays 0 for a
// backup, whose default depends on the interface's MTU; a master's default is 1500 - headers.
SyncDaemon kernel_view(const SyncDaemon& requested);
// Whether a running daemon `have` is what starting `want` would give (a backup started
// without maxlen accepts any maxlen).
bool sync_daemon_satisfies(const SyncDaemon& have, const SyncDaemon& want);
std::string_view sync_state_name(SyncState s);  // "master", "backup"

// Connection timeouts in seconds (IPVS_CMD_ATTR_TIMEOUT_*); 0 in a SET leaves one as is.
struct Timeouts {
  std::uint32_t tcp{}, tcp_fin{}, udp{};
  friend bool operator==(const Timeouts&, const Timeouts&) = default;
};

// One entry of the connection table (/proc/net/ip_vs_conn; there is no netlink dump of
// connections). Read back only.
struct Connection {
  std::string protocol;  // as the kernel names it: "TCP", "UDP", "SCTP", ...
  IpAddress client, virtual_address, dest;
  std::uint16_t client_port{}, virtual_port{}, dest_port{};
  std::string state;        // "ESTABLISHED", "TIME_WAIT", "NONE", ...
  std::uint32_t expires{};  // seconds
  std::string pe_name, pe_data;
  friend bool operator==(const Connection&, const Connection&) = default;
};

struct Info {
  std::uint32_t version{};  // 0x010201 = 1.2.1
  std::uint32_t conn_tab_size{};
  std::string version_string() const;
  friend bool operator==(const Info&, const Info&) = default;
};

}  // namespace vigil::ipvs
