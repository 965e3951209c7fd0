#include "ipvs_glue/model/format.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace vigil::ipvs {
namespace {

std::string printf_string(const char* fmt, auto... args) {
  char buf[256];
  const int n = std::snprintf(buf, sizeof buf, fmt, args...);
  return std::string(buf, n < 0 ? 0 : std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1));
}

std::string v4_mask_text(std::uint8_t len) {
  const std::uint32_t m = len == 0 ? 0 : ~std::uint32_t{0} << (32 - len);
  return IpAddress::v4(m).to_string();
}

// ipvsadm names the scheduler flags after the scheduler that gives them a meaning.
std::string sched_flags_text(const Service& s) {
  const bool sh = s.scheduler == "sh", mh = s.scheduler == "mh";
  std::string out;
  auto add = [&](const char* name) { out += (out.empty() ? "" : ",") + std::string(name); };
  if (s.flags.sched1) add(sh ? "sh-fallback" : mh ? "mh-fallback" : "flag-1");
  if (s.flags.sched2) add(sh ? "sh-port" : mh ? "mh-port" : "flag-2");
  if (s.flags.sched3) add("flag-3");
  return out;
}

// ipvsadm's order (libipvs ipvs_cmp_services / ipvs_cmp_dests through glibc's qsort, a
// top-down merge sort): fwmark, family, protocol, address word by word, port, where each
// difference of 32-bit words is read as an int. That wraps (192.0.2.1 sorts before 10.0.0.1,
// fwmark 4000000000 before 1) and is not even transitive, so the same merge sort is run
// with the same comparisons to get the same order.
int word_difference(const IpAddress& a, const IpAddress& b, std::size_t word) {
  auto w = [&](const IpAddress& x) {
    const auto& y = x.bytes();
    const std::size_t i = word * 4;
    return (std::uint32_t{y[i]} << 24) | (std::uint32_t{y[i + 1]} << 16) |
           (std::uint32_t{y[i + 2]} << 8) | y[i + 3];
  };
  return static_cast<int>(w(a) - w(b));
}

int address_difference(const IpAddress& a, const IpAddress& b, bool v6) {
  int r = 0;
  for (std::size_t i = 0; r == 0 && i < (v6 ? 4u : 1u); ++i) r = word_difference(a, b, i);
  return r;
}

int ipvsadm_compare(const Service& a, const Service& b) {
  if (int r = static_cast<int>(a.key.fwmark - b.key.fwmark)) return r;
  const int af_a = a.key.family == Family::v6 ? 10 : 2, af_b = b.key.family == Family::v6 ? 10 : 2;
  if (int r = af_a - af_b) return r;
  if (int r = static_cast<int>(a.key.protocol) - static_cast<int>(b.key.protocol)) return r;
  if (int r = address_difference(a.key.address, b.key.address, a.key.family == Family::v6)) return r;
  return int{a.key.port} - int{b.key.port};
}

int ipvsadm_compare(const Dest& a, const Dest& b) {
  if (int r = address_difference(a.address, b.address, a.address.is_v6())) return r;
  return int{a.port} - int{b.port};
}

// glibc's msort_with_tmp: split in halves (the first n/2), sort each, merge taking from the
// left while compare(left, right) <= 0.
template <class T>
void glibc_merge_sort(std::vector<T>& v, std::size_t first, std::size_t n, std::vector<T>& tmp) {
  if (n <= 1) return;
  const std::size_t n1 = n / 2, n2 = n - n1;
  glibc_merge_sort(v, first, n1, tmp);
  glibc_merge_sort(v, first + n1, n2, tmp);
  tmp.clear();
  std::size_t i = first, j = first + n1;
  const std::size_t i_end = first + n1, j_end = first + n;
  while (i < i_end && j < j_end) tmp.push_back(ipvsadm_compare(v[i], v[j]) <= 0 ? v[i++] : v[j++]);
  while (i < i_end) tmp.push_back(v[i++]);
  for (std::size_t k = 0; k < tmp.size(); ++k) v[first + k] = tmp[k];
}

template <class T>
void ipvsadm_sort(std::vector<T>& v) {
  std::vector<T> tmp;
  tmp.reserve(v.size());
  glibc_merge_sort(v, 0, v.size(), tmp);
}

std::string service_name(const ServiceKey& k) {
  // ipvsadm prints the mark with %d.
  if (k.is_fwmark())
    return "FWM  " + std::to_string(static_cast<std::int32_t>(k.fwmark)) + (k.family == Family::v6 ? " IPv6" : "");
  // ipvsadm: "%-4s %s" (TCP and UDP get two spaces, SCTP one).
  std::string proto = protocol_name(k.protocol);
  proto.resize(std::max<std::size_t>(proto.size(), 4), ' ');
  std::string name = proto + " " + DestKey{k.address, k.port}.to_string();
  if (k.family == Family::v4 && name.size() > 33) name.resize(33);
  return name;
}

// ipvsadm's print_largenum() with --exact: at least 9 columns, one blank before the number.
std::string largenum(std::uint64_t v) {
  const std::string digits = std::to_string(v);
  const std::size_t width = digits.size() <= 8 ? 9 : digits.size() + 1;
  return std::string(width - digits.size(), ' ') + digits;
}

std::string counters(std::initializer_list<std::uint64_t> values) {
  std::string out;
  for (auto v : values) out += largenum(v);
  return out;
}

const char* tun_type_name(TunnelType t);

// ipvsadm --tun-info: "ipip", "gue:PORT:CSUM", "gre:CSUM" (CSUM: -c, +c, r+c); "n/a" if no tunnel.
std::string tunnel_info(const Dest& d) {
  if (d.method != ForwardMethod::tunnel) return "n/a";
  const char* csum = (d.tun_flags & kTunFlagRemCsum) ? "r+c" : (d.tun_flags & kTunFlagCsum) ? "+c" : "-c";
  switch (d.tun_type) {
    case TunnelType::ipip: return "ipip";
    case TunnelType::gue: return "gue:" + std::to_string(d.tun_port) + ":" + csum;
    case TunnelType::gre: return std::string("gre:") + csum;
  }
  return tun_type_name(d.tun_type);
}

std::string dest_line(const Service& s, const Dest& d, ListFormat f) {
  std::string name = d.key().to_string();
  if (s.key.family == Family::v4 && name.size() > 28) name.resize(28);
  const std::string fwd(forward_name(d.method));
  const auto& st = d.stats;
  switch (f) {
    case ListFormat::stats:
      return printf_string("  -> %-28s", name.c_str()) +
             counters({st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes}) + "\n";
    case ListFormat::rate:
      return printf_string("  -> %-28s %8llu %8llu %8llu", name.c_str(),
                           static_cast<unsigned long long>(st.cps),
                           static_cast<unsigned long long>(st.inpps),
                           static_cast<unsigned long long>(st.outpps)) +
             counters({st.inbps, st.outbps}) + "\n";
    case ListFormat::thresholds:
      return printf_string("  -> %-28s %-10u %-10u %-10u %-10u\n", name.c_str(), d.u_threshold,
                           d.l_threshold, d.active_conns, d.inactive_conns);
    case ListFormat::persistent_conn:
      return printf_string("  -> %-28s %-9u %-11u %-10u %-10u\n", name.c_str(),
                           static_cast<unsigned>(d.weight), d.persist_conns, d.active_conns,
                           d.inactive_conns);
    case ListFormat::tun_info:
      return printf_string("  -> %-28s %-7s %-13s %-6d %-10u %-10u\n", name.c_str(), fwd.c_str(),
                           tunnel_info(d).c_str(), d.weight, d.active_conns, d.inactive_conns);
    case ListFormat::plain: break;
  }
  return printf_string("  -> %-28s %-7s %-6d %-10u %-10u\n", name.c_str(), fwd.c_str(), d.weight,
                       d.active_conns, d.inactive_conns);
}

std::string title(ListFormat f) {
  const auto columns = [](const char* fmt, auto... names) {
    return printf_string(fmt, "Prot LocalAddress:Port", names...) + "  -> RemoteAddress:Port\n";
  };
  switch (f) {
    case ListFormat::stats:
      return columns("%-33s %8s %8s %8s %8s %8s\n", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes");
    case ListFormat::rate:
      return columns("%-33s %8s %8s %8s %8s %8s\n", "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS");
    case ListFormat::thresholds:
      return columns("%-33s %-10s %-10s %-10s %-10s\n", "Uthreshold", "Lthreshold", "ActiveConn",
                     "InActConn");
    case ListFormat::persistent_conn:
      return columns("%-33s %-9s %-11s %-10s %-10s\n", "Weight", "PersistConn", "ActiveConn",
                     "InActConn");
    case ListFormat::tun_info:
      return "Prot LocalAddress:Port Scheduler Flags\n"
             "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n";
    case ListFormat::plain: break;
  }
  return "Prot LocalAddress:Port Scheduler Flags\n"
         "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";
}

std::string service_line(const Service& s, ListFormat f) {
  const auto& st = s.stats;
  if (f == ListFormat::stats)
    return printf_string("%-33s", service_name(s.key).c_str()) +
           counters({st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes});
  if (f == ListFormat::rate)
    return printf_string("%-33s", service_name(s.key).c_str()) +
           counters({st.cps, st.inpps, st.outpps, st.inbps, st.outbps});
  return format_service_line(s);
}

std::string address_port(int family_v6, const IpAddress& a, std::uint16_t port) {
  return (family_v6 ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(port);
}

void json_string(std::ostream& o, std::string_view s) {
  o << '"';
  for (char c : s) {
    if (c == '"' || c == '\\') o << '\\' << c;
    else if (static_cast<unsigned char>(c) < 0x20) o << printf_string("\\u%04x", c);
    else o << c;
  }
  o << '"';
}

void json_stats(std::ostream& o, const Stats& s) {
  o << "{\"conns\":" << s.conns << ",\"inpkts\":" << s.inpkts << ",\"outpkts\":" << s.outpkts
    << ",\"inbytes\":" << s.inbytes << ",\"outbytes\":" << s.outbytes << ",\"cps\":" << s.cps
    << ",\"inpps\":" << s.inpps << ",\"outpps\":" << s.outpps << ",\"inbps\":" << s.inbps
    << ",\"outbps\":" << s.outbps << '}';
}

const char* tun_type_name(TunnelType t) {
  switch (t) {
    case TunnelType::ipip: return "ipip";
    case TunnelType::gue: return "gue";
    case TunnelType::gre: return "gre";
  }
  return "unknown";
}

void json_dest(std::ostream& o, const Dest& d) {
  o << "{\"address\":";
  json_string(o, d.address.to_string());
  o << ",\"port\":" << d.port << ",\"forward\":";
  json_string(o, forward_name(d.method));
  o << ",\"weight\":" << d.weight << ",\"u_threshold\":" << d.u_threshold
    << ",\"l_threshold\":" << d.l_threshold << ",\"tun_type\":\"" << tun_type_name(d.tun_type)
    << "\",\"tun_port\":" << d.tun_port << ",\"tun_flags\":" << d.tun_flags
    << ",\"active_conns\":" << d.active_conns << ",\"inactive_conns\":" << d.inactive_conns
    << ",\"persist_conns\":" << d.persist_conns << ",\"stats\":";
  json_stats(o, d.stats);
  o << '}';
}

void json_key(std::ostream& o, const ServiceKey& k) {
  o << "\"family\":\"" << (k.family == Family::v6 ? "inet6" : "inet") << '"';
  if (k.is_fwmark()) {
    o << ",\"fwmark\":" << k.fwmark;
    return;
  }
  o << ",\"protocol\":";
  json_string(o, protocol_name(k.protocol));
  o << ",\"address\":";
  json_string(o, k.address.to_string());
  o << ",\"port\":" << k.port;
}

void json_service(std::ostream& o, const Service& s) {
  o << '{';
  json_key(o, s.key);
  o << ",\"scheduler\":";
  json_string(o, s.scheduler);
  const auto& f = s.flags;
  o << ",\"flags\":{\"persistent\":" << f.persistent << ",\"hashed\":" << f.hashed
    << ",\"one_packet\":" << f.one_packet << ",\"sched1\":" << f.sched1
    << ",\"sched2\":" << f.sched2 << ",\"sched3\":" << f.sched3 << "},\"timeout\":" << s.timeout
    << ",\"netmask\":" << int{s.netmask.value_or(static_cast<std::uint8_t>(max_prefix_length(s.key.family)))}
    << ",\"pe_name\":";
  json_string(o, s.pe_name);
  o << ",\"stats\":";
  json_stats(o, s.stats);
  o << ",\"dests\":[";
  for (std::size_t i = 0; i < s.dests.size(); ++i) {
    if (i) o << ',';
    json_dest(o, s.dests[i]);
  }
  o << "]}";
}

}  // namespace

std::string format_service_line(const Service& s) {
  std::string line = service_name(s.key) + " " + s.scheduler;
  if (const auto flags = sched_flags_text(s); !flags.empty()) line += " (" + flags + ")";
  if (s.flags.persistent) {
    line += " persistent " + std::to_string(s.timeout);
    if (s.netmask)
      line += " mask " + (s.key.family == Family::v4 ? v4_mask_text(*s.netmask)
                                                     : std::to_string(*s.netmask));
    if (!s.pe_name.empty()) line += " pe " + s.pe_name;
  }
  if (s.flags.one_packet) line += " ops";
  return line;
}

std::string format_ipvsadm(const IpvsTable& table, const std::optional<Info>& info,
                           ListFormat format) {
  IpvsTable sorted = table;
  ipvsadm_sort(sorted.services);
  for (auto& svc : sorted.services) ipvsadm_sort(svc.dests);
  std::string out;
  if (info)
    out += "IP Virtual Server version " + info->version_string() +
           " (size=" + std::to_string(info->conn_tab_size) + ")\n";
  out += title(format);
  for (const auto& s : sorted.services) {
    out += service_line(s, format) + "\n";
    for (const auto& d : s.dests) out += dest_line(s, d, format);
  }
  return out;
}

std::string format_daemon_line(const SyncDaemon& d) {
  std::string out = std::string(sync_state_name(d.state)) + " sync daemon (mcast=" + d.interface +
                    ", syncid=" + std::to_string(static_cast<int>(d.syncid));
  if (d.maxlen) out += ", maxlen=" + std::to_string(d.maxlen);
  if (d.group) out += ", group=" + d.group->to_string();
  if (d.port) out += ", port=" + std::to_string(d.port);
  if (d.ttl) out += ", ttl=" + std::to_string(d.ttl);
  return out + ")";
}

std::string format_daemons(const std::vector<SyncDaemon>& daemons) {
  std::string out;
  for (const auto& d : daemons) out += format_daemon_line(d) + "\n";
  return out;
}

std::string format_timeouts(const Timeouts& t) {
  return printf_string("Timeout (tcp tcpfin udp): %d %d %d\n", static_cast<int>(t.tcp),
                       static_cast<int>(t.tcp_fin), static_cast<int>(t.udp));
}

std::string format_connections(const std::vector<Connection>& conns, bool persistent) {
  std::string out = "IPVS connection entries\n";
  out += persistent ? printf_string("pro expire %-11s %-18s %-18s %-18s %-16s %s\n", "state",
                                    "source", "virtual", "destination", "pe name", "pe_data")
                    : printf_string("pro expire %-11s %-18s %-18s %s\n", "state", "source",
                                    "virtual", "destination");
  for (const auto& c : conns) {
    const bool v6 = c.client.is_v6();
    const std::string client = address_port(v6, c.client, c.client_port);
    const std::string vip = address_port(v6, c.virtual_address, c.virtual_port);
    const std::string dest = address_port(c.dest.is_v6(), c.dest, c.dest_port);
    const std::string expire = printf_string("%02u:%02u", c.expires / 60, c.expires % 60);
    out += persistent ? printf_string("%-3s %-6s %-11s %-18s %-18s %-16s %-18s %s\n",
                                      c.protocol.c_str(), expire.c_str(), c.state.c_str(),
                                      client.c_str(), vip.c_str(), dest.c_str(),
                                      c.pe_name.c_str(), c.pe_data.c_str())
                      : printf_string("%-3s %-6s %-11s %-18s %-18s %s\n", c.protocol.c_str(),
                                      expire.c_str(), c.state.c_str(), client.c_str(),
                                      vip.c_str(), dest.c_str());
  }
  return out;
}

std::string format_json(const IpvsTable& table, const std::optional<Info>& info) {
  std::ostringstream o;
  o << std::boolalpha << '{';
  if (info)
    o << "\"version\":\"" << info->version_string() << "\",\"conn_tab_size\":" << info->conn_tab_size
      << ',';
  o << "\"services\":[";
  for (std::size_t i = 0; i < table.services.size(); ++i) {
    if (i) o << ',';
    json_service(o, table.services[i]);
  }
  o << "]}";
  return o.str();
}

std::string format_daemons_json(const std::vector<SyncDaemon>& daemons) {
  std::ostringstream o;
  o << "{\"daemons\":[";
  for (std::size_t i = 0; i < daemons.size(); ++i) {
    const auto& d = daemons[i];
    o << (i ? "," : "") << "{\"state\":\"" << sync_state_name(d.state) << "\",\"interface\":";
    json_string(o, d.interface);
    o << ",\"syncid\":" << d.syncid << ",\"maxlen\":" << d.maxlen << ",\"group\":";
    if (d.group) json_string(o, d.group->to_string());
    else o << "null";
    o << ",\"port\":" << d.port << ",\"ttl\":" << int{d.ttl} << '}';
  }
  o << "]}";
  return o.str();
}

std::string format_timeouts_json(const Timeouts& t) {
  return "{\"tcp\":" + std::to_string(t.tcp) + ",\"tcpfin\":" + std::to_string(t.tcp_fin) +
         ",\"udp\":" + std::to_string(t.udp) + "}";
}

std::string format_connections_json(const std::vector<Connection>& conns) {
  std::ostringstream o;
  o << "{\"connections\":[";
  for (std::size_t i = 0; i < conns.size(); ++i) {
    const auto& c = conns[i];
    o << (i ? "," : "") << "{\"protocol\":";
    json_string(o, c.protocol);
    o << ",\"client\":";
    json_string(o, c.client.to_string());
    o << ",\"client_port\":" << c.client_port << ",\"virtual\":";
    json_string(o, c.virtual_address.to_string());
    o << ",\"virtual_port\":" << c.virtual_port << ",\"dest\":";
    json_string(o, c.dest.to_string());
    o << ",\"dest_port\":" << c.dest_port << ",\"state\":";
    json_string(o, c.state);
    o << ",\"expires\":" << c.expires << ",\"pe_name\":";
    json_string(o, c.pe_name);
    o << ",\"pe_data\":";
    json_string(o, c.pe_data);
    o << '}';
  }
  o << "]}";
  return o.str();
}

}  // namespace vigil::ipvs
