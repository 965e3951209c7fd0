#include "daemon/log.hpp"

#include <pthread.h>
#include <sched.h>
#include <syslog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <utility>

namespace vigil::daemon {

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::error: return "error";
    case LogLevel::warning: return "warning";
    case LogLevel::notice: return "notice";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
  }
  return "?";
}

void ConsoleSink::write(LogLevel level, std::string_view message, LogTime now) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  const auto level_text = to_string(level);
  std::fprintf(stderr, "%s.%03d vigil[%d]: %.*s: %.*s\n", stamp, static_cast<int>(ms),
               static_cast<int>(::getpid()), static_cast<int>(level_text.size()), level_text.data(),
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

SyslogSink::SyslogSink() { ::openlog("vigil", LOG_PID | LOG_NDELAY, LOG_DAEMON); }
SyslogSink::~SyslogSink() { ::closelog(); }

// syslog stamps the line itself, at the writer's time: it has no field for ours.
void SyslogSink::write(LogLevel level, std::string_view message, LogTime) {
  int priority = LOG_DEBUG;
  switch (level) {
    case LogLevel::error: priority = LOG_ERR; break;
    case LogLevel::warning: priority = LOG_WARNING; break;
    case LogLevel::notice: priority = LOG_NOTICE; break;
    case LogLevel::info: priority = LOG_INFO; break;
    case LogLevel::debug: priority = LOG_DEBUG; break;
  }
  ::syslog(priority, "%.*s", static_cast<int>(message.size()), message.data());
}

Logger::Logger(std::unique_ptr<LogSink> sink, Settings settings)
    : sink_(std::move(sink)), settings_(settings), writer_([this] { run_writer(); }) {}

Logger::~Logger() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_writer_.notify_one();
  writer_.join();
}

void Logger::log(LogLevel level, std::string message, LogTime at) { enqueue(level, std::move(message), at, false); }

void Logger::log_deferred(LogLevel level, std::string message) {
  enqueue(level, std::move(message), std::chrono::system_clock::now(), true);
}

void Logger::enqueue(LogLevel level, std::string message, LogTime at, bool defer) {
  if (!enabled(level)) return;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= settings_.capacity) {
      ++dropped_total_;
      ++dropped_unreported_;
      return;
    }
    // A writer that is writing looks at the queue again before it sleeps; one asleep on an
    // empty queue was woken already by the first line of a non-empty one (or is owed that).
    wake = (queue_.empty() || wake_owed_) && !writing_;
    queue_.push_back(Entry{level, std::move(message), at});
    wake_owed_ = wake && defer;
    if (defer) wake = false;
  }
  if (wake) wake_writer_.notify_one();
}

void Logger::flush() {
  std::unique_lock lock(mutex_);
  if (std::exchange(wake_owed_, false)) wake_writer_.notify_one();
  idle_.wait(lock, [this] { return queue_.empty() && !writing_ && dropped_unreported_ == 0; });
}

std::uint64_t Logger::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_total_;
}

void Logger::run_writer() {
  // SCHED_BATCH: woken by the loop, the writer does not preempt it (measured: a takeover's
  // netlink add waited ~0.2-1.5 ms behind the writer it had just woken on the same CPU).
  // It still gets its share of the CPU; it only yields on wake-up.
  const sched_param batch{};
  ::pthread_setschedparam(::pthread_self(), SCHED_BATCH, &batch);
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_writer_.wait(lock,
                      [this] { return stopping_ || !queue_.empty() || dropped_unreported_ > 0; });
    if (queue_.empty() && dropped_unreported_ == 0) return;  // stopping, nothing left
    // Take the whole batch so producers find an empty queue while the sink works. The drops
    // happened after everything in this batch was queued, so the report follows it.
    std::deque<Entry> batch;
    batch.swap(queue_);
    const std::uint64_t dropped = dropped_unreported_;
    dropped_unreported_ = 0;
    writing_ = true;
    lock.unlock();
    for (const auto& e : batch) sink_->write(e.level, e.message, e.at);
    if (dropped > 0) {
      sink_->write(LogLevel::warning,
                   std::to_string(dropped) + " messages dropped (log queue full)",
                   std::chrono::system_clock::now());
    }
    lock.lock();
    writing_ = false;
    if (queue_.empty() && dropped_unreported_ == 0) idle_.notify_all();
  }
}

}  // namespace vigil::daemon
