#include "checkers/io/curl_multi.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace vigil::checkers::io {
namespace asio = boost::asio;

struct CurlMulti::Sock {
  Sock(asio::io_context& io, curl_socket_t s) : sd(io, s) {}
  asio::posix::stream_descriptor sd;  // curl's socket, watched, never closed by us
  int what{0};                         // CURL_POLL_IN / OUT / INOUT
  bool waiting_read{false}, waiting_write{false};
};

struct CurlMulti::Timer {
  explicit Timer(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  std::optional<std::chrono::steady_clock::time_point> armed;  // while a wait is pending
  bool posted{false};                                   // a zero timeout, queued
};

std::shared_ptr<CurlMulti> CurlMulti::create(asio::io_context& io) {
  // curl_global_init is not thread-safe: once per process, before any handle.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::shared_ptr<CurlMulti>(new CurlMulti(io));
}

CurlMulti::CurlMulti(asio::io_context& io)
    : io_(io), multi_(curl_multi_init()), timer_(std::make_unique<Timer>(io)) {
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMulti::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMulti::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlMulti::~CurlMulti() {
  for (auto& [easy, done] : done_) curl_multi_remove_handle(multi_, easy);
  for (auto& [s, sock] : socks_) {
    boost::system::error_code ec;
    sock->sd.cancel(ec);
    sock->sd.release();
  }
  curl_multi_cleanup(multi_);
}

void CurlMulti::add(CURL* easy, std::function<void(CURLcode)> done) {
  done_[easy] = std::move(done);
  // Calls on_timer with a zero timeout: the transfer starts from the loop, not from here.
  if (const CURLMcode rc = curl_multi_add_handle(multi_, easy); rc != CURLM_OK) {
    auto d = std::move(done_[easy]);
    done_.erase(easy);
    asio::post(io_, [d = std::move(d)] { d(CURLE_FAILED_INIT); });
  }
}

void CurlMulti::remove(CURL* easy) {
  if (done_.erase(easy) == 0) return;
  curl_multi_remove_handle(multi_, easy);  // may call on_socket with CURL_POLL_REMOVE
}

int CurlMulti::on_socket(CURL*, curl_socket_t s, int what, void* self_ptr, void*) {
  auto& self = *static_cast<CurlMulti*>(self_ptr);
  // One curl_multi_socket_action runs every transfer whose timer is due, not only the
  // socket's: with a few hundred transfers in flight that was measured at 10-20 ms in one
  // call. curl calls this once or more for each transfer it moves on, so the urgent lane
  // waits for one transfer's step at most. The urgent work never calls into curl.
  if (self.urgent_) self.urgent_->poll();
  if (what == CURL_POLL_REMOVE) {
    if (auto it = self.socks_.find(s); it != self.socks_.end()) {
      boost::system::error_code ec;
      it->second->sd.cancel(ec);
      it->second->sd.release();  // curl closes it, not us
      self.socks_.erase(it);
    }
    return 0;
  }
  auto& sock = self.socks_[s];
  if (!sock) sock = std::make_shared<Sock>(self.io_, s);
  sock->what = what;
  self.watch(s, sock);
  return 0;
}

// curl calls this several times per transfer. Re-arming an Asio timer that is the loop's
// earliest costs a timerfd_settime, so: a zero timeout is a posted action (at most one
// queued), and a deadline (rounded up to the millisecond curl counts in) equal to the one
// already armed is left alone. A timeout that fires early for curl is harmless: it calls
// back with the time left.
int CurlMulti::on_timer(CURLM*, long timeout_ms, void* self_ptr) {
  auto& self = *static_cast<CurlMulti*>(self_ptr);
  Timer& t = *self.timer_;
  if (timeout_ms < 0) {
    if (t.armed) t.timer.cancel();
    t.armed.reset();
    return 0;
  }
  if (timeout_ms == 0) {
    if (t.posted) return 0;
    t.posted = true;
    asio::post(self.io_, [weak = self.weak_from_this()] {
      auto me = weak.lock();
      if (!me) return;
      me->timer_->posted = false;
      me->action(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  }
  using std::chrono::milliseconds;
  const auto at = std::chrono::ceil<milliseconds>(std::chrono::steady_clock::now() + milliseconds(timeout_ms));
  if (t.armed == at) return 0;
  t.armed = at;
  t.timer.expires_at(at);  // cancels the wait in progress, whose handler sees the error
  t.timer.async_wait([weak = self.weak_from_this()](const boost::system::error_code& ec) {
    auto me = weak.lock();
    if (ec || !me) return;
    me->timer_->armed.reset();
    me->action(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

void CurlMulti::watch(curl_socket_t s, const std::shared_ptr<Sock>& sock) {
  const auto wait = [&](asio::posix::descriptor_base::wait_type type, bool& waiting, int event) {
    if (waiting) return;
    waiting = true;
    sock->sd.async_wait(type, [weak = weak_from_this(), ws = std::weak_ptr<Sock>(sock), s, event, type](
                                  const boost::system::error_code& ec) {
      auto me = weak.lock();
      auto so = ws.lock();
      if (!me || !so) return;
      (type == asio::posix::descriptor_base::wait_read ? so->waiting_read : so->waiting_write) = false;
      if (ec) return;
      me->action(s, event);
      // Still the same socket, still wanted: wait again.
      if (auto it = me->socks_.find(s); it != me->socks_.end() && it->second == so) me->watch(s, so);
    });
  };
  if (sock->what & CURL_POLL_IN) wait(asio::posix::descriptor_base::wait_read, sock->waiting_read, CURL_CSELECT_IN);
  if (sock->what & CURL_POLL_OUT)
    wait(asio::posix::descriptor_base::wait_write, sock->waiting_write, CURL_CSELECT_OUT);
}

void CurlMulti::action(curl_socket_t s, int events) {
  int running = 0;
  if (urgent_) urgent_->poll();
  curl_multi_socket_action(multi_, s, events, &running);
  collect();
}

void CurlMulti::collect() {
  // Read every message first: removing a handle invalidates them.
  std::vector<std::pair<CURL*, CURLcode>> ended;
  int left = 0;
  while (CURLMsg* m = curl_multi_info_read(multi_, &left))
    if (m->msg == CURLMSG_DONE) ended.emplace_back(m->easy_handle, m->data.result);
  auto keep = shared_from_this();  // a done() may drop the last owner
  for (auto [easy, code] : ended) {
    auto it = done_.find(easy);
    if (it == done_.end()) continue;  // removed by an earlier done()
    auto done = std::move(it->second);
    done_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    if (urgent_) urgent_->poll();
    done(code);
  }
}

}  // namespace vigil::checkers::io
