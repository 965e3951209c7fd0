// libcurl's multi interface driven by the Asio loop: curl says which sockets it wants to
// hear about (CURLMOPT_SOCKETFUNCTION) and when it wants a timeout (CURLMOPT_TIMERFUNCTION);
// the loop waits on those and calls curl_multi_socket_action. No thread, no blocking call.
#pragma once
#include <curl/curl.h>

#include <functional>
#include <map>
#include <memory>

#include "base/urgent.hpp"

namespace boost::asio {
class io_context;
}

namespace vigil::checkers::io {

class CurlMulti : public std::enable_shared_from_this<CurlMulti> {
 public:
  // Shared so that handlers queued on the loop can tell it is gone.
  static std::shared_ptr<CurlMulti> create(boost::asio::io_context& io);
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  // Starts a transfer. `done` runs on the loop once it ends (never from inside add()), after
  // the handle has left the multi handle; the caller still owns (and cleans up) `easy`.
  void add(CURL* easy, std::function<void(CURLcode)> done);
  // Ends a transfer early; its `done` never runs.
  void remove(CURL* easy);
  std::size_t transfers() const { return done_.size(); }
  // Polled before each step of curl, from inside a step each time curl changes a
  // transfer's socket, and before each transfer's `done` (base/urgent.hpp).
  void set_urgent(Urgent* urgent) { urgent_ = urgent; }

  struct Sock;

 private:
  explicit CurlMulti(boost::asio::io_context& io);
  static int on_socket(CURL* easy, curl_socket_t s, int what, void* self, void* sockp);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  void watch(curl_socket_t s, const std::shared_ptr<Sock>& sock);
  void action(curl_socket_t s, int events);
  void collect();

  boost::asio::io_context& io_;
  CURLM* multi_;
  struct Timer;
  std::unique_ptr<Timer> timer_;
  std::map<curl_socket_t, std::shared_ptr<Sock>> socks_;
  std::map<CURL*, std::function<void(CURLcode)>> done_;
  Urgent* urgent_{nullptr};
};

}  // namespace vigil::checkers::io
