#include "checkers/io/file_watch.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace vigil::checkers::io {
namespace asio = boost::asio;

FileLevel file_level(long long value, long long weight, bool reverse, long long rs_weight) {
  if (weight == 0) {
    const bool fault = reverse ? value == 0 : value != 0;
    return {!fault, std::nullopt};
  }
  // Values (read_track_value) and weights (conf/) fit in 32 bits: the product fits in 64.
  // Clamped to int, as keepalived's weight_range().
  value = std::clamp<long long>(value, INT_MIN, static_cast<long long>(INT_MAX) + 1);
  weight = std::clamp<long long>(weight, -INT_MAX, INT_MAX);
  long long status = value * weight * (reverse ? -1 : 1);
  if (status <= INT_MIN) return {false, std::nullopt};
  if (status > INT_MAX) status = INT_MAX;
  return {true, rs_weight + static_cast<long long>(status)};
}

std::optional<long long> read_track_value(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  errno = 0;
  const long long v = std::strtoll(buf, nullptr, 0);
  if (errno != 0 || v < INT_MIN || v > static_cast<long long>(INT_MAX) + 1) return std::nullopt;
  return v;
}

struct FileWatcher::Impl {
  explicit Impl(asio::io_context& io) : sd(io) {}
  asio::posix::stream_descriptor sd;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};

FileWatcher::FileWatcher(asio::io_context& io, Log& log, Report report)
    : impl_(std::make_unique<Impl>(io)), log_(log), report_(std::move(report)) {}

FileWatcher::~FileWatcher() {
  boost::system::error_code ec;
  impl_->sd.close(ec);  // closes the inotify fd; a pending wait completes aborted
}

void FileWatcher::start(const conf::Config& config) {
  for (std::uint32_t vi = 0; vi < config.virtual_servers.size(); ++vi) {
    const auto& vs = config.virtual_servers[vi];
    for (std::uint32_t ri = 0; ri < vs.real_servers.size(); ++ri) {
      const auto& rs = vs.real_servers[ri];
      for (std::uint32_t ci = 0; ci < rs.checkers.size(); ++ci) {
        if (rs.checkers[ci]->kind != conf::CheckerKind::file) continue;
        const auto& fc = static_cast<const conf::FileCheck&>(*rs.checkers[ci]);
        const conf::TrackFile* tf = nullptr;
        for (const auto& t : config.track_files)
          if (fc.track_file.is_set() && t.name.value == *fc.track_file) tf = &t;
        if (!tf || !tf->file.is_set()) continue;  // conf/ reports it
        Check c;
        c.key = {vi, ri, ci};
        if (fc.weight.is_set()) {
          c.weight = *fc.weight;
          c.reverse = *fc.weight_reverse;
        } else if (tf->weight.is_set()) {
          c.weight = *tf->weight;
          c.reverse = *tf->weight_reverse;
        }
        c.rs_weight = rs.weight.is_set() ? *rs.weight : 1;
        File& f = files_[*tf->file];
        if (f.path.empty()) {
          f.path = *tf->file;
          const auto slash = f.path.rfind('/');
          f.dir = slash == std::string::npos ? "." : slash == 0 ? "/" : f.path.substr(0, slash);
          f.base = slash == std::string::npos ? f.path : f.path.substr(slash + 1);
          // init_file: write the value when the file is missing (or always, with overwrite).
          if (*tf->init_file && (*tf->init_file_overwrite || ::access(f.path.c_str(), F_OK) != 0)) {
            std::ofstream out(f.path, std::ios::trunc);
            out << (tf->init_file_value.is_set() ? *tf->init_file_value : 0) << '\n';
            if (!out) log_.write(Severity::warning, "track_file " + tf->name.value + ": cannot initialise " + f.path);
          }
        }
        f.checks.push_back(c);
      }
    }
  }
  if (files_.empty()) return;
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    log_.write(Severity::error, std::string("FILE_CHECK: inotify_init1: ") + std::strerror(errno) +
                                    "; track files are read once and not followed");
  } else {
    boost::system::error_code ec;
    impl_->sd.assign(fd, ec);
    for (auto& [path, f] : files_) {
      f.wd = ::inotify_add_watch(fd, f.dir.c_str(), IN_CLOSE_WRITE | IN_DELETE | IN_MOVE);
      if (f.wd < 0)
        log_.write(Severity::error, "FILE_CHECK: cannot watch " + f.dir + " for " + path + ": " + std::strerror(errno));
    }
  }
  for (auto& [path, f] : files_) update(f, "start-up");
  if (impl_->sd.is_open()) wait();
}

void FileWatcher::wait() {
  impl_->sd.async_wait(asio::posix::stream_descriptor::wait_read,
                       [this, alive = std::weak_ptr<bool>(impl_->alive)](const boost::system::error_code& ec) {
                         if (ec || !alive.lock()) return;
                         drain();
                         wait();
                       });
}

void FileWatcher::drain() {
  alignas(inotify_event) char buf[sizeof(inotify_event) + NAME_MAX + 1];
  for (;;) {
    const ssize_t n = ::read(impl_->sd.native_handle(), buf, sizeof buf);
    if (n <= 0) return;  // EAGAIN: all read
    for (char* p = buf; p < buf + n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(p);
      p += sizeof(inotify_event) + ev->len;
      if (ev->mask & IN_ISDIR || ev->len == 0) continue;
      const std::string name(ev->name);
      for (auto& [path, f] : files_) {
        if (f.wd != ev->wd || f.base != name) continue;
        update(f, ev->mask & (IN_DELETE | IN_MOVED_FROM) ? "file removed" : "file changed");
      }
    }
  }
}

void FileWatcher::update(File& f, const std::string& why) {
  const auto value = read_track_value(f.path);
  if (!value) {
    log_.write(Severity::warning, "FILE_CHECK: " + f.path + " holds a number out of range; ignored");
    return;
  }
  for (const auto& c : f.checks)
    report_(c.key, file_level(*value, c.weight, c.reverse, c.rs_weight),
            why + ": " + f.path + " holds " + std::to_string(*value));
}

}  // namespace vigil::checkers::io
