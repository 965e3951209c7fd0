// AsyncNetlinkIpvs: the kernel's IPVS table on the Asio loop. The NETLINK_GENERIC socket is
// non-blocking and watched with posix::stream_descriptor::async_wait(read); the loop never
// waits on the kernel. Each operation is a sans-IO transaction (codec/transaction.hpp), the
// same ones the blocking NetlinkIpvs runs: windows of pipelined writes matched by sequence
// number, multi-part dumps redone on NLM_F_DUMP_INTR. Operations run one at a time, in the
// order asked (the kernel runs one dump per socket at a time).
//  - Deadline: `timeout` from each send, renewed by every datagram received (a steady_timer
//    on the loop); when it passes the operation fails with Kind::timeout.
//  - A socket error (ENOBUFS: the kernel dropped replies, our receive buffer overflowed)
//    fails the operation with Kind::io: which writes were applied is unknown, so the caller
//    re-dumps before planning again (ReconcileService does).
//  - Replies that arrive after their operation ended (late, after a timeout) match no
//    pending sequence number and are counted as strays, never taken for a later answer.
//  - Opening (family lookup, modprobe ip_vs when missing) is synchronous: once, at start.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>

#include "ipvs_glue/codec/transaction.hpp"
#include "ipvs_glue/io/async_port.hpp"
#include "ipvs_glue/io/netlink_ipvs.hpp"

namespace vigil::ipvs {

class AsyncNetlinkIpvs final : public AsyncIpvsPort {
 public:
  static Result<std::unique_ptr<AsyncNetlinkIpvs>, IpvsError> open(boost::asio::io_context& io,
                                                                   NetlinkOptions options = {});
  // Over a connected datagram socket that speaks netlink (owned): the kernel's, or in tests
  // one end of a socketpair with a fake kernel at the other.
  AsyncNetlinkIpvs(boost::asio::io_context& io, int fd, codec::Session session,
                   std::chrono::milliseconds timeout);
  ~AsyncNetlinkIpvs() override;

  void async_dump(DumpHandler handler) override;
  void async_apply(std::vector<IpvsOp> ops, ApplyHandler handler) override;
  // One request (write, GET or dump) and its outcome.
  using RequestHandler = std::function<void(Result<codec::Transaction::Outcome, IpvsError>)>;
  void async_request(codec::Transaction::Build build, codec::Transaction::Kind kind, bool write,
                     RequestHandler handler);

  // Any transaction (the ones above are built on this); `complete` runs on the loop when it
  // is done, with the transaction to read its result or error() from.
  void async_run(std::unique_ptr<codec::Transaction> txn, std::function<void(codec::Transaction&)> complete);

  std::uint64_t requests() const override { return session_.counters.requests; }
  std::uint64_t writes() const override { return session_.counters.writes; }
  const codec::Counters& counters() const { return session_.counters; }
  std::size_t queued() const { return queue_.size(); }

 private:
  struct Job {
    std::unique_ptr<codec::Transaction> txn;
    std::function<void()> complete;  // reads the result out of txn, calls the handler
  };
  void enqueue(Job job);
  void start_next();
  void pump();
  void arm_deadline();
  void wait_readable();
  void finish_current();

  boost::asio::io_context& io_;
  boost::asio::posix::stream_descriptor fd_;
  boost::asio::steady_timer deadline_;
  codec::Session session_;
  std::chrono::milliseconds timeout_;
  std::deque<Job> queue_;  // front() runs when busy_
  bool busy_{false}, reading_{false};
  std::uint64_t generation_{0};  // of the running job, for stale timer callbacks
  std::vector<std::byte> buf_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vigil::ipvs
