// Asynchronous logging. Producers (the loop) only append to a bounded in-memory queue; a
// dedicated writer thread hands lines to a LogSink. A slow or stuck sink (syslog under
// pressure, a blocked terminal) therefore never delays a timer. When the queue is full a
// message is dropped and counted, and the writer later emits "N messages dropped".
// A line carries the time it was logged, not the time the writer got to it.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace vigil::daemon {

// syslog's order: lower is more severe.
enum class LogLevel : std::uint8_t { error, warning, notice, info, debug };

std::string_view to_string(LogLevel level);

using LogTime = std::chrono::system_clock::time_point;

// Where lines end up. write() runs on the writer thread only, one call at a time.
class LogSink {
 public:
  virtual ~LogSink() = default;
  // `at`: when the line was logged.
  virtual void write(LogLevel level, std::string_view message, LogTime at) = 0;
};

// "2024-01-31 12:00:00.123 vigil[42]: warning: message" on stderr.
class ConsoleSink final : public LogSink {
 public:
  void write(LogLevel level, std::string_view message, LogTime at) override;
};

// syslog(3) with ident "vigil", LOG_PID, facility LOG_DAEMON.
class SyslogSink final : public LogSink {
 public:
  SyslogSink();
  ~SyslogSink() override;
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;
  void write(LogLevel level, std::string_view message, LogTime at) override;
};

class Logger {
 public:
  struct Settings {
    std::size_t capacity{4096};          // queued messages before dropping
    LogLevel max_level{LogLevel::info};  // -D raises it to debug
  };

  Logger(std::unique_ptr<LogSink> sink, Settings settings);
  explicit Logger(std::unique_ptr<LogSink> sink) : Logger(std::move(sink), Settings{}) {}
  // Writes what is still queued, then joins the writer.
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool enabled(LogLevel level) const { return level <= settings_.max_level; }

  // Never waits for the sink: at most a short critical section on the queue, and a wake-up
  // of the writer only when it sleeps on an empty queue (a burst of lines costs one).
  void log(LogLevel level, std::string message) { log(level, std::move(message), std::chrono::system_clock::now()); }
  // A line that a subsystem held back a moment (to the end of a loop turn), with its time.
  void log(LogLevel level, std::string message, LogTime at);
  // Queued in its place, but the writer is not woken for it: the next line that is logged
  // normally (or flush(), or the destructor) takes it along. For a line logged just before
  // time-critical work, which the writer's wake-up would delay.
  void log_deferred(LogLevel level, std::string message);
  void error(std::string m) { log(LogLevel::error, std::move(m)); }
  void warning(std::string m) { log(LogLevel::warning, std::move(m)); }
  void notice(std::string m) { log(LogLevel::notice, std::move(m)); }
  void info(std::string m) { log(LogLevel::info, std::move(m)); }
  void debug(std::string m) { log(LogLevel::debug, std::move(m)); }

  // Blocks the caller until every message queued so far has reached the sink. For shutdown
  // and tests; never call it from the loop in normal operation.
  void flush();

  std::uint64_t dropped() const;  // total since start

 private:
  struct Entry {
    LogLevel level;
    std::string message;
    LogTime at;
  };
  void run_writer();
  void enqueue(LogLevel level, std::string message, LogTime at, bool defer);

  std::unique_ptr<LogSink> sink_;
  const Settings settings_;
  mutable std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::condition_variable idle_;
  std::deque<Entry> queue_;
  std::uint64_t dropped_total_{};
  std::uint64_t dropped_unreported_{};
  bool writing_{false};
  bool stopping_{false};
  bool wake_owed_{false};  // a deferred line is queued and the writer was not woken for it
  std::thread writer_;  // last: starts after every other member is ready
};

}  // namespace vigil::daemon
