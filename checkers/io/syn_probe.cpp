#include "checkers/io/syn_probe.hpp"

#include <linux/errqueue.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <queue>
#include <random>
#include <unordered_map>

#include "base/sockaddr.hpp"
#include "checkers/core/tcp_syn.hpp"
#include "checkers/io/address_map.hpp"
#include "checkers/io/asio_time.hpp"
#include "checkers/io/sockets.hpp"
#include "checkers/io/syn_socket.hpp"

namespace vigil::checkers::io {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kBatch = 32;      // segments per recvmmsg
constexpr std::size_t kRxSize = 192;    // an IPv4 header and a TCP header, both with options
constexpr int kMaxBatchesPerWake = 8;   // then the rest after what else is ready
constexpr Duration kFirstRetransmit = 1s;  // RFC 6298's initial RTO, doubled after each
constexpr Duration kRouteTtl = 10s;     // how long a looked-up source (and ifindex) is used

std::size_t side_of(Family f) { return f == Family::v4 ? 0 : 1; }

// One probe's connection as the server sees it: who it is and which of our ports is talking.
struct Flow {
  IpAddress addr;
  std::uint16_t port{};
  std::uint16_t src_port{};
  friend bool operator==(const Flow&, const Flow&) = default;
};
struct FlowHash {
  std::size_t operator()(const Flow& f) const {
    return hash_address(f.addr, (std::uint64_t{f.port} << 16) | f.src_port);
  }
};

struct RouteKey {
  IpAddress dst;
  std::string device;
  std::optional<IpAddress> bindto;
  friend bool operator==(const RouteKey&, const RouteKey&) = default;
};
struct RouteKeyHash {
  std::size_t operator()(const RouteKey& k) const { return hash_address(k.dst, std::hash<std::string>()(k.device) ^ k.bindto.has_value()); }
};
struct Route {
  std::optional<IpAddress> src;  // pinned: IPv4 always (the checksum covers it), IPv6 bindto
  int ifindex{0};
  TimePoint until{};
};

std::string connect_error(int err) { return sys_error("connect", err); }


}  // namespace

struct SynProber::Impl {
  struct Side {
    std::unique_ptr<asio::posix::stream_descriptor> raw;
    std::vector<std::uint16_t> ports;
    std::size_t next_port{0};
    std::string unavailable;
    std::optional<SynSocket> sockets;  // holds the reserved ports
    // IPv4: while every probe so far has had one source, the raw socket is bound to it. The
    // kernel then hands the socket only segments to that address, not also a clone of our
    // own SYN and of our kernel's RST to the server, which the filter would drop only after
    // the clone (10,000 checks/s: ~1.5 % of a core). A second source unbinds it for good.
    std::optional<IpAddress> pinned;  // the socket is bound to it
    bool many_sources{false};         // unbound for good
  };
  struct Probe {
    ProbeDone done;
    Family family{};
    Flow flow;
    std::uint32_t iss{};
    syn::SynBytes syn{};
    SockAddr to;
    std::optional<IpAddress> src;  // pinned by IP_PKTINFO / IPV6_PKTINFO
    int ifindex{0};
    TimePoint deadline{}, next_syn{}, due{};
    Duration gap{kFirstRetransmit};
  };
  // The receive slots of recvmmsg, set up once.
  struct Rx {
    std::array<mmsghdr, kBatch> msgs{};
    std::array<iovec, kBatch> iovs{};
    std::array<sockaddr_storage, kBatch> names{};
    std::array<std::array<std::byte, kRxSize>, kBatch> data{};
    Rx() {
      for (std::size_t i = 0; i < kBatch; ++i) {
        iovs[i] = {data[i].data(), kRxSize};
        msgs[i].msg_hdr.msg_name = &names[i];
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
    }
    void reset(std::size_t n) {
      for (std::size_t i = 0; i < n; ++i) {
        msgs[i].msg_hdr.msg_namelen = sizeof names[i];
        msgs[i].msg_hdr.msg_flags = 0;
      }
    }
  };
  using Due = std::pair<TimePoint, std::uint64_t>;

  explicit Impl(asio::io_context& i) : io(i), timer(i), rng(std::random_device{}()) {}
  ~Impl() {
    *alive = false;
    for (const int fd : udp)
      if (fd >= 0) ::close(fd);
  }

  asio::io_context& io;
  std::array<Side, 2> sides;
  std::unordered_map<std::uint64_t, Probe> probes;
  std::unordered_map<Flow, std::uint64_t, FlowHash> flows;
  AddressMap<Route> plain_routes;  // without bind_if or bindto (nearly all)
  std::unordered_map<RouteKey, Route, RouteKeyHash> routes;  // with either
  std::size_t routes_pruned_at{0};
  std::priority_queue<Due, std::vector<Due>, std::greater<>> heap;  // (due, token); stale ones skipped
  asio::steady_timer timer;
  TimePoint armed{TimePoint::max()};
  std::unique_ptr<Rx> rx = std::make_unique<Rx>();
  std::mt19937 rng;
  SteadyClock clock;
  std::array<int, 2> udp{-1, -1};  // for route lookups without bind_if or bindto
  Urgent* urgent{nullptr};
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  Side& side(Family f) { return sides[side_of(f)]; }
  int fd(Family f) { return side(f).raw->native_handle(); }

  // --- sources and interfaces -------------------------------------------------------------

  void pin_source(Family f, const std::optional<IpAddress>& src) {
    Side& s = side(f);
    if (f != Family::v4 || s.many_sources || (s.pinned && s.pinned == src)) return;
    if (!s.pinned && src) {
      const SockAddr to = to_sockaddr(*src);
      if (::bind(fd(f), to.get(), to.length) == 0) {
        s.pinned = src;
        return;
      }
    }
    // Another source (or the bind failed): every address, from now on.
    if (s.pinned) {
      const SockAddr any = to_sockaddr(IpAddress::v4(0));
      ::bind(fd(f), any.get(), any.length);
      s.pinned.reset();
    }
    s.many_sources = true;
  }

  // The source to pin (and, for IPv4, to checksum over) and the interface of `t`, looked up
  // as connect() would (bind_if, bindto, the route) and remembered kRouteTtl. IPv6 without
  // bindto needs no lookup: the kernel picks the source and fills the checksum in.
  Result<Route, std::string> route(const TcpTarget& t, TimePoint now, bool fresh) {
    const bool v4 = t.address.is_v4();
    if (!v4 && !t.bindto && t.bind_if.empty()) return Route{};
    const bool plain = !t.bindto && t.bind_if.empty();
    if (!fresh) {
      if (plain) {
        if (const Route* known = plain_routes.find(t.address); known && known->until > now) return *known;
      } else if (auto it = routes.find(RouteKey{t.address, t.bind_if, t.bindto});
                 it != routes.end() && it->second.until > now) {
        return it->second;
      }
    }
    Route r;
    r.until = now + kRouteTtl;
    if (!t.bind_if.empty()) {
      r.ifindex = static_cast<int>(::if_nametoindex(t.bind_if.c_str()));
      if (r.ifindex == 0) return unexpected(sys_error("SO_BINDTODEVICE"));
    }
    if (v4 || t.bindto) {
      // A plain lookup reuses one UDP socket; one with bind_if or bindto gets its own.
      int& shared = udp[side_of(t.address.family())];
      if (shared < 0 && t.bind_if.empty() && !t.bindto) shared = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      auto src = route_source(shared, t.address, t.port, t.bind_if, t.bindto);
      if (!src) return unexpected(src.error());
      r.src = *src;
    }
    if (plain) {
      plain_routes.put(t.address, r, [now](const Route& known) { return known.until > now; });
      return r;
    }
    RouteKey key{t.address, t.bind_if, t.bindto};
    if (routes.size() >= 2 * routes_pruned_at + 1024) {  // now and then, forget the expired
      std::erase_if(routes, [now](const auto& kv) { return kv.second.until <= now; });
      routes_pruned_at = routes.size();
    }
    routes.insert_or_assign(std::move(key), r);
    return r;
  }

  // --- probes ----------------------------------------------------------------------------

  std::optional<std::uint16_t> free_port(Side& s, const Flow& flow) {
    Flow f = flow;
    for (std::size_t i = 0; i < s.ports.size(); ++i) {
      const std::size_t at = (s.next_port + i) % s.ports.size();
      f.src_port = s.ports[at];
      if (!flows.contains(f)) {
        s.next_port = at + 1;  // round robin: the same port again only after the others
        return f.src_port;
      }
    }
    return std::nullopt;
  }

  // Encodes p's SYN for its source (IPv4's checksum) and sends it: 0 or the errno.
  int send_first(Probe& p) {
    const std::optional<syn::PseudoHeader> ph =
        p.family == Family::v4 ? std::optional(syn::PseudoHeader{*p.src, p.flow.addr}) : std::nullopt;
    p.syn = syn::encode_syn({.src_port = p.flow.src_port, .dst_port = p.flow.port, .seq = p.iss}, ph);
    return send_segment(fd(p.family), p.family, p.to, p.syn, p.src, p.ifindex);
  }

  Started start(std::uint64_t token, const TcpTarget& t, TimePoint deadline, ProbeDone& done, ProbeOutcome& failure) {
    const Family family = t.address.family();
    Side& s = side(family);
    Probe p;
    p.family = family;
    p.flow = {t.address, t.port, 0};
    const auto port = free_port(s, p.flow);
    if (!port) return Started::declined;
    p.flow.src_port = *port;
    const TimePoint now = clock.now();
    auto fail = [&](std::string why) {
      failure = {false, std::nullopt, std::move(why)};
      return Started::failed;
    };
    auto r = route(t, now, false);
    if (!r) return fail(r.error());
    p.src = r->src;
    p.ifindex = r->ifindex;
    pin_source(t.address.family(), p.src);
    p.to = to_sockaddr(t.address, p.ifindex, 0);  // port 0: raw sockets take no port
    p.iss = static_cast<std::uint32_t>(rng());
    int err = send_first(p);
    if (err != 0 && !lost_in_transit(err) && p.src) {
      // Maybe the remembered source is no longer ours (a VIP that moved away): look again;
      // the lookup fails as connect() would if that is why.
      r = route(t, now, true);
      if (!r) return fail(r.error());
      p.src = r->src;
      pin_source(t.address.family(), p.src);
      err = send_first(p);
    }
    if (err != 0 && !lost_in_transit(err)) return fail(connect_error(err));
    p.deadline = deadline;
    p.next_syn = now + kFirstRetransmit;
    p.due = std::min(p.next_syn, deadline);
    p.done = std::move(done);
    flows.emplace(p.flow, token);
    const TimePoint due = p.due;
    probes.emplace(token, std::move(p));
    schedule(token, due);
    return Started::probing;
  }

  // Ends a probe and tells its owner (who may start or cancel others, or destroy us).
  void finish(std::uint64_t token, ProbeOutcome outcome) {
    auto it = probes.find(token);
    if (it == probes.end()) return;
    ProbeDone done = std::move(it->second.done);
    flows.erase(it->second.flow);
    probes.erase(it);
    if (urgent) urgent->poll();
    if (done) done(std::move(outcome));
  }

  void cancel(std::uint64_t token) {
    auto it = probes.find(token);
    if (it == probes.end()) return;
    flows.erase(it->second.flow);
    probes.erase(it);  // its heap entry is skipped when it comes up
  }

  // --- time ------------------------------------------------------------------------------
  // One timer for every probe: it waits for the earliest live entry of the heap. Entries of
  // probes that ended are not removed; they are skipped (and popped) when they come to the
  // top, so a probe answered at once costs a heap push and a pop, and no wake-up.

  bool live(const Due& d) const {
    auto it = probes.find(d.second);
    return it != probes.end() && it->second.due == d.first;
  }

  void schedule(std::uint64_t token, TimePoint at) {
    heap.emplace(at, token);
    if (at < armed) arm(at);
  }

  void arm(TimePoint at) {
    armed = at;
    timer.expires_at(to_steady(at));
    timer.async_wait([this, alive = std::weak_ptr<bool>(alive)](const boost::system::error_code& ec) {
      if (ec || !alive.lock()) return;
      on_timer();
    });
  }

  void rearm() {
    while (!heap.empty() && !live(heap.top())) heap.pop();
    if (!heap.empty() && heap.top().first < armed) arm(heap.top().first);
  }

  void on_timer() {
    armed = TimePoint::max();
    const auto guard = alive;
    const TimePoint now = clock.now();
    while (!heap.empty() && heap.top().first <= now) {
      const Due d = heap.top();
      heap.pop();
      auto it = probes.find(d.second);
      if (it == probes.end() || it->second.due != d.first) continue;
      Probe& p = it->second;
      if (d.first >= p.deadline) {
        finish(d.second, {false, std::nullopt, "timeout"});
        if (!*guard) return;
        continue;
      }
      // connect()'s retransmission: the same SYN; a failure now is a lost SYN.
      send_segment(fd(p.family), p.family, p.to, p.syn, p.src, p.ifindex);
      p.gap *= 2;
      p.next_syn += p.gap;
      p.due = std::min(p.next_syn, p.deadline);
      heap.emplace(p.due, d.second);
    }
    rearm();
  }

  // --- replies ---------------------------------------------------------------------------

  void wait(Family f) {
    side(f).raw->async_wait(asio::posix::descriptor_base::wait_read,
                            [this, f, alive = std::weak_ptr<bool>(alive)](const boost::system::error_code& ec) {
                              if (ec || !alive.lock()) return;
                              read(f);
                            });
  }

  // Up to kBatch segments per recvmmsg and kMaxBatchesPerWake calls; fewer than asked means
  // the queue is empty, and the next segment wakes the loop again.
  void read(Family f) {
    const auto guard = alive;
    Rx& r = *rx;
    for (int b = 0; b < kMaxBatchesPerWake; ++b) {
      r.reset(kBatch);
      const int n = ::recvmmsg(fd(f), r.msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return wait(f);
        // An ICMP error was reported on the socket (sk_err, read once): its details are on
        // the error queue.
        read_errors(f);
        if (!*guard) return;
        continue;
      }
      for (int i = 0; i < n; ++i) {
        on_segment(f, i);
        if (!*guard) return;
      }
      if (static_cast<std::size_t>(n) < kBatch) return wait(f);
    }
    asio::post(io, [this, f, alive = std::weak_ptr<bool>(alive)] {
      if (alive.lock()) read(f);
    });
  }

  void on_segment(Family f, int i) {
    const Rx& r = *rx;
    const auto len = std::min<std::size_t>(r.msgs[i].msg_len, kRxSize);
    const auto seg = syn::parse_segment(std::span(r.data[i]).first(len),
                                        f == Family::v4 ? syn::Framing::ipv4 : syn::Framing::tcp);
    if (!seg) return;  // not for us (the filter lets through only what could be)
    const std::optional<IpAddress> from = f == Family::v4 ? seg->src : from_sockaddr(r.names[i]);
    if (!from) return;
    const auto flow = flows.find({*from, seg->src_port, seg->dst_port});
    if (flow == flows.end()) return;  // late: that probe has ended
    const std::uint64_t token = flow->second;
    switch (syn::answer_to(*seg, probes.at(token).iss)) {
      case syn::Answer::none: return;  // an earlier probe's, from the same port
      case syn::Answer::up: return finish(token, {true, std::nullopt, {}});
      case syn::Answer::refused: return finish(token, {false, std::nullopt, connect_error(ECONNREFUSED)});
    }
  }

  // ICMP errors about segments we sent (and others' TCP: a raw socket hears them all).
  void read_errors(Family f) {
    const auto guard = alive;
    for (int k = 0; k < 64; ++k) {
      std::array<std::byte, 128> data;
      alignas(cmsghdr) std::array<std::byte, 512> control;
      sockaddr_storage name{};
      iovec iov{data.data(), data.size()};
      msghdr m{};
      m.msg_name = &name;
      m.msg_namelen = sizeof name;
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      m.msg_control = control.data();
      m.msg_controllen = control.size();
      const ssize_t n = ::recvmsg(fd(f), &m, MSG_ERRQUEUE | MSG_DONTWAIT);
      if (n < 0) return;
      std::optional<sock_extended_err> ee;
      for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
            (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
          ee.emplace();
          std::memcpy(&*ee, CMSG_DATA(c), sizeof *ee);
        }
      }
      if (!ee || (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6)) continue;
      if (ee->ee_errno == 0 || ee->ee_errno == EMSGSIZE) continue;  // path MTU: not for a SYN
      const auto dst = from_sockaddr(name);  // the quoted segment's destination
      const auto q = syn::parse_quoted(std::span(data).first(static_cast<std::size_t>(n)));
      if (!dst || !q) continue;
      const auto flow = flows.find({*dst, q->dst_port, q->src_port});
      if (flow == flows.end() || probes.at(flow->second).iss != q->seq) continue;
      finish(flow->second, {false, std::nullopt, connect_error(static_cast<int>(ee->ee_errno))});
      if (!*guard) return;
    }
  }
};

Result<std::unique_ptr<SynProber>, std::string> SynProber::open(asio::io_context& io) {
  auto impl = std::make_unique<Impl>(io);
  for (const Family f : {Family::v4, Family::v6}) {
    auto s = SynSocket::open(f, kPorts);
    Impl::Side& side = impl->side(f);
    if (!s) {
      side.unavailable = s.error();
      continue;
    }
    side.ports = s->ports();
    side.raw = std::make_unique<asio::posix::stream_descriptor>(io, s->release_fd());
    side.sockets.emplace(std::move(*s));
  }
  if (!impl->sides[0].raw && !impl->sides[1].raw) return unexpected(impl->sides[0].unavailable);
  for (const Family f : {Family::v4, Family::v6})
    if (impl->side(f).raw) impl->wait(f);
  return std::unique_ptr<SynProber>(new SynProber(std::move(impl)));
}

SynProber::SynProber(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SynProber::~SynProber() = default;

const std::string& SynProber::unavailable(Family f) const { return impl_->side(f).unavailable; }

bool SynProber::eligible(const TcpTarget& t) const {
  return impl_->side(t.address.family()).raw && t.fwmark == 0 && t.bind_port == 0;
}

SynProber::Started SynProber::start(std::uint64_t token, const TcpTarget& t, TimePoint deadline, ProbeDone& done,
                                    ProbeOutcome& failure) {
  return impl_->start(token, t, deadline, done, failure);
}

void SynProber::cancel(std::uint64_t token) { impl_->cancel(token); }
std::size_t SynProber::in_flight() const { return impl_->probes.size(); }
void SynProber::set_urgent(Urgent* urgent) { impl_->urgent = urgent; }

}  // namespace vigil::checkers::io
