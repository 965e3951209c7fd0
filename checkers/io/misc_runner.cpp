#include "checkers/io/misc_runner.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "base/result.hpp"
#include "checkers/io/asio_time.hpp"

extern char** environ;

namespace vigil::checkers::io {
namespace asio = boost::asio;

struct MiscRunner::Child {
  Child(asio::io_context& io, pid_t p, int pidfd) : pid(p), fd(io, pidfd), timer(io) {}
  pid_t pid;
  asio::posix::stream_descriptor fd;  // the pidfd: readable once the script has exited
  asio::steady_timer timer;
  std::function<void(MiscExit)> done;
  bool timed_out{false};
};

namespace {

// glibc 2.36's <sys/pidfd.h> lacks extern "C"; the system call needs no wrapper.
int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// posix_spawn of /bin/sh -c command in a new process group; the pid, or an error text.
Result<pid_t, std::string> spawn_shell(const std::string& command) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int fd = 0; fd <= 2; ++fd)
    posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  // The loop's sockets, pidfds and epoll must not leak into scripts.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Default dispositions and nothing blocked: the daemon's signal handling is not the script's.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);  // a group of its own, killed as one at the deadline
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid = 0;
  const int err = ::posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) return unexpected(std::string("posix_spawn: ") + std::strerror(err));
  return pid;
}

}  // namespace

MiscRunner::~MiscRunner() {
  for (auto& [token, c] : children_) {
    ::kill(-c->pid, SIGKILL);
    int status = 0;
    while (::waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

std::uint64_t MiscRunner::run(const std::string& command, TimePoint deadline, std::function<void(MiscExit)> done) {
  const std::uint64_t token = next_token_++;
  auto pid = spawn_shell(command);
  int pidfd = -1;
  if (pid) {
    pidfd = pidfd_open(*pid);
    if (pidfd < 0) {  // cannot watch it: kill and reap now (it has barely started)
      const std::string err = std::string("pidfd_open: ") + std::strerror(errno);
      ::kill(-*pid, SIGKILL);
      int status = 0;
      ::waitpid(*pid, &status, 0);
      pid = unexpected(err);
    }
  }
  if (!pid) {
    asio::post(io_, [done = std::move(done), err = pid.error()] { done(MiscExit{std::nullopt, false, err}); });
    return token;
  }
  auto c = std::make_shared<Child>(io_, *pid, pidfd);
  c->done = std::move(done);
  children_.emplace(token, c);
  c->timer.expires_at(to_steady(deadline));
  c->timer.async_wait([weak = std::weak_ptr<Child>(c)](const boost::system::error_code& ec) {
    auto ch = weak.lock();
    if (ec || !ch) return;
    ch->timed_out = true;
    // The group's id is the script's pid, which cannot be reused before we reap it.
    ::kill(-ch->pid, SIGKILL);
  });
  watch(token, c);
  return token;
}

void MiscRunner::watch(std::uint64_t token, const std::shared_ptr<Child>& c) {
  c->fd.async_wait(asio::posix::descriptor_base::wait_read,
                   [this, token, weak = std::weak_ptr<Child>(c)](const boost::system::error_code& ec) {
                     if (ec || !weak.lock()) return;
                     reap(token);
                   });
}

void MiscRunner::reap(std::uint64_t token) {
  auto it = children_.find(token);
  if (it == children_.end()) return;
  auto c = it->second;
  int status = 0;
  pid_t got;
  while ((got = ::waitpid(c->pid, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (got == 0) {  // readable but not yet reapable: wait again
    watch(token, c);
    return;
  }
  children_.erase(it);
  c->timer.cancel();
  MiscExit e;
  e.timed_out = c->timed_out;
  if (got > 0 && WIFEXITED(status)) e.status = WEXITSTATUS(status);
  if (got < 0) e.error = std::string("waitpid: ") + std::strerror(errno);
  if (auto done = std::move(c->done)) done(std::move(e));
}

void MiscRunner::cancel(std::uint64_t token) {
  auto it = children_.find(token);
  if (it == children_.end()) return;
  it->second->done = nullptr;
  ::kill(-it->second->pid, SIGKILL);
}

}  // namespace vigil::checkers::io
