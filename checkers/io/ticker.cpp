#include "checkers/io/ticker.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "checkers/io/sockets.hpp"

namespace vigil::checkers::io {
namespace asio = boost::asio;

namespace {

timespec to_timespec(TimePoint t) {
  const auto ns = t.time_since_epoch().count();
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

}  // namespace

struct Ticker::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, Duration p, std::function<void()> f) : period(p), on_tick(std::move(f)) {
    // steady_clock is CLOCK_MONOTONIC: the same time line as TimePoint.
    const int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) throw std::runtime_error(sys_error("timerfd_create"));
    sd = std::make_unique<asio::posix::stream_descriptor>(io, fd);
  }

  Duration period;
  std::function<void()> on_tick;
  std::unique_ptr<asio::posix::stream_descriptor> sd;
  bool armed{false};
  bool periodic{false};
  bool waiting{false};
  TimePoint next{};  // the next expiry, when armed
  std::uint64_t settimes{0};

  TimePoint round_up(TimePoint at) const {
    const auto ticks = (at.time_since_epoch() + period - Duration(1)) / period;
    return TimePoint{ticks * period};
  }

  void set(TimePoint at, bool every_tick) {
    itimerspec its{};
    its.it_value = to_timespec(at);
    if (every_tick) its.it_interval = to_timespec(TimePoint{period});
    // Cannot fail with a valid fd and values; if it did, the checks would stop: say so.
    if (::timerfd_settime(sd->native_handle(), TFD_TIMER_ABSTIME, &its, nullptr) != 0)
      throw std::runtime_error(sys_error("timerfd_settime"));
    ++settimes;
    armed = true;
    periodic = every_tick;
    next = at;
    wait();
  }

  void arm(TimePoint at, TimePoint now) {
    at = round_up(at);
    const bool near = at <= now + 2 * period;
    if (armed && at >= next) {
      if (!periodic) return;  // it fires first; the owner arms again then
      if (near) return;       // a periodic tick comes at `at`
      // Far off: one wake-up then, not one every tick until then.
    }
    set(at, near);
  }

  void disarm() {
    if (!armed) return;
    itimerspec its{};
    ::timerfd_settime(sd->native_handle(), 0, &its, nullptr);
    ++settimes;
    armed = false;
  }

  void wait() {
    if (waiting) return;
    waiting = true;
    sd->async_wait(asio::posix::descriptor_base::wait_read,
                   [weak = weak_from_this()](const boost::system::error_code& ec) {
                     auto self = weak.lock();
                     if (!self) return;
                     self->waiting = false;
                     if (!ec) self->expired();
                   });
  }

  void expired() {
    std::uint64_t count = 0;
    if (::read(sd->native_handle(), &count, sizeof count) != sizeof count || count == 0) {
      // Re-armed since it became readable (settime clears the count): nothing expired.
      if (armed) wait();
      return;
    }
    if (periodic) {
      next += static_cast<std::int64_t>(count) * period;
      wait();
    } else {
      armed = false;
    }
    auto keep = shared_from_this();  // on_tick may destroy the Ticker
    on_tick();
  }
};

Ticker::Ticker(asio::io_context& io, Duration period, std::function<void()> on_tick)
    : impl_(std::make_shared<Impl>(io, period, std::move(on_tick))) {}

// The Impl may outlive this by the rest of an expired() that is calling on_tick (which may be
// what destroys the Ticker): its callback stays intact until then, and nothing calls it after.
Ticker::~Ticker() {
  impl_->disarm();
  boost::system::error_code ec;
  impl_->sd->cancel(ec);  // the pending wait completes with an error, finds no owner
}

void Ticker::arm(TimePoint at, TimePoint now) { impl_->arm(at, now); }
void Ticker::disarm() { impl_->disarm(); }
std::uint64_t Ticker::settimes() const { return impl_->settimes; }

}  // namespace vigil::checkers::io
