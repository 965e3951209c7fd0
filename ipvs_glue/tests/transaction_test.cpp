// The sans-IO transactions against a scripted peer (fake_peer.hpp): bytes out, datagrams in,
// no socket. Multi-part dumps, NLM_F_DUMP_INTR, windows, an error ACK in the middle of a
// pipelined batch, scheduler staging, failures from the driver (timeout, ENOBUFS).
#include <gtest/gtest.h>

#include <cerrno>

#include "fake_peer.hpp"
#include "ipvs_glue/codec/transaction.hpp"
#include "test_util.hpp"

namespace vigil::ipvs::codec {
namespace {
using test::dest;
using test::FakePeer;
using test::tcp;

// Runs t against the peer as a driver would; returns the number of sends.
std::size_t run(Transaction& t, FakePeer& peer) {
  std::size_t sends = 0;
  std::vector<std::vector<std::byte>> inbox;
  while (!t.done()) {
    auto out = t.take_output();
    if (t.done()) break;
    if (!out.empty()) {
      ++sends;
      for (auto& d : peer.handle(out)) inbox.push_back(std::move(d));
      continue;
    }
    if (inbox.empty()) {
      t.fail(IpvsError{IpvsError::Kind::timeout, ETIMEDOUT, "no reply"});
      break;
    }
    auto d = std::move(inbox.front());
    inbox.erase(inbox.begin());
    t.feed(d);
  }
  return sends;
}

IpvsTable table(std::size_t services, std::size_t dests) {
  IpvsTable t;
  for (std::size_t i = 0; i < services; ++i) {
    Service s = tcp("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1), 80, "wlc");
    for (std::size_t j = 0; j < dests; ++j) s.dests.push_back(dest("172.16.0." + std::to_string(j + 1), 8080, 1 + j));
    t.services.push_back(s);
  }
  return t;
}

std::vector<IpvsOp> adds(const IpvsTable& t) { return plan({}, t, {}).ops; }

Session session(std::size_t window = 256) {
  Session s;
  s.family = FakePeer::kFamily;
  s.limits.max_requests = window;
  return s;
}

TEST(Transaction, DumpsAMultipartTable) {
  FakePeer peer;
  peer.table = table(5, 3);
  peer.entries_per_datagram = 2;  // 3 datagrams of services, 2 per destination dump, DONEs
  Session s = session();
  DumpTableTxn t(s);
  EXPECT_EQ(run(t, peer), 6u);  // services, then one destination dump per service, in turn
  ASSERT_FALSE(t.error());
  ASSERT_EQ(t.table().services.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(t.table().services[i].key, peer.table.services[i].key);
    ASSERT_EQ(t.table().services[i].dests.size(), 3u);
    EXPECT_EQ(t.table().services[i].dests[2].weight, 3);
  }
  EXPECT_EQ(s.counters.requests, 6u);
  EXPECT_EQ(s.counters.writes, 0u);
}

TEST(Transaction, RedoesAnInterruptedDump) {
  FakePeer peer;
  peer.table = table(3, 2);
  peer.interrupt_service_dumps = 1;
  peer.interrupt_dest_dumps = 1;
  Session s = session();
  DumpTableTxn t(s);
  run(t, peer);
  ASSERT_FALSE(t.error());
  EXPECT_EQ(t.table().services.size(), 3u);  // not 6: the interrupted pass was dropped
  for (const auto& sv : t.table().services) EXPECT_EQ(sv.dests.size(), 2u);
  EXPECT_EQ(s.counters.interrupted, 2u);
  EXPECT_EQ(s.counters.requests, 6u);  // 1 + 1 redone + 3 + 1 redone
}

TEST(Transaction, GivesUpOnADumpInterruptedTooOften) {
  FakePeer peer;
  peer.table = table(1, 1);
  peer.interrupt_service_dumps = 100;
  Session s = session();
  DumpTableTxn t(s);
  run(t, peer);
  ASSERT_TRUE(t.error());
  EXPECT_EQ(t.error()->err, EAGAIN);
  EXPECT_EQ(peer.requests, 4u);  // the first try and dump_retries = 3 more
}

TEST(Transaction, PipelinesWritesInWindowsWithOneAckEach) {
  FakePeer peer;
  const auto ops = adds(table(30, 19));  // 600 writes
  Session s = session(256);
  ApplyTxn t(s, ops);
  EXPECT_EQ(run(t, peer), 3u);  // 256 + 256 + 88
  ASSERT_FALSE(t.error());
  EXPECT_TRUE(t.report().ok());
  EXPECT_EQ(t.report().writes, 600u);
  EXPECT_EQ(peer.writes, 600u);
  EXPECT_EQ(peer.datagrams, 3u);
  EXPECT_EQ(s.counters.sends, 3u);
  EXPECT_EQ(s.counters.datagrams, 3u);  // one ACK per window
}

TEST(Transaction, AWindowIsBoundedInBytesToo) {
  FakePeer peer;
  const auto ops = adds(table(10, 9));  // 100 writes of ~100 bytes
  Session s = session(256);
  s.limits.max_bytes = 2000;
  ApplyTxn t(s, ops);
  const auto sends = run(t, peer);
  EXPECT_GT(sends, 4u);
  EXPECT_TRUE(t.report().ok());
  EXPECT_EQ(peer.writes, 100u);
}

TEST(Transaction, AnErrorAckInTheMiddleFailsOnlyItsOwnOperation) {
  FakePeer peer;
  peer.write_error = [](std::size_t n) { return n == 4 ? EEXIST : n == 7 ? ENOENT : 0; };
  const auto ops = adds(table(2, 4));  // add svc, 4 dests, add svc, 4 dests
  Session s = session();
  s.limits.stage_schedulers = false;
  ApplyTxn t(s, ops);
  EXPECT_EQ(run(t, peer), 1u);  // one send; the rest proceed after the errors
  ASSERT_FALSE(t.error());
  ASSERT_EQ(t.report().failures.size(), 2u);
  EXPECT_EQ(t.report().failures[0].index, 4u);
  EXPECT_EQ(t.report().failures[0].err, EEXIST);
  EXPECT_EQ(t.report().failures[1].index, 7u);
  EXPECT_EQ(t.report().failures[1].err, ENOENT);
  EXPECT_EQ(peer.writes, 10u);
  EXPECT_EQ(s.counters.datagrams, 3u);  // two errors and the window's ACK
}

TEST(Transaction, StagesAnMhServiceAndBindsItsSchedulerOnce) {
  FakePeer peer;
  IpvsTable want;
  want.services.push_back(tcp("192.0.2.1", 80, "mh", {dest("10.0.0.1", 80), dest("10.0.0.2", 80), dest("10.0.0.3", 80)}));
  want.services.push_back(tcp("192.0.2.2", 80, "sh", {dest("10.0.0.1", 80)}));  // one dest: not staged
  Session s = session();
  const auto ops = adds(want);
  ApplyTxn t(s, ops);
  run(t, peer);
  ASSERT_FALSE(t.error());
  EXPECT_EQ(t.staged(), 1u);
  EXPECT_EQ(t.report().writes, ops.size() + 1);
  // NEW_SERVICE (as "none"), 3 NEW_DEST, SET_SERVICE (mh), NEW_SERVICE, NEW_DEST
  EXPECT_EQ(peer.commands, (std::vector<std::uint8_t>{1, 5, 5, 5, 2, 1, 5}));
}

TEST(Transaction, AFailedBindIsTheFailureOfTheServiceAdd) {
  FakePeer peer;
  peer.write_error = [](std::size_t n) { return n == 3 ? ENOENT : 0; };  // SET_SERVICE mh
  IpvsTable want;
  want.services.push_back(tcp("192.0.2.1", 80, "mh", {dest("10.0.0.1", 80), dest("10.0.0.2", 80)}));
  Session s = session();
  ApplyTxn t(s, adds(want));
  run(t, peer);
  ASSERT_EQ(t.report().failures.size(), 1u);
  EXPECT_EQ(t.report().failures[0].index, 0u);
  EXPECT_NE(t.report().failures[0].message.find("scheduler 'mh' (module ip_vs_mh)"), std::string::npos)
      << t.report().failures[0].message;
}

TEST(Transaction, ATimeoutEndsItAndLateRepliesAreStrays) {
  FakePeer peer;
  peer.silent = true;
  Session s = session();
  ApplyTxn t(s, adds(table(1, 2)));
  run(t, peer);
  ASSERT_TRUE(t.error());
  EXPECT_EQ(t.error()->kind, IpvsError::Kind::timeout);
  // The next transaction on the session gets the late ACK of the first: a stray.
  peer.silent = false;
  FakePeer late;
  RequestTxn next(s, [](nl::Writer& w, const Request& r) {
    append_get_info(w, r);
    return Transaction::Kind::ack;
  }, Transaction::Kind::ack);
  auto bytes = next.take_output();
  ASSERT_FALSE(bytes.empty());
  const genl::Message old{genl::NlHeader{36, FakePeer::kFamily, 5, 2, 0}, {}};
  next.feed(FakePeer::ack(old, 0));
  EXPECT_FALSE(next.done());
  EXPECT_EQ(s.counters.stray, 1u);
}

TEST(Transaction, ENOBUFSFromTheSocketEndsItWithStateUnknown) {
  FakePeer peer;
  Session s = session();
  ApplyTxn t(s, adds(table(1, 2)));
  auto out = t.take_output();
  ASSERT_FALSE(out.empty());
  t.fail(IpvsError{IpvsError::Kind::io, ENOBUFS, "netlink receive: No buffer space available"});
  EXPECT_TRUE(t.done());
  EXPECT_EQ(t.error()->err, ENOBUFS);
  EXPECT_TRUE(t.take_output().empty());
}

TEST(Transaction, AMalformedStatusIsEPROTONotANegatedIntMin) {  // found by fuzz_genl
  EXPECT_EQ(errno_of(-EEXIST), EEXIST);
  EXPECT_EQ(errno_of(INT_MIN), EPROTO);
  EXPECT_EQ(errno_of(5), EPROTO);
  EXPECT_EQ(errno_of(-5000), EPROTO);
}

}  // namespace
}  // namespace vigil::ipvs::codec
