#include "ipvs_glue/io/async_netlink_ipvs.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>

namespace vigil::ipvs {
namespace {

IpvsError sys_error(const char* what, int err) {
  return IpvsError{IpvsError::Kind::io, err, std::string("netlink ") + what + ": " + errno_text(err)};
}

constexpr std::size_t kBufferBytes = 1 << 17;  // above any genl dump skb

}  // namespace

// ---- PostedIpvs ---------------------------------------------------------------------------

PostedIpvs::PostedIpvs(boost::asio::io_context& io, std::unique_ptr<IpvsPort> port)
    : io_(io), port_(std::move(port)) {}

PostedIpvs::~PostedIpvs() { *alive_ = false; }

void PostedIpvs::async_dump(DumpHandler handler) {
  boost::asio::post(io_, [this, weak = std::weak_ptr<bool>(alive_), h = std::move(handler)] {
    if (auto a = weak.lock(); a && *a) h(port_->dump());
  });
}

void PostedIpvs::async_apply(std::vector<IpvsOp> ops, ApplyHandler handler) {
  boost::asio::post(io_, [this, weak = std::weak_ptr<bool>(alive_), ops = std::move(ops), h = std::move(handler)] {
    if (auto a = weak.lock(); a && *a) h(port_->apply(ops));
  });
}

// ---- AsyncNetlinkIpvs ---------------------------------------------------------------------

Result<std::unique_ptr<AsyncNetlinkIpvs>, IpvsError> AsyncNetlinkIpvs::open(boost::asio::io_context& io,
                                                                            NetlinkOptions options) {
  auto s = open_ipvs_socket(options);
  if (!s) return unexpected(s.error());
  // Connected to the kernel, so that send(2) works on it as on a test's socketpair.
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::connect(s->socket.fd(), reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) < 0)
    return unexpected(sys_error("connect", errno));
  const int fd = s->socket.release();
  return std::make_unique<AsyncNetlinkIpvs>(io, fd, s->session, options.timeout);
}

AsyncNetlinkIpvs::AsyncNetlinkIpvs(boost::asio::io_context& io, int fd, codec::Session session,
                                   std::chrono::milliseconds timeout)
    : io_(io), fd_(io, fd), deadline_(io), session_(session), timeout_(timeout), buf_(kBufferBytes) {
  fd_.non_blocking(true);
}

AsyncNetlinkIpvs::~AsyncNetlinkIpvs() {
  *alive_ = false;
  boost::system::error_code ec;
  deadline_.cancel();
  fd_.close(ec);
}

void AsyncNetlinkIpvs::enqueue(Job job) {
  queue_.push_back(std::move(job));
  if (busy_) return;
  busy_ = true;  // until the job posted here has run
  boost::asio::post(io_, [this, weak = std::weak_ptr<bool>(alive_)] {
    if (auto a = weak.lock(); a && *a) start_next();
  });
}

void AsyncNetlinkIpvs::async_dump(DumpHandler handler) {
  auto t = std::make_unique<codec::DumpTableTxn>(session_);
  auto* raw = t.get();
  enqueue({std::move(t), [raw, h = std::move(handler)] {
             if (raw->error()) return h(unexpected(*raw->error()));
             h(raw->take_table());
           }});
}

void AsyncNetlinkIpvs::async_apply(std::vector<IpvsOp> ops, ApplyHandler handler) {
  auto t = std::make_unique<codec::ApplyTxn>(session_, std::move(ops));
  auto* raw = t.get();
  enqueue({std::move(t), [raw, h = std::move(handler)] {
             if (raw->error()) return h(unexpected(*raw->error()));
             h(raw->report());
           }});
}

void AsyncNetlinkIpvs::async_request(codec::Transaction::Build build, codec::Transaction::Kind kind,
                                     bool write, RequestHandler handler) {
  auto t = std::make_unique<codec::RequestTxn>(session_, std::move(build), kind, write);
  auto* raw = t.get();
  enqueue({std::move(t), [raw, h = std::move(handler)] {
             if (raw->error()) return h(unexpected(*raw->error()));
             h(raw->outcome());
           }});
}

void AsyncNetlinkIpvs::async_run(std::unique_ptr<codec::Transaction> txn,
                                 std::function<void(codec::Transaction&)> complete) {
  auto* raw = txn.get();
  enqueue({std::move(txn), [raw, c = std::move(complete)] { c(*raw); }});
}

void AsyncNetlinkIpvs::start_next() {
  if (queue_.empty()) {
    busy_ = false;
    return;
  }
  busy_ = true;
  ++generation_;
  pump();
}

void AsyncNetlinkIpvs::arm_deadline() {
  deadline_.expires_after(timeout_);
  deadline_.async_wait([this, weak = std::weak_ptr<bool>(alive_), gen = generation_](const boost::system::error_code& ec) {
    auto a = weak.lock();
    if (ec || !a || !*a || gen != generation_ || !busy_ || queue_.empty()) return;
    if (deadline_.expiry() > std::chrono::steady_clock::now()) return;  // renewed since
    queue_.front().txn->fail(IpvsError{IpvsError::Kind::timeout, ETIMEDOUT, "netlink: no reply in time"});
    pump();
  });
}

void AsyncNetlinkIpvs::wait_readable() {
  if (reading_) return;
  reading_ = true;
  fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                 [this, weak = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
                   auto a = weak.lock();
                   if (!a || !*a) return;
                   reading_ = false;
                   if (ec == boost::asio::error::operation_aborted) return;
                   if (busy_ && !queue_.empty()) pump();
                 });
}

// Sends what the running transaction has, drains what the socket holds into it, and waits
// for readability when it is empty; finishes the job when the transaction is done.
void AsyncNetlinkIpvs::pump() {
  if (queue_.empty()) return;
  codec::Transaction& t = *queue_.front().txn;
  const int fd = fd_.native_handle();
  while (!t.done()) {
    auto out = t.take_output();
    if (t.done()) break;
    if (!out.empty()) {
      ssize_t n;
      do n = ::send(fd, out.data(), out.size(), 0);
      while (n < 0 && errno == EINTR);
      if (n != static_cast<ssize_t>(out.size())) {
        t.fail(sys_error("send", n < 0 ? errno : EMSGSIZE));
        break;
      }
      arm_deadline();
      continue;
    }
    const ssize_t n = ::recv(fd, buf_.data(), buf_.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      wait_readable();
      return;
    }
    if (n < 0) {
      t.fail(sys_error("receive", errno));  // ENOBUFS: replies dropped, state unknown
      break;
    }
    if (n == 0) {
      t.fail(sys_error("receive", ECONNRESET));
      break;
    }
    if (static_cast<std::size_t>(n) > buf_.size()) {
      t.fail(IpvsError{IpvsError::Kind::protocol, EMSGSIZE, "netlink: reply larger than the buffer"});
      break;
    }
    t.feed(std::span<const std::byte>(buf_.data(), static_cast<std::size_t>(n)));
    if (!t.done()) arm_deadline();
  }
  finish_current();
}

void AsyncNetlinkIpvs::finish_current() {
  deadline_.cancel();
  Job job = std::move(queue_.front());
  queue_.pop_front();
  busy_ = !queue_.empty();
  if (busy_)
    boost::asio::post(io_, [this, weak = std::weak_ptr<bool>(alive_)] {
      if (auto a = weak.lock(); a && *a) start_next();
    });
  ++generation_;
  job.complete();  // may enqueue more (posted: never run inside this call)
}

}  // namespace vigil::ipvs
