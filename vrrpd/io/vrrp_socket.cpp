#include "vrrpd/io/vrrp_socket.hpp"

#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>
#include <utility>

#include "vrrpd/io/net.hpp"
#include "vrrpd/proto/advert.hpp"

namespace vigil::vrrp::io {
namespace {

constexpr int kTtl = 255;
constexpr int kMaxReadsPerWake = 256;
constexpr std::size_t kBatch = 64;         // messages per recvmmsg / sendmmsg
constexpr std::size_t kBufferSize = 2048;  // > the largest advert: 40 + 8 + 255 * 16
constexpr int kReceiveBuffer = 4 << 20;
// A wake-up that found a burst under way (two messages or more) reads the rest on a timer
// this far on, rounded up to a multiple of it (all sockets' bursts share the wake-up), rather
// than waking for every few messages as they trickle in: a Master's sendmmsg of a thousand
// adverts woke a Backup ~280 times a second, 3-4 adverts each. A lone advert (a priority 0,
// a Master at 10 ms) is read at once.
constexpr auto kLinger = std::chrono::microseconds{250};

std::chrono::steady_clock::time_point linger_until() {
  const auto t = std::chrono::steady_clock::now().time_since_epoch() + kLinger;
  const auto grid = std::chrono::duration_cast<std::chrono::steady_clock::duration>(kLinger);
  return std::chrono::steady_clock::time_point((t + grid - std::chrono::steady_clock::duration{1}) / grid * grid);
}

// The arrival time on the steady clock's time line, from the kernel's realtime stamp and the
// two clocks read together; none when the stamp is in the future or over 100 ms old (the
// loop's own time is then as good), or when the batch's clocks are not to be trusted.
constexpr auto kMaxAge = std::chrono::milliseconds{100};

Duration realtime_now() {
  timespec real{};
  ::clock_gettime(CLOCK_REALTIME, &real);
  return std::chrono::seconds{real.tv_sec} + std::chrono::nanoseconds{real.tv_nsec};
}
// The two clocks now, and whether their offset is where it was at the previous reading
// (within 1 ms; slewing moves it by microseconds a second).
VrrpSocket::RxClock read_clocks(const std::optional<Duration>& previous_offset) {
  const TimePoint steady = std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
  const Duration real = realtime_now();
  const Duration offset = real - steady.time_since_epoch();
  const bool trusted = previous_offset && std::chrono::abs(offset - *previous_offset) < std::chrono::milliseconds{1};
  return {steady, real, offset, trusted};
}
std::optional<TimePoint> arrival(const VrrpSocket::RxClock& clocks, Duration stamp) {
  if (!clocks.trusted) return std::nullopt;
  const Duration age = clocks.real - stamp;
  if (age < Duration::zero() || age > kMaxAge) return std::nullopt;
  return clocks.steady - age;
}

int set_int(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value);
}

std::string fail(const char* what) { return std::string(what) + ": " + errno_text(errno); }

Result<void, std::string> configure_v4(int fd, const VrrpSocket::Config& c) {
  if (set_int(fd, IPPROTO_IP, IP_TTL, kTtl) < 0) return unexpected(fail("IP_TTL"));
  if (set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, kTtl) < 0) return unexpected(fail("IP_MULTICAST_TTL"));
  if (set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0) < 0) return unexpected(fail("IP_MULTICAST_LOOP"));
  if (set_int(fd, IPPROTO_IP, IP_PKTINFO, 1) < 0) return unexpected(fail("IP_PKTINFO"));
  ip_mreqn ifreq{};
  ifreq.imr_ifindex = c.ifindex;
  if (::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifreq, sizeof ifreq) < 0)
    return unexpected(fail("IP_MULTICAST_IF"));
  for (const auto& g : c.groups) {
    ip_mreqn m{};
    m.imr_multiaddr = to_in_addr(g);
    m.imr_ifindex = c.ifindex;
    if (::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) < 0 && errno != EADDRINUSE)
      return unexpected(fail(("IP_ADD_MEMBERSHIP " + g.to_string()).c_str()));
  }
  return {};
}

Result<void, std::string> configure_v6(int fd, const VrrpSocket::Config& c) {
  if (set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, kTtl) < 0) return unexpected(fail("IPV6_UNICAST_HOPS"));
  if (set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, kTtl) < 0)
    return unexpected(fail("IPV6_MULTICAST_HOPS"));
  if (set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0) < 0) return unexpected(fail("IPV6_MULTICAST_LOOP"));
  if (set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0) return unexpected(fail("IPV6_RECVPKTINFO"));
  if (set_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) < 0) return unexpected(fail("IPV6_RECVHOPLIMIT"));
  if (set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, c.ifindex) < 0) return unexpected(fail("IPV6_MULTICAST_IF"));
  // The codec computes and verifies the checksum (and counts bad ones): no IPV6_CHECKSUM.
  for (const auto& g : c.groups) {
    ipv6_mreq m{};
    m.ipv6mr_multiaddr = to_in6_addr(g);
    m.ipv6mr_interface = static_cast<unsigned>(c.ifindex);
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m) < 0 && errno != EADDRINUSE)
      return unexpected(fail(("IPV6_JOIN_GROUP " + g.to_string()).c_str()));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<VrrpSocket>, std::string> VrrpSocket::open(boost::asio::io_context& io,
                                                                   Config config) {
  const int domain = config.family == Family::v4 ? AF_INET : AF_INET6;
  const int fd = ::socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kIpProtoVrrp);
  if (fd < 0) return unexpected(fail("socket"));
  // Only this interface's traffic: the arrival interface is still checked (IP_PKTINFO).
  Result<void, std::string> configured;
  // The arrival time of every message (RxPacket::arrived). Without it (never seen) the loop's
  // own time stands in.
  (void)set_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, config.ifname.c_str(),
                   static_cast<socklen_t>(config.ifname.size())) < 0)
    configured = unexpected(fail("SO_BINDTODEVICE"));
  else
    configured = config.family == Family::v4 ? configure_v4(fd, config) : configure_v6(fd, config);
  if (!configured) {
    ::close(fd);
    return unexpected(configured.error());
  }
  return std::unique_ptr<VrrpSocket>(new VrrpSocket(io, fd, std::move(config)));
}

Result<std::unique_ptr<PacketEndpoint>, std::string> AsioSocketFactory::open(const SocketConfig& c) {
  auto s = VrrpSocket::open(io_, c);
  if (!s) return unexpected(s.error());
  return std::unique_ptr<PacketEndpoint>(std::move(*s));
}

// The message headers of recvmmsg point into buffer_ once and for all; before each call only
// what the kernel overwrites (name and control lengths) is reset.
struct VrrpSocket::RxSlots {
  struct alignas(cmsghdr) Control {
    std::byte bytes[256];
  };
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  std::array<sockaddr_storage, kBatch> names{};
  std::array<Control, kBatch> controls{};

  explicit RxSlots(std::vector<std::byte>& buffer) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      iovs[i] = {buffer.data() + i * kBufferSize, kBufferSize};
      msgs[i].msg_hdr.msg_name = &names[i];
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = controls[i].bytes;
    }
  }
  void reset(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      msgs[i].msg_hdr.msg_namelen = sizeof names[i];
      msgs[i].msg_hdr.msg_controllen = sizeof controls[i].bytes;
      msgs[i].msg_hdr.msg_flags = 0;
    }
  }
};

struct VrrpSocket::Outgoing {
  SockAddr to;
  IpAddress src, dst;
  std::vector<std::byte> message;
};

VrrpSocket::VrrpSocket(boost::asio::io_context& io, int fd, Config config)
    : config_(std::move(config)),
      io_(io),
      fd_(io, fd),
      linger_(io),
      buffer_(kBufferSize * kBatch),
      rx_(std::make_unique<RxSlots>(buffer_)),
      alive_(std::make_shared<bool>(true)) {
  rx_clock_.offset = read_clocks({}).offset;  // what the first batch's is compared with
  // Hundreds of instances' adverts arrive in one burst: room for them (root may exceed
  // rmem_max; otherwise the default stays).
  const int size = kReceiveBuffer;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

VrrpSocket::~VrrpSocket() {
  *alive_ = false;
  boost::system::error_code ec;
  fd_.close(ec);
}

void VrrpSocket::start(OnPacket on_packet, OnDrop on_drop) {
  on_packet_ = std::move(on_packet);
  on_drop_ = std::move(on_drop);
  wait();
}

void VrrpSocket::wait() {
  fd_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                 [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
                   auto a = alive.lock();
                   if (ec || !a || !*a) return;
                   const std::size_t n = read_all();
                   if (!*a) return;
                   if (n >= 2) return linger();
                   wait();
                 });
}

void VrrpSocket::linger() {
  linger_.expires_at(linger_until());
  linger_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    read_all();
    if (*a) wait();
  });
}

// Up to kBatch messages per recvmmsg, kMaxReadsPerWake per wake-up (timers keep running).
std::size_t VrrpSocket::read_all() {
  const auto alive = alive_;  // a handler may destroy the socket: check before going on
  auto& rx = *rx_;
  std::size_t used = kBatch;  // headers the last call may have changed
  int read = 0;
  while (read < kMaxReadsPerWake) {
    rx.reset(used);
    const int n = ::recvmmsg(fd_.native_handle(), rx.msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;  // empty (or failed: the next wake retries)
    used = static_cast<std::size_t>(n);
    // The kernel's arrival times are CLOCK_REALTIME: moved onto the steady clock's time line
    // by the two clocks' offset now (one pair of reads per batch). A realtime step between a
    // stamp and this read (ntpd or chronyd stepping the clock at boot) would move arrivals by
    // the step: the stamps are trusted only when the offset is where the previous batch
    // found it.
    rx_clock_ = read_clocks(rx_clock_.offset);
    for (std::size_t i = 0; i < used; ++i) {
      const auto& h = rx.msgs[i].msg_hdr;
      deliver(std::span<const std::byte>(buffer_).subspan(i * kBufferSize, rx.msgs[i].msg_len), h.msg_name,
              h.msg_control, h.msg_controllen);
      if (!*alive) return 0;
    }
    read += n;
    // Fewer than asked: the queue was empty. What comes in later wakes the loop (edge
    // triggered, re-armed by every wait), or the linger timer reads it: no second call that
    // finds nothing, which for adverts that come one by one (keepalived Masters send each
    // on its own) was one syscall in three.
    if (used < kBatch) break;
  }
  return static_cast<std::size_t>(read);
}

void VrrpSocket::deliver(std::span<const std::byte> datagram, const void* name,
                         const void* control, std::size_t control_length) {
  msghdr msg{};
  msg.msg_control = const_cast<void*>(control);
  msg.msg_controllen = control_length;
  RxPacket p;
  bool have_info = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      p.ifindex = info.ipi_ifindex;
      have_info = true;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      p.ifindex = static_cast<int>(info.ipi6_ifindex);
      p.dst = from_in6_addr(info.ipi6_addr);
      have_info = true;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
      std::memcpy(&p.ttl, CMSG_DATA(c), sizeof p.ttl);
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      p.arrived = arrival(rx_clock_, std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec});
    }
  }
  if (!have_info) return on_drop_(RxDrop::no_ancillary);
  if (config_.family == Family::v4) {
    auto h = parse_ipv4(datagram);  // raw IPv4 sockets receive the header
    if (!h) return on_drop_(h.error());
    p.src = h->src;
    p.dst = h->dst;
    p.ttl = h->ttl;
    p.payload = h->payload;
  } else {
    sockaddr_storage from{};
    std::memcpy(&from, name, sizeof from);
    auto src = from_sockaddr(from);
    if (!src || p.ttl < 0) return on_drop_(RxDrop::no_ancillary);
    p.src = *src;
    p.payload = datagram;
  }
  on_packet_(p);
}

Result<void, int> VrrpSocket::send(const IpAddress& src, const IpAddress& dst,
                                   std::span<const std::byte> message) {
  // Link-scope IPv6 destinations (ff02::12, fe80::/10 peers) need the interface as scope.
  queue_.push_back({to_sockaddr(dst, config_.ifindex), src, dst, {message.begin(), message.end()}});
  if (queue_.size() >= kBatch) {
    flush();
  } else if (!std::exchange(flush_posted_, true)) {
    boost::asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
      auto a = alive.lock();
      if (a && *a) flush();
    });
  }
  return {};
}

bool VrrpSocket::input_waiting() {
  pollfd p{fd_.native_handle(), POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

void VrrpSocket::flush() {
  flush_posted_ = false;
  std::size_t done = 0;
  while (done < queue_.size()) {
    const std::size_t n = std::min<std::size_t>(kBatch, queue_.size() - done);
    std::array<mmsghdr, kBatch> msgs{};
    std::array<iovec, kBatch> iovs{};
    std::array<PktinfoControl, kBatch> controls{};
    for (std::size_t i = 0; i < n; ++i) {
      auto& o = queue_[done + i];
      iovs[i] = {o.message.data(), o.message.size()};
      msghdr& msg = msgs[i].msg_hdr;
      msg.msg_name = const_cast<sockaddr*>(o.to.get());
      msg.msg_namelen = o.to.length;
      msg.msg_iov = &iovs[i];
      msg.msg_iovlen = 1;
      set_pktinfo(msg, controls[i], config_.family, config_.ifindex, o.src);
    }
    const int sent = ::sendmmsg(fd_.native_handle(), msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
    if (sent < 0 && errno == EINTR) continue;
    // sendmmsg stops at the first failure: report it and go on after it.
    const std::size_t ok = sent < 0 ? 0 : static_cast<std::size_t>(sent);
    done += ok;
    if (ok < n) {
      const int err = sent < 0 ? errno : EAGAIN;
      if (on_send_error_) on_send_error_(queue_[done].dst, err);
      ++done;
    }
  }
  queue_.clear();
}

}  // namespace vigil::vrrp::io
