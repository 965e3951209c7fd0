#include "daemon/pidfile.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <limits>
#include <utility>

namespace vigil::daemon {
namespace {

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

std::string read_all(int fd) {
  std::string text;
  char buf[64];
  ssize_t n = 0;
  while ((n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(text.size()))) > 0 &&
         text.size() < 256) {
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n =
        ::pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::optional<pid_t> parse_pid(const std::string& text) {
  std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return std::nullopt;
  std::size_t end = text.find_first_not_of("0123456789", begin);
  if (end == std::string::npos) end = text.size();
  if (text.find_first_not_of(" \t\r\n", end) != std::string::npos) return std::nullopt;
  long value = 0;
  const auto [ptr, ec] = std::from_chars(text.data() + begin, text.data() + end, value);
  if (ec != std::errc{} || ptr != text.data() + end || value <= 0 ||
      value > std::numeric_limits<pid_t>::max()) {
    return std::nullopt;
  }
  return static_cast<pid_t>(value);
}

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

Result<PidFile, std::string> PidFile::acquire(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return unexpected(errno_text("cannot open pid file", path));
  // Until the file is ours, failing must close fd but leave the file alone.
  auto refuse = [fd](std::string message) -> Result<PidFile, std::string> {
    ::close(fd);
    return unexpected(std::move(message));
  };
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return refuse("pid file " + path + " is locked by a running vigil");
    return refuse(errno_text("cannot lock pid file", path));
  }
  // The previous owner unlinks before unlocking; if that happened between our open and our
  // flock we hold a lock on a file nobody can see any more.
  struct stat by_fd {
  }, by_path{};
  if (::fstat(fd, &by_fd) != 0 || ::stat(path.c_str(), &by_path) != 0 ||
      by_fd.st_dev != by_path.st_dev || by_fd.st_ino != by_path.st_ino) {
    return refuse("pid file " + path + " changed while starting; try again");
  }
  if (const auto pid = parse_pid(read_all(fd)); pid && *pid != ::getpid() && process_alive(*pid)) {
    return refuse("pid file " + path + " names running process " + std::to_string(*pid) +
                  "; is another vigil using it? (use -p for a second instance)");
  }
  PidFile file(path, fd);  // ours now: release() unlinks it
  if (::ftruncate(fd, 0) != 0 || !write_all(fd, std::to_string(::getpid()) + "\n")) {
    std::string message = errno_text("cannot write pid file", path);
    file.release();
    return unexpected(std::move(message));
  }
  return file;
}

PidFile::PidFile(PidFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

PidFile& PidFile::operator=(PidFile&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

PidFile::~PidFile() { release(); }

void PidFile::release() {
  if (fd_ < 0) return;
  // Unlink while still holding the lock, so a newcomer never removes a fresh file.
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

}  // namespace vigil::daemon
