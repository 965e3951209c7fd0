#include "daemon/daemonize.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace vigil::daemon {
namespace {

constexpr char kReady = '0';
constexpr char kFailed = '1';

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// The original process: wait for the verdict, reap the intermediate child, exit.
[[noreturn]] void wait_for_daemon(int fd, pid_t child) {
  char verdict = 0;
  ssize_t n = 0;
  do {
    n = ::read(fd, &verdict, 1);
  } while (n < 0 && errno == EINTR);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != 1) std::fputs("vigil: the daemon exited during start-up\n", stderr);
  // _exit: nothing of this process's state (buffers, atexit handlers) belongs to it alone.
  ::_exit(n == 1 && verdict == kReady ? 0 : 1);
}

}  // namespace

StartupReport::StartupReport(StartupReport&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

StartupReport& StartupReport::operator=(StartupReport&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

StartupReport::~StartupReport() {
  if (fd_ >= 0) ::close(fd_);
}

void StartupReport::ready() {
  if (fd_ < 0) return;
  if (const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC); null >= 0) {
    std::fflush(stdout);
    std::fflush(stderr);
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::close(null);
  }
  send(kReady);
}

void StartupReport::failed() { send(kFailed); }

void StartupReport::send(char verdict) {
  if (fd_ < 0) return;
  ssize_t n = 0;
  do {
    n = ::write(fd_, &verdict, 1);
  } while (n < 0 && errno == EINTR);
  ::close(fd_);
  fd_ = -1;
}

Result<StartupReport, std::string> daemonize() {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return unexpected(errno_text("pipe"));
  std::fflush(nullptr);  // nothing buffered may be written twice
  const pid_t child = ::fork();
  if (child < 0) {
    const std::string message = errno_text("fork");
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return unexpected(message);
  }
  if (child > 0) {
    ::close(pipe_fds[1]);
    wait_for_daemon(pipe_fds[0], child);
  }
  ::close(pipe_fds[0]);
  if (::setsid() < 0) {
    std::fprintf(stderr, "vigil: %s\n", errno_text("setsid").c_str());
    ::_exit(1);
  }
  const pid_t daemon = ::fork();
  if (daemon < 0) {
    std::fprintf(stderr, "vigil: %s\n", errno_text("fork").c_str());
    ::_exit(1);
  }
  if (daemon > 0) ::_exit(0);  // the session leader goes; its child is the daemon
  ::umask(022);
  if (::chdir("/") != 0) {
    std::fprintf(stderr, "vigil: %s\n", errno_text("chdir /").c_str());
    ::_exit(1);
  }
  if (const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC); null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::close(null);
  }
  return StartupReport(pipe_fds[1]);
}

}  // namespace vigil::daemon
