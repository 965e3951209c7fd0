// The event loop every subsystem plugs into: one io_context run on one thread, and the
// process signals turned into ordinary handlers on that thread.
//   SIGTERM, SIGINT  Handlers::shutdown, then the loop stops (between handlers, never inside one)
//   SIGHUP           Handlers::reload
//   SIGUSR1          Handlers::dump
// Time for protocol cores comes from clock(), which tests replace with a ManualClock.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <functional>

#include "base/clock.hpp"
#include "daemon/log.hpp"

namespace vigil::daemon {

class Loop {
 public:
  struct Handlers {
    std::function<void()> reload;    // SIGHUP
    std::function<void()> dump;      // SIGUSR1
    std::function<void()> shutdown;  // SIGTERM/SIGINT, just before the loop stops
  };

  Loop(const Clock& clock, Logger& log, Handlers handlers);
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  boost::asio::io_context& context() { return io_; }
  const Clock& clock() const { return clock_; }
  Logger& log() { return log_; }
  TimePoint started() const { return started_; }

  // Runs handlers until stop() or SIGTERM/SIGINT. Returns the stopping signal, 0 if none.
  int run();
  // Safe from any thread.
  void stop();

 private:
  void arm();
  void on_signal(const boost::system::error_code& ec, int signo);

  const Clock& clock_;
  Logger& log_;
  Handlers handlers_;
  boost::asio::io_context io_{1};  // concurrency hint: one thread
  boost::asio::signal_set signals_;
  TimePoint started_;
  int stop_signal_{0};
};

}  // namespace vigil::daemon
