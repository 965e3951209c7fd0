#include "vrrpd/io/fifo_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>

#include "vrrpd/io/net.hpp"

namespace vigil::vrrp::io {

struct FifoFile::Impl {
  Impl(boost::asio::io_context& io, int fd) : fd(io, fd) {}
  boost::asio::posix::stream_descriptor fd;
};

Result<std::unique_ptr<FifoFile>, std::string> FifoFile::open(boost::asio::io_context& io, const std::string& path,
                                                              TimerService& timers, Log& log) {
  bool created = false;
  if (::mkfifo(path.c_str(), S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH) == 0) created = true;
  else if (errno != EEXIST) return unexpected("notify fifo " + path + ": mkfifo: " + errno_text(errno));
  const int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    const int err = errno;
    if (created) ::unlink(path.c_str());
    return unexpected("notify fifo " + path + ": open: " + errno_text(err));
  }
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) {
    ::close(fd);
    return unexpected("notify fifo " + path + ": not a FIFO");
  }
  return std::unique_ptr<FifoFile>(new FifoFile(std::make_unique<Impl>(io, fd), path, created, timers, log));
}

FifoFile::FifoFile(std::unique_ptr<Impl> impl, std::string path, bool created, TimerService& timers, Log& log)
    : impl_(std::move(impl)), path_(std::move(path)), created_(created), timers_(timers), log_(log) {}

FifoFile::~FifoFile() {
  *alive_ = false;
  drain();  // what the pipe still takes, without waiting
  if (queue_.size() > 0 && log_.enabled(Severity::warning))
    log_.write(Severity::warning, "notify fifo " + path_ + ": " + std::to_string(queue_.size()) +
                                      " lines not written at close");
  boost::system::error_code ec;
  impl_->fd.close(ec);
  if (created_) ::unlink(path_.c_str());
}

void FifoFile::write(std::string line) {
  if (!queue_.push(std::move(line))) {
    if (drop_log_.allow(timers_.now()) && log_.enabled(Severity::warning))
      log_.write(Severity::warning, "notify fifo " + path_ + ": no reader keeps up, line dropped (" +
                                        std::to_string(queue_.dropped()) + " dropped so far)");
    return;
  }
  if (!waiting_) drain();
}

void FifoFile::drain() {
  const int fd = impl_->fd.native_handle();
  while (!queue_.empty()) {
    const auto& l = queue_.front();
    const ssize_t n = ::write(fd, l.data() + offset_, l.size() - offset_);
    if (n >= 0) {
      // A line is far below PIPE_BUF, so the pipe takes all of it or nothing; a partial
      // write keeps its place rather than interleave.
      offset_ += static_cast<std::size_t>(n);
      if (offset_ < l.size()) return wait_writable();
      offset_ = 0;
      ++written_;
      queue_.pop();
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return wait_writable();
    if (drop_log_.allow(timers_.now()) && log_.enabled(Severity::warning))
      log_.write(Severity::warning, "notify fifo " + path_ + ": write: " + errno_text(errno) + ", line dropped");
    offset_ = 0;
    queue_.pop();
  }
}

void FifoFile::wait_writable() {
  if (waiting_ || !*alive_) return;
  waiting_ = true;
  impl_->fd.async_wait(boost::asio::posix::descriptor_base::wait_write,
                       [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
                         auto a = alive.lock();
                         if (!a || !*a) return;
                         waiting_ = false;
                         if (!ec) drain();
                       });
}

}  // namespace vigil::vrrp::io
