#include "vrrpd/io/nl_vip_installer.hpp"

#include <linux/if_addr.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <sys/socket.h>

#include <memory>

namespace vigil::vrrp::io {
namespace {

struct AddrDeleter {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NlAddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
using AddrPtr = std::unique_ptr<rtnl_addr, AddrDeleter>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrDeleter>;

int af(const IpAddress& a) { return a.is_v4() ? AF_INET : AF_INET6; }

NlAddrPtr nl_address(const IpAddress& a, int prefix_length) {
  NlAddrPtr out(nl_addr_build(af(a), a.bytes().data(), a.is_v4() ? 4 : 16));
  if (out) nl_addr_set_prefixlen(out.get(), prefix_length);
  return out;
}

// The rtnl_addr for one VIP. For RTM_DELADDR only what names it (address, prefix, peer),
// as keepalived: a label or broadcast would make the kernel skip a copy that differs there.
Result<AddrPtr, std::string> build(const Vip& v, bool for_add) {
  AddrPtr a(rtnl_addr_alloc());
  const int len = v.address.length;
  auto local = nl_address(v.address.address, len);
  if (!a || !local) return unexpected(std::string("out of memory"));
  rtnl_addr_set_family(a.get(), af(v.address.address));
  rtnl_addr_set_ifindex(a.get(), v.ifindex);
  if (int err = rtnl_addr_set_local(a.get(), local.get()); err < 0)
    return unexpected(std::string(nl_geterror(err)));
  rtnl_addr_set_prefixlen(a.get(), len);
  rtnl_addr_set_scope(a.get(), v.scope);
  if (v.peer) {
    auto peer = nl_address(*v.peer, len);
    if (!peer) return unexpected(std::string("out of memory"));
    rtnl_addr_set_peer(a.get(), peer.get());
  }
  if (!for_add) return a;
  if (v.broadcast && v.address.address.is_v4()) {
    auto brd = nl_address(*v.broadcast, 32);
    if (!brd) return unexpected(std::string("out of memory"));
    rtnl_addr_set_broadcast(a.get(), brd.get());
  }
  if (!v.label.empty() && v.address.address.is_v4())
    if (int err = rtnl_addr_set_label(a.get(), v.label.c_str()); err < 0)
      return unexpected("label '" + v.label + "': " + nl_geterror(err));
  unsigned flags = 0;
  if (v.nodad) flags |= IFA_F_NODAD;
  if (v.noprefixroute) flags |= IFA_F_NOPREFIXROUTE;
  if (v.home) flags |= IFA_F_HOMEADDRESS;
  if (flags) rtnl_addr_set_flags(a.get(), flags);
  return a;
}

}  // namespace

std::string to_string(const Vip& v) { return v.address.to_string() + " dev " + v.dev; }

Result<std::unique_ptr<NlVipInstaller>, std::string> NlVipInstaller::open() {
  nl_sock* sock = nl_socket_alloc();
  if (!sock) return unexpected(std::string("nl_socket_alloc: out of memory"));
  if (int err = nl_connect(sock, NETLINK_ROUTE); err < 0) {
    nl_socket_free(sock);
    return unexpected(std::string("netlink connect: ") + nl_geterror(err));
  }
  return std::unique_ptr<NlVipInstaller>(new NlVipInstaller(sock));
}

NlVipInstaller::~NlVipInstaller() { nl_socket_free(sock_); }

Result<void, std::string> NlVipInstaller::add(const Vip& vip) {
  auto a = build(vip, true);
  if (!a) return unexpected(a.error());
  const int err = rtnl_addr_add(sock_, a->get(), 0);
  if (err < 0 && err != -NLE_EXIST)
    return unexpected("add " + to_string(vip) + ": " + nl_geterror(err));
  return {};
}

Result<bool, std::string> NlVipInstaller::remove(const Vip& vip) {
  auto a = build(vip, false);
  if (!a) return unexpected(a.error());
  const int err = rtnl_addr_delete(sock_, a->get(), 0);
  if (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return false;
  if (err < 0) return unexpected("remove " + to_string(vip) + ": " + nl_geterror(err));
  return true;
}

}  // namespace vigil::vrrp::io
