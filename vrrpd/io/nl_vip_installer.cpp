#include "vrrpd/io/nl_vip_installer.hpp"

#include <linux/if_addr.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
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

NlVipInstaller::Key NlVipInstaller::key(const Vip& vip) {
  return {vip.ifindex, vip.address.address.bytes(), vip.address.length};
}

void NlVipInstaller::add_queued(const Vip& vip, Done done) { enqueue(false, vip, std::move(done)); }
void NlVipInstaller::remove_queued(const Vip& vip, Done done) { enqueue(true, vip, std::move(done)); }

void NlVipInstaller::enqueue(bool remove, const Vip& vip, Done done) {
  const char* verb = remove ? "remove " : "add ";
  auto a = build(vip, !remove);
  nl_msg* msg = nullptr;
  if (!a) return done(unexpected(verb + to_string(vip) + ": " + a.error()));
  const int err = remove ? rtnl_addr_build_delete_request(a->get(), 0, &msg)
                         : rtnl_addr_build_add_request(a->get(), NLM_F_CREATE, &msg);
  if (err < 0) return done(unexpected(verb + to_string(vip) + ": " + nl_geterror(err)));
  nlmsghdr* h = nlmsg_hdr(msg);
  h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  h->nlmsg_pid = nl_socket_get_local_port(sock_);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(h);
  queued_.push_back({remove, vip, std::move(done), {bytes, bytes + NLMSG_ALIGN(h->nlmsg_len)}});
  nlmsg_free(msg);
  if (queued_.size() >= kBatch) return flush();
  if (std::exchange(flush_posted_, true)) return;
  boost::asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (auto a = alive.lock(); a && *a) flush();
  });
}

std::vector<std::size_t> NlVipInstaller::send_order(const std::vector<bool>& is_remove,
                                                    const std::vector<std::uint64_t>& added) {
  std::vector<std::size_t> order(is_remove.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && is_remove[j]) ++j;
    std::stable_sort(order.begin() + static_cast<long>(i), order.begin() + static_cast<long>(j),
                     [&](std::size_t x, std::size_t y) { return added[x] > added[y]; });
    i = j == i ? i + 1 : j;
  }
  return order;
}

// One sendmsg() for the queued requests, then their acks (each done() called once). The
// kernel has answered every request by the time sendmsg() returns; an ack that is not there
// (the socket's buffer overran) is reported as an error rather than waited for.
void NlVipInstaller::flush() {
  flush_posted_ = false;
  if (queued_.empty()) return;
  auto batch = std::exchange(queued_, {});
  std::vector<bool> is_remove(batch.size());
  std::vector<std::uint64_t> added(batch.size(), 0);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    is_remove[i] = batch[i].remove;
    if (!batch[i].remove) continue;
    if (auto it = added_.find(key(batch[i].vip)); it != added_.end()) added[i] = it->second;
  }
  // Sequence numbers of our own, consecutive in the order sent: libnl checks its acks
  // against its own, and ours are all read before it sends again.
  const auto order = send_order(is_remove, added);
  const std::uint32_t first = next_seq_;
  std::vector<std::uint8_t> requests;
  for (const auto i : order) {
    auto& r = batch[i].request;
    reinterpret_cast<nlmsghdr*>(r.data())->nlmsg_seq = next_seq_++;
    requests.insert(requests.end(), r.begin(), r.end());
  }
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
  while (left > 0) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) continue;
      const std::uint32_t pos = h->nlmsg_seq - first;
      if (pos >= order.size() || acked[order[pos]]) continue;
      const std::size_t i = order[pos];
      acked[i] = true;
      --left;
      const int err = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
      // There already (an add), not there (a remove): what the caller wants.
      const bool fine = err == 0 || (batch[i].remove ? err == EADDRNOTAVAIL || err == ENODEV || err == ENOENT : err == EEXIST);
      if (!fine) error[i] = std::strerror(err);
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!acked[i] && error[i].empty()) error[i] = "no acknowledgement from the kernel";
    if (batch[i].remove) added_.erase(key(batch[i].vip));
    else if (error[i].empty()) added_[key(batch[i].vip)] = ++adds_;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].done) continue;
    if (error[i].empty())
      batch[i].done({});
    else
      batch[i].done(unexpected((batch[i].remove ? "remove " : "add ") + to_string(batch[i].vip) + ": " + error[i]));
  }
}

Result<void, std::string> NlVipInstaller::add(const Vip& vip) {
  flush();
  auto a = build(vip, true);
  if (!a) return unexpected(a.error());
  const int err = rtnl_addr_add(sock_, a->get(), 0);
  if (err < 0 && err != -NLE_EXIST)
    return unexpected("add " + to_string(vip) + ": " + nl_geterror(err));
  added_[key(vip)] = ++adds_;
  return {};
}

Result<bool, std::string> NlVipInstaller::remove(const Vip& vip) {
  flush();
  auto a = build(vip, false);
  if (!a) return unexpected(a.error());
  const int err = rtnl_addr_delete(sock_, a->get(), 0);
  added_.erase(key(vip));
  if (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return false;
  if (err < 0) return unexpected("remove " + to_string(vip) + ": " + nl_geterror(err));
  return true;
}

}  // namespace vigil::vrrp::io
