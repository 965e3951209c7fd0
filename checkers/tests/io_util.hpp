// Helpers for tests that run the real loop.
#pragma once
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

#include "base/clock.hpp"

namespace vigil::checkers::testing {

// Runs the loop until `done()` or `limit` has passed; whether `done()` held.
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (!done() && std::chrono::steady_clock::now() < end) io.run_one_for(std::chrono::milliseconds(10));
  return done();
}

inline TimePoint now() { return SteadyClock().now(); }

}  // namespace vigil::checkers::testing
