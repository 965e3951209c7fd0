// VrrpSocket against the kernel, in a network namespace of the test's own (root): what it
// reports of a message beyond the bytes (the kernel's arrival time), and input_waiting().
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "vrrpd/tests/own_netns.hpp"

#include "vrrpd/io/vrrp_socket.hpp"

namespace vigil::vrrp::io {
namespace {

using namespace std::chrono_literals;

using test::in_own_netns;

TimePoint steady_now() { return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now()); }

// A message read 30 ms after it came carries the time it came (SO_TIMESTAMPNS, moved onto
// the steady clock), not the time it was read; input_waiting() sees it before the read.
//
// The kernel turns receive stamps on for the first socket that asks through deferred work
// (net_enable_timestamp with jump labels): until that has run, a message is stamped when it
// is read. On a machine where no other socket asks for stamps (a fresh CI runner) the first
// message can arrive before then, so the test tries up to 10 messages: each must carry a
// time between its send and its read, one of them its arrival, and the two after it theirs.
TEST(VrrpSocket, AMessageCarriesItsArrivalTimeNotItsReadTime) {
  in_own_netns([] {
    CHECK(std::system("ip link set lo up") == 0);
    boost::asio::io_context io;
    SocketConfig c;
    c.ifname = "lo";
    c.ifindex = static_cast<int>(::if_nametoindex("lo"));
    auto s = VrrpSocket::open(io, c);
    if (!s) std::fprintf(stderr, "open: %s\n", s.error().c_str());
    CHECK(s.has_value());
    std::optional<RxPacket> got;
    (*s)->start(
        [&](const RxPacket& p) {
          got = p;
          io.stop();
        },
        [](RxDrop) {});
    io.poll();
    CHECK(!(*s)->input_waiting());

    const int tx = ::socket(AF_INET, SOCK_RAW, 112);
    CHECK(tx >= 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const unsigned char advert[8] = {0x21, 51, 100, 1, 0, 1, 0, 0};
    // One message, read 30 ms after it was sent: 1 on a failed check, 0 when it carries its
    // arrival, 2 when it carries a time between that and its read.
    const auto one = [&]() -> int {
      got.reset();
      const TimePoint sent = steady_now();
      CHECK(::sendto(tx, advert, sizeof advert, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) == sizeof advert);
      std::this_thread::sleep_for(30ms);
      CHECK((*s)->input_waiting());
      const TimePoint read_from = steady_now();
      io.restart();
      io.run_for(1s);
      const TimePoint read_by = steady_now();
      CHECK(got.has_value());
      CHECK(got->arrived.has_value());
      CHECK(*got->arrived >= sent - 1ms);  // the two clocks' offset is read to microseconds
      CHECK(*got->arrived <= read_by + 1ms);
      CHECK(!(*s)->input_waiting());
      return *got->arrived <= read_from - 20ms ? 0 : 2;
    };
    int tries = 0;
    int result = 2;
    while (result == 2 && tries < 10) {
      ++tries;
      result = one();
    }
    if (tries > 1) std::fprintf(stderr, "the arrival stamp came with message %d\n", tries);
    CHECK(result == 0);
    // From then on, every message carries its arrival.
    CHECK(one() == 0);
    CHECK(one() == 0);
    ::close(tx);
    return 0;
  });
}

}  // namespace
}  // namespace vigil::vrrp::io
