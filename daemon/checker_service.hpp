// The health-checker subsystem on the daemon's loop (keepalived's checker process, `-C`):
// the probes and the policy (checkers/) driving the IPVS reconciler (ipvs_glue/).
//  - The IPVS port is the kernel's (NetlinkIpvs) when it has IPVS; otherwise an in-memory
//    FakeIpvs, said so in the log: the checks and the desired table still run, nothing
//    reaches the kernel.
//  - The desired table is desired_from_config() with each real server present (at its
//    current weight) or absent as the checkers decide, and each sorry_server in or out.
//    Changes of one loop turn are applied together, by an ipvs::ReconcileService on the
//    loop (non-blocking netlink client): planned against its cached view of the kernel (a
//    weight change is one netlink request), and drift repaired every 60 s ("ipvs drift
//    repaired: ..."). stop() alone is blocking, as the loop is about to end.
//  - Every state change is logged at INFO with its reason
//    ("[10.0.1.1]:80 DOWN: TCP_CHECK connect: Connection refused (retry 3 of 3) (VS ...)"),
//    and every table change as "IPVS: N changes: delete dest 10.0.1.1:80 from TCP ...".
//  - SIGUSR1 (dump()) logs every real server's state and weight.
//  - notify_up / notify_down / quorum_up / quorum_down scripts are spawned (not waited
//    for); lvs_notify_fifo / notify_fifo get keepalived's "RS ..." / "VS ..." lines.
//  - stop() removes the services vigil put in the kernel (keepalived's clear_services).
#pragma once
#include <memory>
#include <string>

#include "base/urgent.hpp"
#include "conf/model.hpp"
#include "daemon/loop.hpp"

namespace vigil::daemon {

class CheckerService {
 public:
  // tcp_half_open: TCP_CHECKs by half-open SYN probes where the raw sockets can be opened
  // (--tcp-check=syn), else by connect().
  explicit CheckerService(Loop& loop, bool tcp_half_open = true);
  ~CheckerService();
  CheckerService(const CheckerService&) = delete;
  CheckerService& operator=(const CheckerService&) = delete;

  // `config` must outlive the service (the checkers refer to it).
  void start(const conf::Config& config);
  // SIGTERM: probing ends (omega notifications), the services leave the kernel.
  void stop();
  void dump();  // SIGUSR1
  // A BFD session came Up or left it: every BFD_CHECK naming it reports that level.
  void on_bfd(const std::string& name, bool up);
  // Another subsystem's priority lane on the same loop (VRRP's adverts), polled between
  // the probes of a burst; null: none.
  void set_urgent(Urgent* urgent);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::daemon
