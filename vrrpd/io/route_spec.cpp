#include "vrrpd/io/route_spec.hpp"

#include <charconv>
#include <utility>

namespace vigil::vrrp::io {
namespace {

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::optional<std::uint32_t> number(const std::string& s) {
  std::uint32_t v = 0;
  const int base = s.starts_with("0x") ? 16 : 10;
  const char* b = s.data() + (base == 16 ? 2 : 0);
  auto [end, ec] = std::from_chars(b, s.data() + s.size(), v, base);
  if (ec != std::errc{} || end != s.data() + s.size() || b == end) return std::nullopt;
  return v;
}

std::optional<std::uint32_t> table_of(const std::string& s) {
  if (s == "main") return 254;
  if (s == "local") return 255;
  if (s == "default") return 253;
  return number(s);
}

std::optional<std::uint8_t> scope_of(const std::string& s) {
  if (s == "global" || s == "universe") return 0;
  if (s == "site") return 200;
  if (s == "link") return 253;
  if (s == "host") return 254;
  if (s == "nowhere") return 255;
  if (auto n = number(s); n && *n <= 255) return static_cast<std::uint8_t>(*n);
  return std::nullopt;
}

std::optional<std::uint8_t> proto_of(const std::string& s) {
  if (s == "redirect") return 1;
  if (s == "kernel") return 2;
  if (s == "boot") return 3;
  if (s == "static") return 4;
  if (auto n = number(s); n && *n <= 255) return static_cast<std::uint8_t>(*n);
  return std::nullopt;
}

std::optional<std::uint8_t> route_type(const std::string& s) {
  if (s == "unicast") return 1;
  if (s == "local") return 2;
  if (s == "blackhole") return 6;
  if (s == "unreachable") return 7;
  if (s == "prohibit") return 8;
  if (s == "throw") return 9;
  return std::nullopt;
}

// Reads words pairwise; `fail` names the offending word.
class Words {
 public:
  explicit Words(const std::vector<std::string>& w) : w_(w) {}
  bool done() const { return i_ >= w_.size(); }
  const std::string& next() { return w_[i_++]; }
  std::optional<std::string> value() {
    if (done()) return std::nullopt;
    return w_[i_++];
  }

 private:
  const std::vector<std::string>& w_;
  std::size_t i_{0};
};

}  // namespace

Result<RouteSpec, std::string> parse_route(const std::vector<std::string>& words) {
  RouteSpec r;
  r.text = join(words);
  auto fail = [&](const std::string& why) { return unexpected("route '" + r.text + "': " + why); };
  std::optional<Family> family;
  auto note = [&](const IpAddress& a) -> bool {
    if (family && *family != a.family()) return false;
    family = a.family();
    return true;
  };
  Words in(words);
  bool have_dest = false;
  while (!in.done()) {
    const std::string& w = in.next();
    if (!have_dest) {
      if (auto t = route_type(w)) {
        r.type = *t;
        continue;
      }
      have_dest = true;
      if (w == "default") continue;
      auto p = Prefix::parse(w);
      if (!p) return fail("'" + w + "' is not a destination");
      if (!note(p->address)) return fail("mixes IPv4 and IPv6");
      r.destination = *p;
      continue;
    }
    if (w == "onlink") {
      r.onlink = true;
      continue;
    }
    auto v = in.value();
    if (!v) return fail("'" + w + "' needs a value");
    if (w == "via" || w == "gw" || w == "src" || w == "preferred_src") {
      auto a = IpAddress::parse(*v);
      if (!a || !note(*a)) return fail("bad address '" + *v + "'");
      (w == "src" || w == "preferred_src" ? r.src : r.via) = *a;
    } else if (w == "dev" || w == "oif") {
      r.dev = *v;
    } else if (w == "metric" || w == "preference" || w == "priority") {
      if (!(r.metric = number(*v))) return fail("bad metric '" + *v + "'");
    } else if (w == "table") {
      if (!(r.table = table_of(*v))) return fail("bad table '" + *v + "'");
    } else if (w == "scope") {
      if (!(r.scope = scope_of(*v))) return fail("bad scope '" + *v + "'");
    } else if (w == "proto" || w == "protocol") {
      if (!(r.protocol = proto_of(*v))) return fail("bad protocol '" + *v + "'");
    } else {
      return fail("'" + w + "' is not supported");
    }
  }
  if (!have_dest) return fail("no destination");
  r.family = family.value_or(Family::v4);
  if (r.type == 1 && r.dev.empty() && !r.via) return fail("a unicast route needs via or dev");
  return r;
}

Result<RuleSpec, std::string> parse_rule(const std::vector<std::string>& words, Family family) {
  RuleSpec r;
  r.text = join(words);
  r.family = family;
  auto fail = [&](const std::string& why) { return unexpected("rule '" + r.text + "': " + why); };
  bool named = false;
  Words in(words);
  while (!in.done()) {
    const std::string& w = in.next();
    if (w == "blackhole") { r.action = 6; continue; }
    if (w == "unreachable") { r.action = 7; continue; }
    if (w == "prohibit") { r.action = 8; continue; }
    auto v = in.value();
    if (!v) return fail("'" + w + "' needs a value");
    if (w == "from" || w == "to") {
      if (*v == "all") continue;
      auto p = Prefix::parse(*v);
      if (!p) return fail("bad address '" + *v + "'");
      if (named && p->address.family() != r.family) return fail("mixes IPv4 and IPv6");
      r.family = p->address.family();
      named = true;
      (w == "from" ? r.from : r.to) = *p;
    } else if (w == "priority" || w == "preference" || w == "pref") {
      if (!(r.priority = number(*v))) return fail("bad priority '" + *v + "'");
    } else if (w == "table" || w == "lookup") {
      if (!(r.table = table_of(*v))) return fail("bad table '" + *v + "'");
    } else if (w == "fwmark") {
      const auto slash = v->find('/');
      if (!(r.fwmark = number(v->substr(0, slash)))) return fail("bad fwmark '" + *v + "'");
      if (slash != std::string::npos && !(r.fwmask = number(v->substr(slash + 1))))
        return fail("bad fwmark mask '" + *v + "'");
    } else if (w == "iif" || w == "dev") {
      r.iif = *v;
    } else if (w == "oif") {
      r.oif = *v;
    } else {
      return fail("'" + w + "' is not supported");
    }
  }
  if (r.action == 1 && !r.table) return fail("no table to look up");
  return r;
}

}  // namespace vigil::vrrp::io
