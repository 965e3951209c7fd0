// NlVipInstaller against the kernel, in a network namespace of the test's own (root): queued
// adds go out in batches and each hears its own result; the synchronous calls that follow
// still match their acks. Each case runs in a forked child that unshares its network
// namespace, so nothing outside it changes.
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "vrrpd/tests/own_netns.hpp"

#include "vrrpd/io/nl_vip_installer.hpp"

namespace vigil::vrrp::io {
namespace {

Vip on_lo(const std::string& prefix, int ifindex = 1) {
  Vip v;
  v.address = *Prefix::parse(prefix);
  v.ifindex = ifindex;
  v.dev = ifindex == 1 ? "lo" : "if" + std::to_string(ifindex);
  return v;
}

// How many IPv4 addresses on the host begin with `prefix` ("10.99.").
int count_addresses(const std::string& prefix) {
  ifaddrs* all = nullptr;
  if (::getifaddrs(&all) != 0) return -1;
  int n = 0;
  for (auto* a = all; a; a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
    if (std::string(text).rfind(prefix, 0) == 0) ++n;
  }
  ::freeifaddrs(all);
  return n;
}

using test::in_own_netns;

TEST(NlVipInstaller, QueuedAddsGoInBatchesAndEachHearsItsResult) {
  in_own_netns([] {
    boost::asio::io_context io;
    auto nl = NlVipInstaller::open(io);
    CHECK(nl.has_value());
    auto& vips = **nl;
    constexpr int kN = 100;  // three full batches and a partial one
    int ok = 0, failed = 0;
    std::string error;
    for (int i = 0; i < kN; ++i)
      vips.add_queued(on_lo("10.99.0." + std::to_string(i + 1) + "/32"),
                      [&](Result<void, std::string> r) { r ? ++ok : ++failed; });
    // No such interface: the kernel says so, to this add alone.
    vips.add_queued(on_lo("10.99.1.1/32", 9999), [&](Result<void, std::string> r) {
      if (!r) error = r.error();
    });
    CHECK(ok == 96);  // the full batches went out as they filled
    io.run();         // the rest: flushed by the handler the first queued add posted
    CHECK(ok == kN);
    CHECK(failed == 0);
    CHECK(error == "add 10.99.1.1/32 dev if9999: No such device");
    CHECK(count_addresses("10.99.") == kN);
    // An address that is there already is what the caller wants.
    bool again = false;
    vips.add_queued(on_lo("10.99.0.1/32"), [&](Result<void, std::string> r) { again = r.has_value(); });
    vips.flush();
    CHECK(again);
    // The synchronous calls after the batches: their acks still match.
    auto removed = vips.remove(on_lo("10.99.0.1/32"));
    CHECK(removed.has_value() && *removed);
    CHECK(vips.add(on_lo("10.99.0.1/32")).has_value());
    CHECK(count_addresses("10.99.") == kN);
    return 0;
  });
}

// add() and remove() send what is queued first: a queued add and a remove of the same address
// reach the kernel in that order.
TEST(NlVipInstaller, ARemoveAfterAQueuedAddFindsTheAddressThere) {
  in_own_netns([] {
    boost::asio::io_context io;
    auto nl = NlVipInstaller::open(io);
    CHECK(nl.has_value());
    auto& vips = **nl;
    bool added = false;
    vips.add_queued(on_lo("10.99.2.1/32"), [&](Result<void, std::string> r) { added = r.has_value(); });
    CHECK(!added);
    auto removed = vips.remove(on_lo("10.99.2.1/32"));
    CHECK(added);
    CHECK(removed.has_value() && *removed);
    CHECK(count_addresses("10.99.") == 0);
    return 0;
  });
}

TEST(NlVipInstaller, EachRunOfRemovesGoesLastAddedFirstAndAddsKeepTheirPlace) {
  // add, remove (added 1), remove (added 3), remove (not ours), remove (added 2), add, remove (added 5)
  const std::vector<bool> is_remove{false, true, true, true, true, false, true};
  const std::vector<std::uint64_t> added{0, 1, 3, 0, 2, 0, 5};
  EXPECT_EQ(NlVipInstaller::send_order(is_remove, added), (std::vector<std::size_t>{0, 2, 4, 1, 3, 5, 6}));
  EXPECT_TRUE(NlVipInstaller::send_order({}, {}).empty());
}

// How many RTM_NEWADDR the kernel announces on `fd` (a socket in RTNLGRP_IPV4_IFADDR) now.
int count_newaddr(int fd) {
  alignas(nlmsghdr) std::uint8_t buf[65536];
  int n = 0;
  for (;;) {
    const ssize_t got = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (got <= 0) return n;
    int len = static_cast<int>(got);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
      n += h->nlmsg_type == RTM_NEWADDR;
  }
}

// Forty addresses of one subnet, with promote_secondaries: removed in the order they were
// added, one at a time, each removal of the subnet's first address promotes the next (the
// kernel announces it anew). Queued, the batch goes last-added first: the first address
// goes last in its batch, one promotion per batch (two batches of kBatch 32).
TEST(NlVipInstaller, QueuedRemovesOfOneSubnetPromoteOncePerBatchNotOncePerAddress) {
  in_own_netns([] {
    CHECK(std::system("sysctl -qw net.ipv4.conf.lo.promote_secondaries=1 && ip link set lo up") == 0);
    boost::asio::io_context io;
    auto nl = NlVipInstaller::open(io);
    CHECK(nl.has_value());
    auto& vips = **nl;
    const int mon = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    sockaddr_nl groups{};
    groups.nl_family = AF_NETLINK;
    groups.nl_groups = RTMGRP_IPV4_IFADDR;
    CHECK(mon >= 0 && ::bind(mon, reinterpret_cast<sockaddr*>(&groups), sizeof groups) == 0);
    constexpr int kN = 40;
    const auto vip = [](int i) { return on_lo("10.98.0." + std::to_string(i + 1) + "/16"); };
    for (int i = 0; i < kN; ++i) CHECK(vips.add(vip(i)).has_value());
    CHECK(count_addresses("10.98.") == kN);
    (void)count_newaddr(mon);
    int failed = 0;
    for (int i = 0; i < kN; ++i) vips.remove_queued(vip(i), [&](Result<void, std::string> r) { failed += !r; });
    io.run();
    CHECK(failed == 0);
    CHECK(count_addresses("10.98.") == 0);
    const int promoted = count_newaddr(mon);
    std::fprintf(stderr, "queued removes: %d promotions\n", promoted);
    CHECK(promoted <= 2);
    // The same, one at a time in the order added: a promotion each (the test can fail).
    for (int i = 0; i < kN; ++i) CHECK(vips.add(vip(i)).has_value());
    (void)count_newaddr(mon);
    for (int i = 0; i < kN; ++i) CHECK(vips.remove(vip(i)).has_value());
    const int one_by_one = count_newaddr(mon);
    std::fprintf(stderr, "removes one at a time: %d promotions\n", one_by_one);
    CHECK(one_by_one >= kN - 1);
    ::close(mon);
    return 0;
  });
}

}  // namespace
}  // namespace vigil::vrrp::io
