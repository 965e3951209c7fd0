#include "vrrpd/io/nl_vip_installer.hpp"

#include <linux/if_addr.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

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

Result<std::unique_ptr<NlVipInstaller>, std::string> NlVipInstaller::open(boost::asio::io_context& io) {
  nl_sock* sock = nl_socket_alloc();
  if (!sock) return unexpected(std::string("nl_socket_alloc: out of memory"));
  if (int err = nl_connect(sock, NETLINK_ROUTE); err < 0) {
    nl_socket_free(sock);
    return unexpected(std::string("netlink connect: ") + nl_geterror(err));
  }
  // Acks without the request copied back: kBatch of them stay small.
  const int one = 1;
  ::setsockopt(nl_socket_get_fd(sock), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  return std::unique_ptr<NlVipInstaller>(new NlVipInstaller(sock, io));
}

NlVipInstaller::~NlVipInstaller() {
  *alive_ = false;
  for (auto& q : queued_) q.done = nullptr;  // the instances are gone; the adds still go
  flush();
  nl_socket_free(sock_);
}

void NlVipInstaller::add_queued(const Vip& vip, Done done) {
  auto a = build(vip, true);
  nl_msg* msg = nullptr;
  if (!a) return done(unexpected("add " + to_string(vip) + ": " + a.error()));
  if (int err = rtnl_addr_build_add_request(a->get(), NLM_F_CREATE, &msg); err < 0)
    return done(unexpected("add " + to_string(vip) + ": " + nl_geterror(err)));
  nlmsghdr* h = nlmsg_hdr(msg);
  h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  // A counter of our own: libnl checks its acks against its own, and ours are all read
  // before it sends again.
  h->nlmsg_seq = next_seq_++;
  h->nlmsg_pid = nl_socket_get_local_port(sock_);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(h);
  requests_.insert(requests_.end(), bytes, bytes + NLMSG_ALIGN(h->nlmsg_len));
  queued_.push_back({h->nlmsg_seq, vip, std::move(done)});
  nlmsg_free(msg);
  if (queued_.size() >= kBatch) return flush();
  if (std::exchange(flush_posted_, true)) return;
  boost::asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (auto a = alive.lock(); a && *a) flush();
  });
}

// One sendmsg() for the queued requests, then their acks (each done() called once). The
// kernel has answered every request by the time sendmsg() returns; an ack that is not there
// (the socket's buffer overran) is reported as an error rather than waited for.
void NlVipInstaller::flush() {
  flush_posted_ = false;
  if (queued_.empty()) return;
  auto batch = std::exchange(queued_, {});
  auto requests = std::exchange(requests_, {});
  const int fd = nl_socket_get_fd(sock_);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  iovec iov{requests.data(), requests.size()};
  msghdr mh{};
  mh.msg_name = &kernel;
  mh.msg_namelen = sizeof kernel;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  std::vector<std::string> error(batch.size());
  std::vector<bool> acked(batch.size(), false);
  std::size_t left = batch.size();
  if (::sendmsg(fd, &mh, 0) < 0) {
    const std::string why = std::strerror(errno);
    for (auto& e : error) e = why;
    left = 0;
  }
  alignas(nlmsghdr) std::uint8_t buf[16384];
  const std::uint32_t first = batch.front().seq;  // the batch's sequence numbers run on from it
  while (left > 0) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) continue;
      const std::uint32_t i = h->nlmsg_seq - first;
      if (i >= batch.size() || acked[i]) continue;
      acked[i] = true;
      --left;
      const int err = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
      if (err != 0 && err != EEXIST) error[i] = std::strerror(err);  // EEXIST: there already
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!acked[i] && error[i].empty()) error[i] = "no acknowledgement from the kernel";
    if (!batch[i].done) continue;
    if (error[i].empty())
      batch[i].done({});
    else
      batch[i].done(unexpected("add " + to_string(batch[i].vip) + ": " + error[i]));
  }
}

Result<void, std::string> NlVipInstaller::add(const Vip& vip) {
  flush();
  auto a = build(vip, true);
  if (!a) return unexpected(a.error());
  const int err = rtnl_addr_add(sock_, a->get(), 0);
  if (err < 0 && err != -NLE_EXIST)
    return unexpected("add " + to_string(vip) + ": " + nl_geterror(err));
  return {};
}

Result<bool, std::string> NlVipInstaller::remove(const Vip& vip) {
  flush();
  auto a = build(vip, false);
  if (!a) return unexpected(a.error());
  const int err = rtnl_addr_delete(sock_, a->get(), 0);
  if (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return false;
  if (err < 0) return unexpected("remove " + to_string(vip) + ": " + nl_geterror(err));
  return true;
}

}  // namespace vigil::vrrp::io
