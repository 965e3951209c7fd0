// Read-back rendering of an IpvsTable: ipvsadm-like text and JSON (vigil ipvs show).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ipvs_glue/model/types.hpp"

namespace vigil::ipvs {

// Which of ipvsadm's listings: -Ln, -Ln --stats, --rate, --thresholds, --persistent-conn,
// --tun-info (always as with --exact: counters in full).
enum class ListFormat : std::uint8_t { plain, stats, rate, thresholds, persistent_conn, tun_info };

// The text of `ipvsadm -Ln --exact [--stats|...]`: header (when `info` is given), services
// sorted by key, destinations by address and port, column for column.
std::string format_ipvsadm(const IpvsTable& table, const std::optional<Info>& info,
                           ListFormat format = ListFormat::plain);

// `ipvsadm -Ln --daemon`: one line per running daemon, in the order given.
std::string format_daemons(const std::vector<SyncDaemon>& daemons);
// "master sync daemon (mcast=eth0, syncid=1, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)"
std::string format_daemon_line(const SyncDaemon& d);
// `ipvsadm -Ln --timeout`: "Timeout (tcp tcpfin udp): 900 120 300\n"
std::string format_timeouts(const Timeouts& t);
// `ipvsadm -Lnc [--persistent-conn]`: the connection table.
std::string format_connections(const std::vector<Connection>& conns, bool persistent);

// The service line alone ("TCP  192.0.2.1:80 rr persistent 300"), as ipvsadm prints it.
std::string format_service_line(const Service& s);

// A JSON document: {"services":[{...,"dests":[...]}]}, every field including stats.
std::string format_json(const IpvsTable& table, const std::optional<Info>& info);
// {"daemons":[{"state":"master","interface":...}]}
std::string format_daemons_json(const std::vector<SyncDaemon>& daemons);
// {"tcp":900,"tcpfin":120,"udp":300}
std::string format_timeouts_json(const Timeouts& t);
// {"connections":[{"protocol":"TCP","client":"10.0.0.2","client_port":40000,...}]}
std::string format_connections_json(const std::vector<Connection>& conns);

}  // namespace vigil::ipvs
