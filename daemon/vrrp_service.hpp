// The VRRP subsystem on the daemon's loop: the real ports (raw sockets, libnl, AF_PACKET,
// posix_spawn, Asio timers, a netlink link monitor) around vrrp::io::Service, built from the
// loaded configuration. Owned by run_daemon; lives on the loop thread.
#pragma once
#include <memory>
#include <string>

#include "base/urgent.hpp"
#include "conf/model.hpp"
#include "daemon/log.hpp"
#include "daemon/loop.hpp"

namespace vigil::daemon {

class VrrpService {
 public:
  explicit VrrpService(Loop& loop);
  ~VrrpService();
  VrrpService(const VrrpService&) = delete;
  VrrpService& operator=(const VrrpService&) = delete;

  // Resolves the instances against the host, opens the sockets, starts every instance.
  // The configuration is copied into the instances: it need not outlive the call.
  void start(const conf::Config& config);
  // SIGTERM: every Master hands off with priority 0 and releases its addresses. Completes
  // before returning: the loop stops right after.
  void stop();
  void dump();  // SIGUSR1
  // A BFD session came Up or left it (track_bfd).
  void on_bfd(const std::string& name, bool up);
  // The adverts' priority lane, for the other subsystems' bursts on the same loop.
  Urgent& urgent();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::daemon
