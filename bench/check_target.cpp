// Helpers for bench/checker_bench.sh (built by it with g++; not part of the project build):
//   check_target serve TCP_PORT HTTP_PORT
//       one epoll thread: a listener on 0.0.0.0:TCP_PORT that accepts and closes (TCP_CHECK's
//       real servers: every 127.x.y.z address is local, so one socket serves 10,000 of
//       them), and one on 0.0.0.0:HTTP_PORT that reads a request up to its blank line and
//       answers "200 OK" with a 2-byte body, then closes (HTTP_GET's). Every second it prints
//       "<monotonic s> <tcp accepts> <http answers>" (totals since start) and flushes. It polls
//       every millisecond rather than sleeping in epoll_wait (see serve()).
//   check_target synfloor N
//       the least a half-open TCP check can cost, for comparison: N SYNs a second to the
//       bench's TCP real servers (127.1.i.j:8001, as bench/checker_bench.sh generates them),
//       sent with sendmmsg every 20 ms (vigil's tick), their SYN-ACKs read with recvmmsg from
//       a raw socket bound to the source (which receives nothing else), our kernel resetting
//       each. No timers per probe, no retries, no bookkeeping: the kernel's work and the
//       fewest system calls. Runs until killed.
//   check_target adverts IFNAME SECONDS INTERVAL_MS
//       a raw IP-protocol-112 socket, member of 224.0.0.18 on IFNAME (else the kernel drops
//       the adverts before raw delivery): the kernel receive time (SO_TIMESTAMPNS) of every
//       VRRP advert heard for SECONDS, then "adverts N interval_ms p50 p99 max |dev|_us p50 p99
//       p999 max", the deviation being |interval - INTERVAL_MS|.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

double mono() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int listen_on(int port) {
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(s, 65535) < 0) {
    std::perror("bind/listen");
    std::exit(1);
  }
  return s;
}

// Close with RST-free FIN; linger off. TIME_WAIT falls on whichever side closes first.
int serve(int tcp_port, int http_port) {
  const int ltcp = listen_on(tcp_port), lhttp = listen_on(http_port);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = ltcp;
  epoll_ctl(ep, EPOLL_CTL_ADD, ltcp, &ev);
  ev.data.fd = lhttp;
  epoll_ctl(ep, EPOLL_CTL_ADD, lhttp, &ev);
  std::unordered_map<int, std::string> pending;  // HTTP connections: what they sent so far
  unsigned long long tcp_n = 0, http_n = 0;
  double next_print = mono() + 1;
  static const char kReply[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  std::vector<epoll_event> evs(256);
  char buf[4096];
  for (;;) {
    // Polled, never slept on: a process asleep on a socket is woken from the sender's softirq,
    // i.e. in the checker's time (an IPI in a VM). A remote real server's wake-ups are not
    // the checker's cost, so the target leaves none; it looks every millisecond instead.
    const timespec tick{0, 1000000};
    nanosleep(&tick, nullptr);
    const int n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 0);
    for (int i = 0; i < n; ++i) {
      const int fd = evs[i].data.fd;
      if (fd == ltcp) {
        for (;;) {
          const int c = accept4(ltcp, nullptr, nullptr, SOCK_CLOEXEC);
          if (c < 0) break;
          ++tcp_n;
          close(c);
        }
      } else if (fd == lhttp) {
        for (;;) {
          const int c = accept4(lhttp, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          epoll_event ce{};
          ce.events = EPOLLIN | EPOLLRDHUP;
          ce.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
          pending[c];
        }
      } else {
        auto& got = pending[fd];
        bool done = false, answer = false;
        for (;;) {
          const ssize_t r = read(fd, buf, sizeof buf);
          if (r > 0) {
            got.append(buf, static_cast<std::size_t>(r));
            if (got.find("\r\n\r\n") != std::string::npos) {
              answer = done = true;
              break;
            }
            continue;
          }
          if (r == 0 || errno != EAGAIN) done = true;
          break;
        }
        if (answer) {
          [[maybe_unused]] const auto w = write(fd, kReply, sizeof kReply - 1);
          ++http_n;
        }
        if (done) {
          epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
          close(fd);
          pending.erase(fd);
        }
      }
    }
    const double t = mono();
    if (t >= next_print) {
      std::printf("%.3f %llu %llu\n", t, tcp_n, http_n);
      std::fflush(stdout);
      next_print += 1;
      if (next_print < t) next_print = t + 1;
    }
  }
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

int adverts(const char* ifname, double seconds, double interval_ms) {
  const int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, 112);
  if (s < 0) {
    std::perror("socket(112)");
    return 1;
  }
  ip_mreqn m{};
  m.imr_multiaddr.s_addr = inet_addr("224.0.0.18");
  m.imr_ifindex = static_cast<int>(if_nametoindex(ifname));
  if (setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) < 0) {
    std::perror("IP_ADD_MEMBERSHIP");
    return 1;
  }
  const int one = 1;
  setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  timeval tv{0, 200000};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::vector<double> at;
  const double end = mono() + seconds;
  char pkt[2048], ctl[256];
  while (mono() < end) {
    iovec io{pkt, sizeof pkt};
    msghdr m{};
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = ctl;
    m.msg_controllen = sizeof ctl;
    if (recvmsg(s, &m, 0) < 0) continue;
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        at.push_back(static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9);
      }
  }
  std::vector<double> iv, dev;
  for (std::size_t i = 1; i < at.size(); ++i) {
    iv.push_back((at[i] - at[i - 1]) * 1e3);
    dev.push_back(std::fabs(iv.back() - interval_ms) * 1e3);
  }
  std::printf("adverts %zu interval_ms %.3f %.3f %.3f |dev|_us %.0f %.0f %.0f %.0f\n", at.size(), pct(iv, 50),
              pct(iv, 99), iv.empty() ? NAN : *std::max_element(iv.begin(), iv.end()), pct(dev, 50), pct(dev, 99),
              pct(dev, 99.9), dev.empty() ? NAN : *std::max_element(dev.begin(), dev.end()));
  return 0;
}

std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

int synfloor(int n) {
  const int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
  sockaddr_in me{};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&me), sizeof me) < 0) {
    std::perror("raw socket");
    return 1;
  }
  constexpr std::size_t kMax = 1024;  // SYNs per tick
  constexpr double kTick = 0.02;
  std::vector<std::array<unsigned char, 20>> segs(kMax);
  std::vector<sockaddr_in> to(kMax);
  std::vector<iovec> iov(kMax);
  std::vector<mmsghdr> out(kMax);
  std::array<std::array<unsigned char, 128>, 64> rx{};
  std::array<iovec, 64> riov{};
  std::array<mmsghdr, 64> in{};
  for (std::size_t i = 0; i < in.size(); ++i) {
    riov[i] = {rx[i].data(), rx[i].size()};
    in[i].msg_hdr.msg_iov = &riov[i];
    in[i].msg_hdr.msg_iovlen = 1;
  }
  std::uint32_t next = 0, sport = 0, iss = 1;
  unsigned long long answered = 0;
  double owed = 0, t = mono(), next_print = t + 1;
  for (;;) {
    if (t >= next_print) {
      std::printf("%.3f answered %llu\n", t, answered);
      std::fflush(stdout);
      next_print += 1;
    }
    owed += n * kTick;
    const auto k = std::min<std::size_t>(kMax, static_cast<std::size_t>(owed));
    owed -= static_cast<double>(k);
    for (std::size_t i = 0; i < k; ++i, next = (next + 1) % static_cast<std::uint32_t>(n)) {
      const std::uint32_t dst = (127u << 24) | (1u << 16) | ((next / 100) << 8) | (next % 100 + 1);
      const std::uint16_t src_port = static_cast<std::uint16_t>(20000 + sport++ % 40000);
      auto& h = segs[i];
      h.fill(0);
      h[0] = static_cast<unsigned char>(src_port >> 8), h[1] = static_cast<unsigned char>(src_port);
      h[2] = 8001 >> 8, h[3] = 8001 & 0xff;
      const std::uint32_t seq = iss++ * 7919u;
      h[4] = seq >> 24, h[5] = (seq >> 16) & 0xff, h[6] = (seq >> 8) & 0xff, h[7] = seq & 0xff;
      h[12] = 5 << 4, h[13] = 0x02, h[14] = 0xff, h[15] = 0xff;  // SYN, window 65535
      std::uint32_t sum = 0x7f00 + 0x0001 + (dst >> 16) + (dst & 0xffff) + IPPROTO_TCP + 20;
      for (std::size_t b = 0; b < 20; b += 2) sum += (h[b] << 8) | h[b + 1];
      const std::uint16_t c = fold(sum);
      h[16] = c >> 8, h[17] = c & 0xff;
      to[i] = {};
      to[i].sin_family = AF_INET;
      to[i].sin_addr.s_addr = htonl(dst);
      iov[i] = {h.data(), h.size()};
      out[i] = {};
      out[i].msg_hdr.msg_name = &to[i];
      out[i].msg_hdr.msg_namelen = sizeof to[i];
      out[i].msg_hdr.msg_iov = &iov[i];
      out[i].msg_hdr.msg_iovlen = 1;
    }
    for (std::size_t done = 0; done < k;) {
      const int r = sendmmsg(s, out.data() + done, static_cast<unsigned>(k - done), 0);
      if (r <= 0) break;
      done += static_cast<std::size_t>(r);
    }
    for (;;) {
      const int r = recvmmsg(s, in.data(), in.size(), MSG_DONTWAIT, nullptr);
      if (r <= 0) break;
      for (int i = 0; i < r; ++i) {
        const auto* p = rx[static_cast<std::size_t>(i)].data();
        const std::size_t ihl = (p[0] & 0x0f) * 4u;
        if (in[static_cast<std::size_t>(i)].msg_len >= ihl + 14 && (p[ihl + 13] & 0x12) == 0x12) ++answered;
      }
    }
    t += kTick;
    const double left = t - mono();
    if (left > 0) {
      const timespec ts{0, static_cast<long>(left * 1e9)};
      nanosleep(&ts, nullptr);
    } else {
      t = mono();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "serve" && argc == 4) return serve(std::atoi(argv[2]), std::atoi(argv[3]));
  if (mode == "synfloor" && argc == 3) return synfloor(std::atoi(argv[2]));
  if (mode == "adverts" && argc == 5) return adverts(argv[2], std::atof(argv[3]), std::atof(argv[4]));
  std::fprintf(stderr, "usage: check_target serve TCP_PORT HTTP_PORT | synfloor N | adverts IFNAME SECONDS INTERVAL_MS\n");
  return 2;
}
