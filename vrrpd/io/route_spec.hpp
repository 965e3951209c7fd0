// keepalived's virtual_routes / virtual_rules / static_routes / static_rules: lines in
// ip-route(8) / ip-rule(8) words, parsed into values the RouteInstaller port applies. The
// common subset is understood; any other word is an error for the log (the line is skipped,
// never half applied). Pure.
//   route: [TYPE] PREFIX|default [via|gw ADDR] [dev IF] [src ADDR] [metric|preference N]
//          [table N|main|local|default] [scope host|link|global|N] [proto N|NAME] [onlink]
//          TYPE: unicast blackhole unreachable prohibit throw local
//   rule:  [from PREFIX|all] [to PREFIX|all] [priority|preference|pref N] [table|lookup N]
//          [fwmark N[/M]] [iif|oif IF] [blackhole|unreachable|prohibit]
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip.hpp"
#include "base/result.hpp"

namespace vigil::vrrp::io {

struct RouteSpec {
  Family family{Family::v4};
  std::uint8_t type{1};                 // RTN_UNICAST
  std::optional<Prefix> destination;    // empty: default
  std::optional<IpAddress> via, src;
  std::string dev;                      // empty: none (blackhole & co.)
  int ifindex{};                        // resolved by the caller
  std::optional<std::uint32_t> metric, table;
  std::optional<std::uint8_t> scope, protocol;
  bool onlink{false};
  std::string text;  // the words, for logs
  friend bool operator==(const RouteSpec&, const RouteSpec&) = default;
};

struct RuleSpec {
  Family family{Family::v4};
  std::optional<Prefix> from, to;
  std::optional<std::uint32_t> priority, table, fwmark, fwmask;
  std::string iif, oif;
  std::uint8_t action{1};  // FR_ACT_TO_TBL; blackhole 6, unreachable 7, prohibit 8
  std::string text;
  friend bool operator==(const RuleSpec&, const RuleSpec&) = default;
};

Result<RouteSpec, std::string> parse_route(const std::vector<std::string>& words);
// family: of the instance (a rule naming no address takes it).
Result<RuleSpec, std::string> parse_rule(const std::vector<std::string>& words, Family family);

}  // namespace vigil::vrrp::io
