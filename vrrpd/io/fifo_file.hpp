// The real NotifyFifo: a named pipe opened O_RDWR | O_NONBLOCK (keepalived's way: the open
// never waits for a reader, and a write never fails for want of one). A line is written at
// once when the pipe has room (a line is far below PIPE_BUF: all of it or nothing); otherwise
// it waits in a bounded queue for the pipe to turn writable on the loop. A reader that is
// absent or slow never stalls the loop: when the queue is full the line is dropped, counted,
// and logged (rate-limited).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "vrrpd/io/log.hpp"
#include "vrrpd/io/notify_fifo.hpp"
#include "vrrpd/io/timer.hpp"

namespace boost::asio {
class io_context;
}

namespace vigil::vrrp::io {

class FifoFile final : public NotifyFifo {
 public:
  static constexpr std::size_t kMaxLines = 4096;
  static constexpr std::size_t kMaxBytes = 256 * 1024;

  // Creates the FIFO (mode 0644) unless something exists at `path`, then opens it; refuses
  // anything that is not a FIFO (and symlinks). The FIFO it created is removed when closed.
  static Result<std::unique_ptr<FifoFile>, std::string> open(boost::asio::io_context& io, const std::string& path,
                                                             TimerService& timers, Log& log);
  ~FifoFile() override;
  FifoFile(const FifoFile&) = delete;
  FifoFile& operator=(const FifoFile&) = delete;

  void write(std::string line) override;
  const std::string& path() const { return path_; }
  std::uint64_t written() const { return written_; }
  std::uint64_t dropped() const { return queue_.dropped(); }
  std::size_t queued() const { return queue_.size(); }

 private:
  struct Impl;
  FifoFile(std::unique_ptr<Impl> impl, std::string path, bool created, TimerService& timers, Log& log);
  void drain();         // writes queued lines while the pipe takes them
  void wait_writable();

  std::unique_ptr<Impl> impl_;
  std::string path_;
  bool created_;
  TimerService& timers_;
  Log& log_;
  FifoQueue queue_{kMaxLines, kMaxBytes};
  std::size_t offset_{0};  // of the front line, already written
  bool waiting_{false};
  std::uint64_t written_{0};
  RateLimit drop_log_{1, std::chrono::seconds{10}};
  std::shared_ptr<bool> alive_{std::make_shared<bool>(true)};
};

// Several FIFOs (notify_fifo and vrrp_notify_fifo) behind one port.
class FifoFanOut final : public NotifyFifo {
 public:
  void add(NotifyFifo& f) { sinks_.push_back(&f); }
  bool empty() const { return sinks_.empty(); }
  void write(std::string line) override {
    for (std::size_t i = 0; i + 1 < sinks_.size(); ++i) sinks_[i]->write(line);
    if (!sinks_.empty()) sinks_.back()->write(std::move(line));
  }

 private:
  std::vector<NotifyFifo*> sinks_;
};

}  // namespace vigil::vrrp::io
