// Line formats shared by several blocks: address lists, routes and rules, tracking lists.
#include <algorithm>

#include "conf/bind.hpp"
#include "conf/schemas.hpp"

namespace vigil::conf {
namespace {


}  // namespace

// <addr>[/len] [brd IP] [dev IF] [scope SCOPE] [label LABEL] [peer IP[/len]] [home] [-nodad]
//   [nodad] [noprefixroute] [autojoin] [no_track] [track_group NAME]
void parse_address_list(Parser& p, const Stmt& st, std::vector<IpAddressEntry>& out) {
  if (!p.want_block(st)) return;
  p.parse_items(st, [&](const Stmt& item) {
    IpAddressEntry e;
    e.loc = item.loc();
    auto pre = Prefix::parse(item.name());
    if (!pre) {
      p.error(item.loc(), quoted(item.name()) + " is not an IP address or prefix");
      return;
    }
    e.address = *pre;
    static constexpr std::string_view kScopes[] = {"global", "site", "link", "host", "nowhere"};
    for (std::size_t i = 0; i < item.argc(); ++i) {
      const std::string_view w = item.arg(i);
      auto value = [&]() -> std::optional<std::string_view> {
        if (i + 1 >= item.argc()) {
          p.error(item.args[i].loc, quoted(w) + " needs a value");
          return std::nullopt;
        }
        return item.arg(++i);
      };
      if (w == "dev") {
        if (auto v = value()) e.dev = *v;
      } else if (w == "brd" || w == "broadcast") {
        if (auto v = value()) {
          auto a = IpAddress::parse(*v);
          if (!a || a->family() != e.address.address.family())
            p.error(item.args[i].loc, quoted(*v) + " is not a broadcast address of the same family");
          else
            e.broadcast = a;
        }
      } else if (w == "peer") {
        if (auto v = value()) {
          auto a = Prefix::parse(*v);
          if (!a || a->address.family() != e.address.address.family())
            p.error(item.args[i].loc, quoted(*v) + " is not a peer address of the same family");
          else
            e.peer = a->address;
        }
      } else if (w == "scope") {
        if (auto v = value()) {
          if (std::find(std::begin(kScopes), std::end(kScopes), *v) == std::end(kScopes) &&
              !std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; }))
            p.error(item.args[i].loc, "unknown scope " + quoted(*v));
          else
            e.scope = *v;
        }
      } else if (w == "label") {
        if (auto v = value()) e.label = *v;
      } else if (w == "track_group") {
        if (auto v = value()) e.track_group = *v;
      } else if (w == "home") {
        e.home = true;
      } else if (w == "-nodad" || w == "nodad") {
        e.nodad = true;
      } else if (w == "noprefixroute") {
        e.noprefixroute = true;
      } else if (w == "no_track") {
        e.no_track = true;
      } else if (w == "use_vmac") {
        e.use_vmac = true;
      } else if (w == "preferred_lft") {
        if (auto v = value()) {
          if (*v == "forever") {
            e.preferred_lft = -1;
          } else {
            long long n = 0;
            bool ok = !v->empty() && v->size() <= 10;
            for (char ch : *v) {
              if (ch < '0' || ch > '9') ok = false;
              n = n * 10 + (ch - '0');
            }
            if (ok)
              e.preferred_lft = n;
            else
              p.error(item.args[i].loc, "preferred_lft takes seconds or 'forever', not " + quoted(*v));
          }
        }
      } else if (w == "autojoin" || w == "mngtmpaddr") {
        // accepted address flags with no effect on a VIP we own
      } else {
        p.error(item.args[i].loc, "unknown address option " + quoted(w));
      }
    }
    out.push_back(std::move(e));
  });
}

void dump_address_list(JsonWriter& j, const std::vector<IpAddressEntry>& v) {
  j.begin_array();
  for (const auto& e : v) {
    j.begin_object();
    j.key("address").value(e.address.to_string());
    if (!e.dev.empty()) j.key("dev").value(e.dev);
    if (e.broadcast) j.key("brd").value(e.broadcast->to_string());
    if (e.peer) j.key("peer").value(e.peer->to_string());
    if (!e.scope.empty()) j.key("scope").value(e.scope);
    if (!e.label.empty()) j.key("label").value(e.label);
    if (e.no_track) j.key("no_track").value(true);
    if (e.home) j.key("home").value(true);
    if (e.nodad) j.key("nodad").value(true);
    if (e.noprefixroute) j.key("noprefixroute").value(true);
    if (!e.track_group.empty()) j.key("track_group").value(e.track_group);
    if (e.use_vmac) j.key("use_vmac").value(true);
    if (e.preferred_lft >= 0) j.key("preferred_lft").value(e.preferred_lft);
    j.end_object();
  }
  j.end_array();
}

// Routes and rules use ip-route(8)/ip-rule(8) words. Addresses after src/via/gw/from/to/or
// are checked; an entry with a bad address is skipped with a warning, as keepalived does.
void parse_route_list(Parser& p, const Stmt& st, bool rules, std::vector<RouteEntry>& out) {
  if (!p.want_block(st)) return;
  p.parse_items(st, [&](const Stmt& item) {
    RouteEntry e;
    e.loc = item.loc();
    e.words.emplace_back(item.name());
    for (const auto& a : item.args) e.words.emplace_back(a.text);
    static constexpr std::string_view kAddrWords[] = {"src", "via", "gw", "from", "to", "or",
                                                      "nexthop", "preferred_src"};
    static constexpr std::string_view kRouteTypes[] = {"blackhole", "unreachable", "prohibit",
                                                       "throw", "local", "broadcast",
                                                       "multicast", "unicast", "anycast", "nat"};
    bool bad = false;
    auto note_family = [&](Family f, SourceLoc at) {
      if (e.family && *e.family != f) {
        p.warning(at, "route/rule mixes IPv4 and IPv6 addresses; entry skipped");
        bad = true;
      }
      e.family = f;
    };
    bool expect_dest = !rules;
    for (std::size_t i = 0; i < e.words.size() && !bad; ++i) {
      const std::string& w = e.words[i];
      const SourceLoc at = i == 0 ? item.loc() : item.args[i - 1].loc;
      const bool addr_word =
          std::find(std::begin(kAddrWords), std::end(kAddrWords), w) != std::end(kAddrWords);
      if (addr_word && i + 1 < e.words.size()) {
        const std::string& v = e.words[i + 1];
        if (w == "nexthop") continue;
        auto pre = Prefix::parse(v);
        if (!pre && v != "all" && v != "default") {
          p.warning(at, "invalid address " + quoted(v) + " after " + quoted(w) + "; entry skipped");
          bad = true;
          break;
        }
        if (pre) {
          note_family(pre->address.family(), at);
          if (rules && (w == "from" || w == "to") && !e.destination) e.destination = pre;
        }
        ++i;
        continue;
      }
      if (expect_dest) {
        if (std::find(std::begin(kRouteTypes), std::end(kRouteTypes), w) != std::end(kRouteTypes))
          continue;
        if (w == "default") {
          expect_dest = false;
          continue;
        }
        if (auto pre = Prefix::parse(w)) {
          e.destination = pre;
          note_family(pre->address.family(), at);
          expect_dest = false;
        }
      }
    }
    if (!rules && !e.destination && !bad) {
      if (std::find(e.words.begin(), e.words.end(), "default") == e.words.end()) {
        p.warning(item.loc(), "route has no destination; entry skipped");
        bad = true;
      }
    }
    if (!bad) out.push_back(std::move(e));
  });
}

void dump_route_list(JsonWriter& j, const std::vector<RouteEntry>& v) {
  j.begin_array();
  for (const auto& e : v) {
    std::string line;
    for (const auto& w : e.words) line += (line.empty() ? "" : " ") + w;
    j.value(line);
  }
  j.end_array();
}

// NAME [weight N [reverse]] | NAME [reverse]
void parse_track_list(Parser& p, const Stmt& st, std::vector<TrackRef>& out) {
  if (!p.want_block(st)) return;
  p.parse_items(st, [&](const Stmt& item) {
    TrackRef r{std::string(item.name()), std::nullopt, false, item.loc()};
    for (std::size_t i = 0; i < item.argc(); ++i) {
      if (item.arg(i) == "weight") {
        if (auto w = p.integer(item, i + 1, -254, 254)) r.weight = *w;
        ++i;
      } else if (item.arg(i) == "reverse") {
        r.reverse = true;
      } else if (item.arg(i) == "noreverse") {
        r.reverse = false;
      } else {
        p.error(item.args[i].loc, "unknown tracking option " + quoted(item.arg(i)) +
                                      " (expected 'weight N' or 'reverse')");
      }
    }
    out.push_back(std::move(r));
  });
}

void dump_track_list(JsonWriter& j, const std::vector<TrackRef>& v) {
  j.begin_array();
  for (const auto& r : v) {
    j.begin_object();
    j.key("name").value(r.name);
    if (r.weight) j.key("weight").value(*r.weight);
    if (r.reverse) j.key("reverse").value(true);
    j.end_object();
  }
  j.end_array();
}

void parse_name_list(Parser& p, const Stmt& st, std::vector<Located<std::string>>& out) {
  if (!p.want_block(st)) return;
  p.parse_items(st, [&](const Stmt& item) {
    out.push_back({std::string(item.name()), item.loc()});
    for (const auto& a : item.args) out.push_back({std::string(a.text), a.loc});
  });
}

void dump_name_list(JsonWriter& j, const std::vector<Located<std::string>>& v) {
  j.begin_array();
  for (const auto& n : v) j.value(n.value);
  j.end_array();
}

}  // namespace vigil::conf
