#include "vrrpd/io/file_watch.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "vrrpd/io/net.hpp"
#include "vrrpd/io/tracking.hpp"

namespace vigil::vrrp::io {

long long read_track_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return 0;
  std::string text(64, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse_track_file(text);
}

Result<void, std::string> init_track_file(const FileSpec& spec) {
  if (!spec.init_value && !spec.init_overwrite) return {};
  if (!spec.init_overwrite && ::access(spec.path.c_str(), F_OK) == 0) return {};
  std::ofstream out(spec.path, std::ios::trunc);
  out << spec.init_value.value_or(0) << '\n';
  if (!out) return unexpected("track_file " + spec.name + ": cannot write " + spec.path);
  return {};
}

Result<std::unique_ptr<FileWatch>, std::string> FileWatch::open(boost::asio::io_context& io,
                                                                OnChange on_change) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return unexpected("inotify_init1: " + errno_text(errno));
  return std::unique_ptr<FileWatch>(new FileWatch(io, fd, std::move(on_change)));
}

FileWatch::FileWatch(boost::asio::io_context& io, int fd, OnChange on_change)
    : fd_(io, fd), on_change_(std::move(on_change)), alive_(std::make_shared<bool>(true)) {
  wait();
}

FileWatch::~FileWatch() {
  *alive_ = false;
  boost::system::error_code ec;
  fd_.close(ec);
}

Result<long long, std::string> FileWatch::add(const std::string& name, const std::string& path) {
  const auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const int wd = ::inotify_add_watch(fd_.native_handle(), dir.c_str(),
                                     IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE);
  if (wd < 0) return unexpected("track_file " + name + ": cannot watch " + dir + ": " + errno_text(errno));
  entries_.push_back({wd, std::move(dir), std::move(base), name, path});
  return read_track_file(path);
}

void FileWatch::wait() {
  fd_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                 [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
                   auto a = alive.lock();
                   if (ec || !a || !*a) return;
                   drain();
                   if (*a) wait();
                 });
}

void FileWatch::drain() {
  alignas(inotify_event) std::array<char, 4096> buf;
  std::vector<const Entry*> changed;
  for (;;) {
    const ssize_t n = ::read(fd_.native_handle(), buf.data(), buf.size());
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf.data() + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      const std::string file = ev->len ? std::string(ev->name) : std::string();
      for (const auto& e : entries_)
        if (e.wd == ev->wd && (ev->mask & IN_Q_OVERFLOW || file == e.base)) changed.push_back(&e);
      if (ev->mask & IN_Q_OVERFLOW)
        for (const auto& e : entries_) changed.push_back(&e);
    }
  }
  // Once per file per wake-up, after the queue is read: the value is the file's latest.
  for (std::size_t i = 0; i < changed.size(); ++i) {
    bool seen = false;
    for (std::size_t j = 0; j < i; ++j) seen = seen || changed[j] == changed[i];
    if (!seen) on_change_(changed[i]->name, read_track_file(changed[i]->path));
  }
}

}  // namespace vigil::vrrp::io
