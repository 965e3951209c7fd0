#include "vrrpd/io/timer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace vigil::vrrp::io {
namespace {

class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(boost::asio::io_context& io) : state_(std::make_shared<State>(io)) {}
  ~AsioTimer() override { cancel(); }

  void arm(TimePoint at, std::function<void()> fire) override {
    auto& s = *state_;
    const auto generation = ++s.generation;
    s.fire = std::move(fire);
    s.timer.expires_at(std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(at.time_since_epoch())));
    // A completion already queued when the timer was re-armed or cancelled carries an old
    // generation (its error code is success): it must not fire. The weak pointer covers a
    // completion that runs after the Timer is gone.
    s.timer.async_wait([weak = std::weak_ptr<State>(state_), generation](
                           const boost::system::error_code& ec) {
      auto st = weak.lock();
      if (ec || !st || st->generation != generation) return;
      auto fire = std::move(st->fire);
      st->fire = nullptr;
      if (fire) fire();
    });
  }

  void cancel() override {
    ++state_->generation;
    state_->fire = nullptr;
    state_->timer.cancel();
  }

 private:
  struct State {
    explicit State(boost::asio::io_context& io) : timer(io) {}
    boost::asio::steady_timer timer;
    std::function<void()> fire;
    std::uint64_t generation{0};
  };
  std::shared_ptr<State> state_;
};

}  // namespace

std::unique_ptr<Timer> AsioTimerService::make_timer() { return std::make_unique<AsioTimer>(io_); }

}  // namespace vigil::vrrp::io
