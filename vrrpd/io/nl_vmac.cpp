#include "vrrpd/io/nl_vmac.hpp"

#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/macvlan.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "vrrpd/io/net.hpp"

namespace vigil::vrrp::io {
namespace {

struct LinkDeleter {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrDeleter {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NlAddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkDeleter>;
using AddrPtr = std::unique_ptr<rtnl_addr, AddrDeleter>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrDeleter>;

std::string nl_error(const std::string& what, int err) { return what + ": " + nl_geterror(err); }

LinkPtr get_link(nl_sock* sock, int ifindex, const std::string& name) {
  rtnl_link* link = nullptr;
  if (rtnl_link_get_kernel(sock, ifindex, ifindex ? nullptr : name.c_str(), &link) < 0) return nullptr;
  return LinkPtr(link);
}

// IPV4_DEVCONF_* for the IPv4 keys; disable_ipv6 has none.
int devconf_id(SysctlKey k) {
  switch (k) {
    case SysctlKey::arp_ignore: return IPV4_DEVCONF_ARP_IGNORE;
    case SysctlKey::arp_filter: return IPV4_DEVCONF_ARPFILTER;
    case SysctlKey::arp_announce: return IPV4_DEVCONF_ARP_ANNOUNCE;
    case SysctlKey::accept_local: return IPV4_DEVCONF_ACCEPT_LOCAL;
    case SysctlKey::rp_filter: return IPV4_DEVCONF_RP_FILTER;
    case SysctlKey::promote_secondaries: return IPV4_DEVCONF_PROMOTE_SECONDARIES;
    case SysctlKey::disable_ipv6: return 0;
  }
  return 0;
}

// /proc/sys/net/ipv6/conf/<if>/disable_ipv6 (of the caller's network namespace). A kernel
// without IPv6 has no such file: nothing to disable.
Result<void, std::string> write_disable_ipv6(const std::string& ifname, int value) {
  const std::string path = "/proc/sys/net/ipv6/conf/" + ifname + "/disable_ipv6";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    return unexpected(path + ": " + errno_text(errno));
  }
  const char c = static_cast<char>('0' + value);
  const auto n = ::write(fd, &c, 1);
  const int err = errno;
  ::close(fd);
  if (n != 1) return unexpected(path + ": " + errno_text(err));
  return {};
}

}  // namespace

Result<std::unique_ptr<NlVmacPort>, std::string> NlVmacPort::open() {
  nl_sock* sock = nl_socket_alloc();
  if (!sock) return unexpected(std::string("nl_socket_alloc: out of memory"));
  if (int err = nl_connect(sock, NETLINK_ROUTE); err < 0) {
    nl_socket_free(sock);
    return unexpected(nl_error("netlink connect", err));
  }
  return std::unique_ptr<NlVmacPort>(new NlVmacPort(sock));
}

NlVmacPort::~NlVmacPort() { nl_socket_free(sock_); }

std::optional<LinkFacts> NlVmacPort::find(const std::string& name) {
  auto link = get_link(sock_, 0, name);
  if (!link) return std::nullopt;
  LinkFacts f;
  f.ifindex = rtnl_link_get_ifindex(link.get());
  f.macvlan = rtnl_link_is_macvlan(link.get());
  if (f.macvlan) f.private_mode = rtnl_link_macvlan_get_mode(link.get()) == MACVLAN_MODE_PRIVATE;
  f.base_ifindex = rtnl_link_get_link(link.get());
  if (nl_addr* a = rtnl_link_get_addr(link.get()); a && nl_addr_get_len(a) == f.mac.size())
    std::memcpy(f.mac.data(), nl_addr_get_binary_addr(a), f.mac.size());
  if (const char* alias = rtnl_link_get_ifalias(link.get())) f.alias = alias;
  return f;
}

Result<std::vector<Sysctl>, std::string> NlVmacPort::read(int ifindex, const std::string& name,
                                                          const std::vector<Sysctl>& keys) {
  auto link = get_link(sock_, ifindex, name);
  if (!link) return unexpected("interface " + name + " is gone");
  std::vector<Sysctl> now;
  for (const auto& k : keys) {
    std::uint32_t v = 0;
    if (k.key != SysctlKey::disable_ipv6 &&
        rtnl_link_inet_get_conf(link.get(), static_cast<unsigned>(devconf_id(k.key)), &v) >= 0)
      now.push_back({k.key, static_cast<int>(v)});
  }
  return now;
}

Result<void, std::string> NlVmacPort::apply(int ifindex, const std::string& name, const std::vector<Sysctl>& settings) {
  auto link = get_link(sock_, ifindex, name);
  if (!link) return unexpected("interface " + name + " is gone");
  LinkPtr change(rtnl_link_alloc());
  if (!change) return unexpected(std::string("out of memory"));
  bool ipv4 = false;
  for (const auto& s : settings) {
    if (s.key == SysctlKey::disable_ipv6) {
      if (auto w = write_disable_ipv6(name, s.value); !w) return w;
      continue;
    }
    if (int err = rtnl_link_inet_set_conf(change.get(), static_cast<unsigned>(devconf_id(s.key)),
                                          static_cast<std::uint32_t>(s.value));
        err < 0)
      return unexpected(nl_error(name + " " + std::string(to_string(s.key)), err));
    ipv4 = true;
  }
  if (!ipv4) return {};
  if (int err = rtnl_link_change(sock_, link.get(), change.get(), 0); err < 0)
    return unexpected(nl_error("sysctls of " + name, err));
  return {};
}

Result<VmacLink, std::string> NlVmacPort::setup(const VmacSpec& spec) {
  VmacLink out{spec.name, 0, spec.base_ifindex, false};
  if (!spec.reuse) {
    LinkPtr link(rtnl_link_macvlan_alloc());
    NlAddrPtr mac(nl_addr_build(AF_LLC, spec.mac.data(), spec.mac.size()));
    if (!link || !mac) return unexpected(std::string("out of memory"));
    rtnl_link_set_name(link.get(), spec.name.c_str());
    rtnl_link_set_link(link.get(), spec.base_ifindex);
    rtnl_link_set_addr(link.get(), mac.get());
    // Private: no frame between the macvlans of one base; and a frame whose source is our
    // own VMAC (the peer Master's adverts) goes to the macvlan only.
    rtnl_link_macvlan_set_mode(link.get(), MACVLAN_MODE_PRIVATE);
    if (int err = rtnl_link_add(sock_, link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
      return unexpected(nl_error("create " + spec.name + " on " + spec.base, err));
  }
  const auto facts = find(spec.name);
  if (!facts) return unexpected(spec.name + " vanished after it was created");
  out.ifindex = facts->ifindex;
  out.owned = !spec.reuse || facts->alias == kVmacAlias;
  if (auto r = configure(spec, out.ifindex); !r) {
    // Half made: not left behind.
    if (!spec.reuse) {
      LinkPtr del(rtnl_link_alloc());
      if (del) {
        rtnl_link_set_ifindex(del.get(), out.ifindex);
        (void)rtnl_link_delete(sock_, del.get());
      }
    }
    return unexpected(r.error());
  }
  return out;
}

Result<void, std::string> NlVmacPort::configure(const VmacSpec& spec, int ifindex) {
  // Before it is up: no IPv6 address of its own to announce with the VMAC as source.
  if (auto r = apply(ifindex, spec.name, vmac_sysctls(spec.family, spec.has_ipv6_vips)); !r) return r;
  if (spec.family == Family::v6 || spec.has_ipv6_vips) {
    auto link = get_link(sock_, ifindex, spec.name);
    LinkPtr change(rtnl_link_alloc());
    if (!link || !change) return unexpected(spec.name + ": cannot read the link");
    rtnl_link_inet6_set_addr_gen_mode(change.get(), IN6_ADDR_GEN_MODE_NONE);
    if (int err = rtnl_link_change(sock_, link.get(), change.get(), 0); err < 0)
      return unexpected(nl_error(spec.name + " addr_gen_mode none", err));
  }
  if (spec.family == Family::v6 && spec.link_local) {
    AddrPtr a(rtnl_addr_alloc());
    NlAddrPtr local(nl_addr_build(AF_INET6, spec.link_local->bytes().data(), 16));
    if (!a || !local) return unexpected(std::string("out of memory"));
    nl_addr_set_prefixlen(local.get(), 64);
    rtnl_addr_set_family(a.get(), AF_INET6);
    rtnl_addr_set_ifindex(a.get(), ifindex);
    rtnl_addr_set_local(a.get(), local.get());
    rtnl_addr_set_prefixlen(a.get(), 64);
    rtnl_addr_set_scope(a.get(), 253);  // RT_SCOPE_LINK
    rtnl_addr_set_flags(a.get(), IFA_F_NODAD);
    if (int err = rtnl_addr_add(sock_, a.get(), 0); err < 0 && err != -NLE_EXIST)
      return unexpected(nl_error(spec.name + " link-local " + spec.link_local->to_string(), err));
  }

  auto link = get_link(sock_, ifindex, spec.name);
  LinkPtr change(rtnl_link_alloc());
  if (!link || !change) return unexpected(spec.name + ": cannot read the link");
  rtnl_link_set_flags(change.get(), IFF_UP);
  // The mark of ours (the kernel takes IFLA_IFALIAS on a change, not at creation).
  if (!spec.reuse) rtnl_link_set_ifalias(change.get(), kVmacAlias);
  if (int err = rtnl_link_change(sock_, link.get(), change.get(), 0); err < 0)
    return unexpected(nl_error("set " + spec.name + " up", err));

  // The base last (nothing after it can fail): keepalived's arp_ignore / arp_filter, and
  // arp_announce, its old values kept for release().
  const auto wanted = base_sysctls(spec.family);
  if (wanted.empty()) return {};
  const auto now = read(spec.base_ifindex, spec.base, wanted);
  if (!now) return unexpected(now.error());
  if (auto r = apply(spec.base_ifindex, spec.base, bases_.acquire(spec.base_ifindex, *now, wanted)); !r) {
    (void)bases_.release(spec.base_ifindex);
    return r;
  }
  return {};
}

Result<void, std::string> NlVmacPort::release(const VmacLink& link) {
  std::string error;
  if (auto restore = bases_.release(link.base_ifindex); !restore.empty()) {
    char name[IF_NAMESIZE]{};
    if (::if_indextoname(static_cast<unsigned>(link.base_ifindex), name))
      if (auto r = apply(link.base_ifindex, name, restore); !r) error = r.error();
  }
  // Deleted by index only while that index is still our macvlan: a macvlan removed meanwhile
  // (with its base, or by hand) may have left its index to another interface.
  const auto now = find(link.name);
  if (!link.owned || !now || now->ifindex != link.ifindex || !now->macvlan)
    return error.empty() ? Result<void, std::string>{} : unexpected(error);
  LinkPtr del(rtnl_link_alloc());
  if (!del) return unexpected(std::string("out of memory"));
  rtnl_link_set_ifindex(del.get(), link.ifindex);
  if (int err = rtnl_link_delete(sock_, del.get()); err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND)
    return unexpected(nl_error("delete " + link.name, err));
  if (!error.empty()) return unexpected(error);
  return {};
}

}  // namespace vigil::vrrp::io
