// Helpers for bench/vrrp_failover.sh (built by it with g++; not part of the project build):
//   vrrp_probe serve NAME PORT            UDP responder: answers every datagram with NAME
//   vrrp_probe probe VIP PORT INTERVAL_US client: a datagram every INTERVAL_US; prints
//                                         "<realtime s> <NAME>" whenever the answering node
//                                         changes (the arrival time of its first answer), and
//                                         "<realtime s> adv <source> <priority>" for every
//                                         VRRP advert it hears (IP protocol 112)
//   vrrp_probe addrwatch PREFIX COUNT     netlink: prints "<realtime s> <n>" when the n-th
//                                         new address starting with PREFIX appears, for n =
//                                         1 and n = COUNT (then keeps counting, prints each
//                                         COUNT reached again after a reset line on stdin)
// Times are CLOCK_REALTIME, as Python's time.time() in the harness.
#include <arpa/inet.h>
#include <csignal>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

static double now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

static std::int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

static int serve(const char* name, int port) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) return perror("bind"), 1;
  char buf[256];
  const std::size_t n = strlen(name);
  for (;;) {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const ssize_t got = recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (got < 0) continue;
    sendto(s, name, n, 0, reinterpret_cast<sockaddr*>(&from), len);
  }
}

static int probe(const char* vip, int port, int interval_us) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int v = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, 112);  // adverts, to know their phase
  ip_mreqn m{};
  inet_pton(AF_INET, "224.0.0.18", &m.imr_multiaddr);
  m.imr_ifindex = static_cast<int>(if_nametoindex("eth0"));
  if (setsockopt(v, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) < 0) perror("IP_ADD_MEMBERSHIP");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, vip, &a.sin_addr);
  std::string last;
  std::int64_t next = mono_ns();
  const std::int64_t step = static_cast<std::int64_t>(interval_us) * 1000;
  char buf[256];
  for (;;) {
    const std::int64_t t = mono_ns();
    if (t >= next) {
      sendto(s, "p", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
      next += step;
      if (next < t) next = t + step;
    }
    // Wait for an answer until the next send is due.
    std::int64_t left = next - mono_ns();
    if (left < 0) left = 0;
    const timespec ts{static_cast<time_t>(left / 1000000000), static_cast<long>(left % 1000000000)};
    pollfd p[2] = {{s, POLLIN, 0}, {v, POLLIN, 0}};
    ppoll(p, v >= 0 ? 2 : 1, &ts, nullptr);
    for (;;) {
      unsigned char pkt[1500];
      const ssize_t got = v >= 0 ? recv(v, pkt, sizeof pkt, 0) : -1;
      if (got < 28) break;
      const std::size_t ihl = (pkt[0] & 0x0f) * 4u;
      if (static_cast<std::size_t>(got) < ihl + 4) continue;
      char src[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, pkt + 12, src, sizeof src);
      printf("%.6f adv %s %u\n", now(), src, pkt[ihl + 2]);
      fflush(stdout);
    }
    for (;;) {
      const ssize_t got = recv(s, buf, sizeof buf - 1, 0);
      if (got <= 0) break;
      buf[got] = 0;
      if (last != buf) {
        last = buf;
        printf("%.6f %s\n", now(), buf);
        fflush(stdout);
      }
    }
  }
}

static int addrwatch(const char* prefix, int count) {
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE);
  int size = 64 << 20;
  setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_IPV4_IFADDR;
  if (bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return perror("bind"), 1;
  printf("ready\n");
  fflush(stdout);
  int seen = 0;
  alignas(nlmsghdr) static char buf[1 << 16];
  for (;;) {
    pollfd p[2] = {{s, POLLIN, 0}, {0, POLLIN, 0}};
    poll(p, 2, -1);
    if (p[1].revents & (POLLIN | POLLHUP)) {
      char line[64];
      if (!fgets(line, sizeof line, stdin)) return 0;
      seen = 0;  // "reset": count again from zero
    }
    for (;;) {
      const ssize_t n = recv(s, buf, sizeof buf, 0);
      if (n < 0 && errno == ENOBUFS) {
        printf("overrun\n");
        fflush(stdout);
        continue;
      }
      if (n <= 0) break;
      const double t = now();
      int rest = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, rest); h = NLMSG_NEXT(h, rest)) {
        if (h->nlmsg_type != RTM_NEWADDR) continue;
        auto* ifa = static_cast<ifaddrmsg*>(NLMSG_DATA(h));
        int len = static_cast<int>(IFA_PAYLOAD(h));
        for (auto* rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
          if (rta->rta_type != IFA_LOCAL || ifa->ifa_family != AF_INET) continue;
          char text[INET_ADDRSTRLEN];
          inet_ntop(AF_INET, RTA_DATA(rta), text, sizeof text);
          if (strncmp(text, prefix, strlen(prefix)) != 0) continue;
          ++seen;
          if (seen == 1 || seen == count) {
            printf("%.6f %d\n", t, seen);
            fflush(stdout);
          }
        }
      }
    }
  }
}

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "serve" && argc == 4) return serve(argv[2], atoi(argv[3]));
  if (mode == "probe" && argc == 5) return probe(argv[2], atoi(argv[3]), atoi(argv[4]));
  if (mode == "addrwatch" && argc == 4) return addrwatch(argv[2], atoi(argv[3]));
  fprintf(stderr, "usage: vrrp_probe serve NAME PORT | probe VIP PORT INTERVAL_US | addrwatch PREFIX COUNT\n");
  return 2;
}
