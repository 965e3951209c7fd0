#include "checkers/io/misc_runner.hpp"

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


MiscRunner::~MiscRunner() {
  for (auto& [token, c] : children_) {
    ::kill(-c->pid, SIGKILL);
    int status = 0;
    while (::waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

std::uint64_t MiscRunner::run(const std::string& command, TimePoint deadline, std::function<void(MiscExit)> done,
                              const std::optional<proc::Credentials>& as) {
  const std::uint64_t token = next_token_++;
  proc::SpawnOptions options;
  options.null_stdio = true;
  options.close_fds = true;  // the loop's sockets, pidfds and epoll stay ours
  options.as = as;
  auto pid = proc::spawn({"/bin/sh", "-c", command}, options);
  int pidfd = -1;
  if (pid) {
    pidfd = proc::pidfd_open(*pid);
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
