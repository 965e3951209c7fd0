// For tests that need the kernel (root): run a body in a forked child that unshares its
// network namespace, so nothing outside it changes. Its failures are lines on stderr and a
// non-zero exit (CHECK), reported by the parent as one gtest failure.
#pragma once
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>

#include <gtest/gtest.h>

namespace vigil::vrrp::test {

inline void in_own_netns(const std::function<int()>& body) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root (a network namespace of its own)";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNET) != 0) {
      std::perror("unshare(CLONE_NEWNET)");
      ::_exit(2);
    }
    ::_exit(body());
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the child's lines above";
}

}  // namespace vigil::vrrp::test

// Inside the child's body: a failed condition is a line on stderr and exit status 1.
#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                       \
    }                                                                 \
  } while (0)
