#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <sys/socket.h>

#include <memory>

#include "vrrpd/io/route_installer.hpp"

namespace vigil::vrrp::io {
namespace {

struct RouteDeleter {
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct RuleDeleter {
  void operator()(rtnl_rule* r) const { rtnl_rule_put(r); }
};
struct NlAddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
using RoutePtr = std::unique_ptr<rtnl_route, RouteDeleter>;
using RulePtr = std::unique_ptr<rtnl_rule, RuleDeleter>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrDeleter>;

int af(Family f) { return f == Family::v4 ? AF_INET : AF_INET6; }

NlAddrPtr nl_address(const IpAddress& a, int prefix_length) {
  NlAddrPtr out(nl_addr_build(af(a.family()), a.bytes().data(), a.is_v4() ? 4 : 16));
  if (out) nl_addr_set_prefixlen(out.get(), prefix_length);
  return out;
}

Result<RoutePtr, std::string> build(const RouteSpec& r) {
  if (!r.dev.empty() && r.ifindex == 0) return unexpected("no interface " + r.dev);
  RoutePtr route(rtnl_route_alloc());
  if (!route) return unexpected(std::string("out of memory"));
  rtnl_route_set_family(route.get(), static_cast<std::uint8_t>(af(r.family)));
  rtnl_route_set_type(route.get(), r.type);
  const IpAddress any = r.family == Family::v4 ? IpAddress::v4(0) : IpAddress::v6({});
  auto dst = r.destination ? nl_address(r.destination->address, r.destination->length) : nl_address(any, 0);
  if (!dst) return unexpected(std::string("out of memory"));
  if (int err = rtnl_route_set_dst(route.get(), dst.get()); err < 0) return unexpected(std::string(nl_geterror(err)));
  rtnl_route_set_table(route.get(), r.table.value_or(RT_TABLE_MAIN));
  rtnl_route_set_protocol(route.get(), r.protocol.value_or(RTPROT_BOOT));
  if (r.scope) {
    rtnl_route_set_scope(route.get(), *r.scope);
  } else if (r.type == RTN_LOCAL) {
    rtnl_route_set_scope(route.get(), RT_SCOPE_HOST);
  } else if (r.type == RTN_UNICAST && !r.via) {
    rtnl_route_set_scope(route.get(), RT_SCOPE_LINK);  // ip route's default without a gateway
  } else {
    rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  }
  if (r.metric) rtnl_route_set_priority(route.get(), *r.metric);
  if (r.src) {
    auto src = nl_address(*r.src, r.src->is_v4() ? 32 : 128);
    if (!src) return unexpected(std::string("out of memory"));
    rtnl_route_set_pref_src(route.get(), src.get());
  }
  if (r.ifindex || r.via) {
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    if (!nh) return unexpected(std::string("out of memory"));
    if (r.ifindex) rtnl_route_nh_set_ifindex(nh, r.ifindex);
    if (r.via) {
      auto gw = nl_address(*r.via, r.via->is_v4() ? 32 : 128);
      if (!gw) {
        rtnl_route_nh_free(nh);
        return unexpected(std::string("out of memory"));
      }
      rtnl_route_nh_set_gateway(nh, gw.get());
    }
    if (r.onlink) rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
    rtnl_route_add_nexthop(route.get(), nh);  // owned by the route now
  }
  return route;
}

Result<RulePtr, std::string> build(const RuleSpec& r) {
  RulePtr rule(rtnl_rule_alloc());
  if (!rule) return unexpected(std::string("out of memory"));
  rtnl_rule_set_family(rule.get(), af(r.family));
  rtnl_rule_set_action(rule.get(), r.action);
  if (r.table) rtnl_rule_set_table(rule.get(), *r.table);
  if (r.priority) rtnl_rule_set_prio(rule.get(), *r.priority);
  if (r.fwmark) rtnl_rule_set_mark(rule.get(), *r.fwmark);
  if (r.fwmask) rtnl_rule_set_mask(rule.get(), *r.fwmask);
  for (const auto* p : {&r.from, &r.to}) {
    if (!*p) continue;
    auto a = nl_address((*p)->address, (*p)->length);
    if (!a) return unexpected(std::string("out of memory"));
    const int err = p == &r.from ? rtnl_rule_set_src(rule.get(), a.get()) : rtnl_rule_set_dst(rule.get(), a.get());
    if (err < 0) return unexpected(std::string(nl_geterror(err)));
  }
  if (!r.iif.empty())
    if (int err = rtnl_rule_set_iif(rule.get(), r.iif.c_str()); err < 0) return unexpected(std::string(nl_geterror(err)));
  if (!r.oif.empty())
    if (int err = rtnl_rule_set_oif(rule.get(), r.oif.c_str()); err < 0) return unexpected(std::string(nl_geterror(err)));
  return rule;
}

}  // namespace

Result<std::unique_ptr<NlRouteInstaller>, std::string> NlRouteInstaller::open() {
  nl_sock* sock = nl_socket_alloc();
  if (!sock) return unexpected(std::string("nl_socket_alloc: out of memory"));
  if (int err = nl_connect(sock, NETLINK_ROUTE); err < 0) {
    nl_socket_free(sock);
    return unexpected(std::string("netlink connect: ") + nl_geterror(err));
  }
  return std::unique_ptr<NlRouteInstaller>(new NlRouteInstaller(sock));
}

NlRouteInstaller::~NlRouteInstaller() { nl_socket_free(sock_); }

Result<void, std::string> NlRouteInstaller::add(const RouteSpec& r) {
  auto route = build(r);
  if (!route) return unexpected("route " + r.text + ": " + route.error());
  // Replace: a copy left by a crashed run (or put there by hand) is taken over.
  const int err = rtnl_route_add(sock_, route->get(), NLM_F_REPLACE);
  if (err < 0) return unexpected("add route " + r.text + ": " + nl_geterror(err));
  return {};
}

Result<bool, std::string> NlRouteInstaller::remove(const RouteSpec& r) {
  auto route = build(r);
  if (!route) return unexpected("route " + r.text + ": " + route.error());
  const int err = rtnl_route_delete(sock_, route->get(), 0);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR || err == -NLE_NODEV) return false;
  if (err < 0) return unexpected("remove route " + r.text + ": " + nl_geterror(err));
  return true;
}

Result<void, std::string> NlRouteInstaller::add(const RuleSpec& r) {
  auto rule = build(r);
  if (!rule) return unexpected("rule " + r.text + ": " + rule.error());
  const int err = rtnl_rule_add(sock_, rule->get(), NLM_F_EXCL);
  if (err < 0 && err != -NLE_EXIST) return unexpected("add rule " + r.text + ": " + nl_geterror(err));
  return {};
}

Result<bool, std::string> NlRouteInstaller::remove(const RuleSpec& r) {
  auto rule = build(r);
  if (!rule) return unexpected("rule " + r.text + ": " + rule.error());
  const int err = rtnl_rule_delete(sock_, rule->get(), 0);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR) return false;
  if (err < 0) return unexpected("remove rule " + r.text + ": " + nl_geterror(err));
  return true;
}

}  // namespace vigil::vrrp::io
