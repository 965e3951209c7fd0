#include "ipvs_glue/model/connections.hpp"

#include <charconv>

namespace vigil::ipvs {
namespace {

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

template <class T>
std::optional<T> number(std::string_view s, int base) {
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// "0A000102" (IPv4, host order as hex) or "2001:0db8:...:0001" (%pI6).
std::optional<IpAddress> address(std::string_view s) {
  if (s.find(':') != std::string_view::npos) return IpAddress::parse(s);
  if (s.size() != 8) return std::nullopt;
  auto v = number<std::uint32_t>(s, 16);
  if (!v) return std::nullopt;
  return IpAddress::v4(*v);
}

}  // namespace

Result<std::vector<Connection>, std::string> parse_ip_vs_conn(std::string_view text) {
  std::vector<Connection> out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (++line_no == 1) continue;  // "Pro FromIP   FPrt ToIP ..."
    const auto w = words(line);
    if (w.empty()) continue;
    auto bad = [&] {
      return unexpected(std::string(kConnectionsFile) + " line " + std::to_string(line_no) +
                        ": unexpected '" + std::string(line) + "'");
    };
    if (w.size() < 9) return bad();
    Connection c;
    c.protocol = std::string(w[0]);
    const auto ca = address(w[1]), va = address(w[3]), da = address(w[5]);
    const auto cp = number<std::uint16_t>(w[2], 16), vp = number<std::uint16_t>(w[4], 16),
               dp = number<std::uint16_t>(w[6], 16);
    const auto exp = number<std::uint32_t>(w[8], 10);
    if (!ca || !va || !da || !cp || !vp || !dp || !exp) return bad();
    c.client = *ca;
    c.virtual_address = *va;
    c.dest = *da;
    c.client_port = *cp;
    c.virtual_port = *vp;
    c.dest_port = *dp;
    c.state = std::string(w[7]);
    c.expires = *exp;
    if (w.size() > 9) c.pe_name = std::string(w[9]);
    if (w.size() > 10) c.pe_data = std::string(w[10]);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace vigil::ipvs
