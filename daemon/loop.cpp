#include "daemon/loop.hpp"

#include <csignal>
#include <cstring>

namespace vigil::daemon {

Loop::Loop(const Clock& clock, Logger& log, Handlers handlers)
    : clock_(clock),
      log_(log),
      handlers_(std::move(handlers)),
      signals_(io_, SIGHUP, SIGTERM, SIGINT),
      started_(clock.now()) {
  signals_.add(SIGUSR1);  // signal_set's constructor takes at most three
}

int Loop::run() {
  arm();
  io_.run();
  return stop_signal_;
}

void Loop::stop() { io_.stop(); }

void Loop::arm() {
  signals_.async_wait(
      [this](const boost::system::error_code& ec, int signo) { on_signal(ec, signo); });
}

void Loop::on_signal(const boost::system::error_code& ec, int signo) {
  if (ec) {
    if (ec != boost::asio::error::operation_aborted) {
      log_.error("signal wait failed: " + ec.message());
    }
    return;
  }
  switch (signo) {
    case SIGTERM:
    case SIGINT:
      // Deferred: the priority-0 adverts below do not wait for the log writer's wake-up.
      log_.log_deferred(LogLevel::notice, std::string("received ") + ::sigabbrev_np(signo) + ", stopping");
      stop_signal_ = signo;
      // Subsystems get to finish (e.g. VRRP's priority-0 advert) before the loop ends.
      if (handlers_.shutdown) handlers_.shutdown();
      signals_.cancel();
      io_.stop();
      return;
    case SIGHUP:
      log_.info("received HUP, reloading the configuration");
      if (handlers_.reload) handlers_.reload();
      break;
    case SIGUSR1:
      if (handlers_.dump) handlers_.dump();
      break;
    default: break;
  }
  arm();
}

}  // namespace vigil::daemon
