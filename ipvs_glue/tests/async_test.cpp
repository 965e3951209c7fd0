// AsyncNetlinkIpvs on an io_context, no root: over a socketpair whose other end is a
// scripted kernel (fake_peer.hpp) served on the same loop, and over the host kernel's real
// generic netlink controller to provoke ENOBUFS. The loop never blocks: every wait is an
// async_wait, every deadline a timer.
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <gtest/gtest.h>

#include "fake_peer.hpp"
#include "ipvs_glue/io/async_netlink_ipvs.hpp"
#include "test_util.hpp"

namespace vigil::ipvs {
namespace {
using namespace std::chrono_literals;
using test::dest;
using test::FakePeer;
using test::tcp;

// The kernel's end of the socketpair, on the loop: reads each request datagram and writes
// the peer's answers, one datagram each.
class PeerEnd {
 public:
  PeerEnd(boost::asio::io_context& io, int fd, FakePeer& peer) : fd_(io, fd), peer_(peer) { read(); }

 private:
  void read() {
    fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
      if (ec) return;
      std::vector<std::byte> buf(1 << 17);
      const ssize_t n = ::recv(fd_.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT);
      if (n <= 0) return;
      buf.resize(static_cast<std::size_t>(n));
      for (const auto& d : peer_.handle(buf)) (void)::send(fd_.native_handle(), d.data(), d.size(), 0);
      read();
    });
  }
  boost::asio::posix::stream_descriptor fd_;
  FakePeer& peer_;
};

class AsyncIpvs : public ::testing::Test {
 protected:
  void SetUp() override {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    int big = 1 << 20;
    ::setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    ::setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    codec::Session s;
    s.family = FakePeer::kFamily;
    client_ = std::make_unique<AsyncNetlinkIpvs>(io_, sv[0], s, 100ms);
    end_ = std::make_unique<PeerEnd>(io_, sv[1], peer_);
  }
  // Runs the loop until the client has nothing left to do (or 5 s passed).
  void run() {
    io_.restart();
    const auto end = std::chrono::steady_clock::now() + 5s;
    do io_.run_one_for(20ms);
    while (client_->queued() > 0 && std::chrono::steady_clock::now() < end);
    io_.poll();
  }

  boost::asio::io_context io_;
  FakePeer peer_;
  std::unique_ptr<AsyncNetlinkIpvs> client_;
  std::unique_ptr<PeerEnd> end_;
};

IpvsTable table(std::size_t services, std::size_t dests) {
  IpvsTable t;
  for (std::size_t i = 0; i < services; ++i) {
    Service s = tcp("10.0.0." + std::to_string(i + 1), 80, "wlc");
    for (std::size_t j = 0; j < dests; ++j) s.dests.push_back(dest("172.16.0." + std::to_string(j + 1), 8080));
    t.services.push_back(s);
  }
  return t;
}

TEST_F(AsyncIpvs, DumpsAMultipartTableWithAnInterruptedPass) {
  peer_.table = table(4, 3);
  peer_.entries_per_datagram = 2;
  peer_.interrupt_service_dumps = 1;
  std::optional<Result<IpvsTable, IpvsError>> got;
  client_->async_dump([&](Result<IpvsTable, IpvsError> t) { got = std::move(t); });
  EXPECT_FALSE(got);  // nothing runs inside the call
  run();
  ASSERT_TRUE(got);
  ASSERT_TRUE(*got) << (*got).error().message;
  ASSERT_EQ((*got)->services.size(), 4u);
  for (const auto& s : (*got)->services) EXPECT_EQ(s.dests.size(), 3u);
  EXPECT_EQ(client_->counters().interrupted, 1u);
  EXPECT_EQ(client_->requests(), 6u);  // services twice, then 4 destination dumps
}

TEST_F(AsyncIpvs, AppliesAPipelinedBatchWithAnErrorInTheMiddle) {
  peer_.write_error = [](std::size_t n) { return n == 50 ? EEXIST : 0; };
  const auto ops = plan({}, table(10, 9), {}).ops;  // 100 writes, one window
  std::optional<Result<ApplyReport, IpvsError>> got;
  client_->async_apply(ops, [&](Result<ApplyReport, IpvsError> r) { got = std::move(r); });
  run();
  ASSERT_TRUE(got && *got);
  ASSERT_EQ((*got)->failures.size(), 1u);
  EXPECT_EQ((*got)->failures[0].index, 50u);
  EXPECT_EQ(peer_.writes, 100u);  // the others proceeded
  EXPECT_EQ(client_->counters().sends, 1u);
  EXPECT_EQ(client_->counters().datagrams, 2u);  // the error and the window's ACK
}

TEST_F(AsyncIpvs, OperationsRunInTurnInTheOrderAsked) {
  peer_.table = table(2, 1);
  std::vector<std::string> order;
  client_->async_dump([&](auto) { order.push_back("dump"); });
  client_->async_apply(plan({}, table(1, 1), {}).ops, [&](auto) { order.push_back("apply"); });
  client_->async_dump([&](auto) {
    order.push_back("dump2");
    client_->async_dump([&](auto) { order.push_back("dump3"); });  // from a handler
  });
  run();
  EXPECT_EQ(order, (std::vector<std::string>{"dump", "apply", "dump2", "dump3"}));
}

TEST_F(AsyncIpvs, ATimeoutFailsTheOperationAndTheNextOneWorks) {
  peer_.silent = true;
  std::optional<Result<ApplyReport, IpvsError>> first;
  std::optional<Result<IpvsTable, IpvsError>> second;
  client_->async_apply(plan({}, table(1, 2), {}).ops, [&](auto r) {
    first = std::move(r);
    peer_.silent = false;
    client_->async_dump([&](auto t) { second = std::move(t); });
  });
  const auto t0 = std::chrono::steady_clock::now();
  run();
  ASSERT_TRUE(first);
  ASSERT_FALSE(*first);
  EXPECT_EQ((*first).error().kind, IpvsError::Kind::timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 100ms);
  ASSERT_TRUE(second && *second);
}

// A transaction of many requests whose replies cannot all fit in the receive buffer.
class FloodTxn final : public codec::Transaction {
 public:
  explicit FloodTxn(codec::Session& s) : Transaction(s) {}

 private:
  void next() override {
    if (sent_) return;
    sent_ = true;
    for (int i = 0; i < 200; ++i)
      add([](nl::Writer& w, const codec::Request& r) {
            w.bytes(genl::encode_get_family(r.seq, "nlctrl"));
            return Kind::ack;
          },
          static_cast<std::size_t>(i), false);
  }
  void on_outcome(std::size_t, Outcome&&) override {
    if (++answered_ == 200) finish();
  }
  bool sent_{false};
  int answered_{0};
};

TEST(AsyncNetlink, ENOBUFSFromTheRealKernelFailsTheOperation) {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
  if (fd < 0) GTEST_SKIP() << "no NETLINK_GENERIC socket here";
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel), 0);
  boost::asio::io_context io;
  codec::Session s;
  s.family = genl::kGenlIdCtrl;
  AsyncNetlinkIpvs client(io, fd, s, 2s);
  std::optional<IpvsError> error;
  bool completed = false;
  client.async_run(std::make_unique<FloodTxn>(s), [&](codec::Transaction& t) {
    completed = true;
    if (t.error()) error = *t.error();
  });
  io.run_for(5s);
  ASSERT_TRUE(completed);
  ASSERT_TRUE(error) << "200 family replies fit in a 4 KiB receive buffer?";
  EXPECT_EQ(error->kind, IpvsError::Kind::io);
  EXPECT_EQ(error->err, ENOBUFS) << error->message;
}

}  // namespace
}  // namespace vigil::ipvs
