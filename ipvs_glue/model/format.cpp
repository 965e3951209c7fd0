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

std::string service_name(const ServiceKey& k) {
  if (k.is_fwmark()) return "FWM  " + std::to_string(k.fwmark) + (k.family == Family::v6 ? " IPv6" : "");
  // ipvsadm: "%-4s %s" (TCP and UDP get two spaces, SCTP one).
  std::string proto = protocol_name(k.protocol);
  proto.resize(std::max<std::size_t>(proto.size(), 4), ' ');
  std::string name = proto + " " + DestKey{k.address, k.port}.to_string();
  if (k.family == Family::v4 && name.size() > 33) name.resize(33);
  return name;
}

std::string dest_line(const Service& s, const Dest& d) {
  std::string name = d.key().to_string();
  if (s.key.family == Family::v4 && name.size() > 28) name.resize(28);
  return printf_string("  -> %-28s %-7s %-6d %-10u %-10u\n", name.c_str(),
                       std::string(forward_name(d.method)).c_str(), d.weight, d.active_conns,
                       d.inactive_conns);
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

std::string format_ipvsadm(const IpvsTable& table, const std::optional<Info>& info) {
  IpvsTable sorted = table;
  sorted.sort();
  std::string out;
  if (info)
    out += "IP Virtual Server version " + info->version_string() +
           " (size=" + std::to_string(info->conn_tab_size) + ")\n";
  out +=
      "Prot LocalAddress:Port Scheduler Flags\n"
      "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";
  for (const auto& s : sorted.services) {
    out += format_service_line(s) + "\n";
    for (const auto& d : s.dests) out += dest_line(s, d);
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

}  // namespace vigil::ipvs
