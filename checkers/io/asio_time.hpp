// vigil's TimePoint is the steady clock's time line in nanoseconds: Asio's steady_timer
// takes it after a cast.
#pragma once
#include <chrono>

#include "base/clock.hpp"

namespace boost::asio::ip {
class address;
}

namespace vigil {
class IpAddress;
}

namespace vigil::checkers::io {

inline std::chrono::steady_clock::time_point to_steady(TimePoint t) {
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(t.time_since_epoch()));
}

boost::asio::ip::address to_asio(const IpAddress& a);  // tcp_probe.cpp

}  // namespace vigil::checkers::io
