// A priority lane on the one event loop, without a second thread.
//
// Asio runs ready handlers in order: a VRRP advert timer that comes due while a burst of
// other completions is queued (a hundred curl sockets ready in one epoll_wait, a thousand
// probes due in one tick) waits for all of them. Code that works through such bursts calls
// `poll()` between its items; the owner of the urgent work (vrrpd's advert timers) runs
// whatever of it is due there and then, so it waits for one item at most, not the burst.
// poll() costs a clock read when nothing is due. It runs on the loop thread only, and only
// where the caller's own state is consistent (between items, never inside one).
#pragma once

namespace vigil {

class Urgent {
 public:
  virtual ~Urgent() = default;
  virtual void poll() = 0;
};

}  // namespace vigil
