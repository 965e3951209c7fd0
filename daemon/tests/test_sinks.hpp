// Sinks for tests: they record lines, and can be held shut or made slow on purpose.
#pragma once
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/log.hpp"

namespace vigil::daemon::testing {

// Shared state lives outside the sink, since the Logger owns the sink itself.
struct SinkState {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> lines;
  std::vector<LogTime> times;  // each line's `at`
  bool open{true};                     // false: write() waits until opened
  std::chrono::milliseconds delay{0};  // per write, cut short by open_all()
  bool cut_short{false};
  int entered{0};  // writes started

  void close_gate() {
    std::lock_guard lock(mutex);
    open = false;
  }
  void open_all() {
    {
      std::lock_guard lock(mutex);
      open = true;
      cut_short = true;
    }
    changed.notify_all();
  }
  bool wait_entered(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return entered >= n; });
  }
  std::size_t written() {
    std::lock_guard lock(mutex);
    return lines.size();
  }
  std::vector<std::string> snapshot() {
    std::lock_guard lock(mutex);
    return lines;
  }
};

// "m7". Not `"m" + std::to_string(i)`: g++ 12 at -O3 reports a false -Wrestrict there.
inline std::string numbered(const char* prefix, int i) {
  std::string s(prefix);
  s += std::to_string(i);
  return s;
}

class RecordingSink final : public LogSink {
 public:
  explicit RecordingSink(SinkState& state) : state_(state) {}
  void write(LogLevel level, std::string_view message, LogTime at) override {
    std::unique_lock lock(state_.mutex);
    ++state_.entered;
    state_.changed.notify_all();
    state_.changed.wait(lock, [&] { return state_.open; });
    if (state_.delay.count() > 0) {
      state_.changed.wait_for(lock, state_.delay, [&] { return state_.cut_short; });
    }
    state_.lines.push_back(std::string(to_string(level)) + ": " + std::string(message));
    state_.times.push_back(at);
    state_.changed.notify_all();
  }

 private:
  SinkState& state_;
};

}  // namespace vigil::daemon::testing
