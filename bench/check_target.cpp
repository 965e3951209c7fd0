// Helpers for bench/checker_bench.sh (built by it with g++; not part of the project build):
//   check_target serve TCP_PORT HTTP_PORT
//       one epoll thread: a listener on 0.0.0.0:TCP_PORT that accepts and closes (TCP_CHECK's
//       real servers: every 127.x.y.z address is local, so one socket serves 10,000 of
//       them), and one on 0.0.0.0:HTTP_PORT that reads a request up to its blank line and
//       answers "200 OK" with a 2-byte body, then closes (HTTP_GET's). Every second it prints
//       "<monotonic s> <tcp accepts> <http answers>" (totals since start) and flushes. It polls
//       every millisecond rather than sleeping in epoll_wait (see serve()).
//   check_target adverts IFNAME SECONDS INTERVAL_MS
//       a raw IP-protocol-112 socket, member of 224.0.0.18 on IFNAME (else the kernel drops
//       the adverts before raw delivery): the kernel receive time (SO_TIMESTAMPNS) of every
//       VRRP advert heard for SECONDS, then "adverts N interval_ms p50 p99 max |dev|_us p50 p99
//       p999 max", the deviation being |interval - INTERVAL_MS|.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "serve" && argc == 4) return serve(std::atoi(argv[2]), std::atoi(argv[3]));
  if (mode == "adverts" && argc == 5) return adverts(argv[2], std::atof(argv[3]), std::atof(argv[4]));
  std::fprintf(stderr, "usage: check_target serve TCP_PORT HTTP_PORT | adverts IFNAME SECONDS INTERVAL_MS\n");
  return 2;
}
