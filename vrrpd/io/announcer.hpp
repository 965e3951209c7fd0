// keepalived's gratuitous ARP / unsolicited NA schedule for a Master (RFC 5798 §6.4.1 and
// §6.4.2 ask for one; keepalived repeats them because switches and hosts miss some):
//   on becoming Master  garp_master_repeat rounds, garp_interval apart
//   garp_master_delay   after becoming Master, another garp_master_repeat rounds (0 = none)
//   garp_master_refresh every so often while Master, garp_master_refresh_repeat rounds
// A round is one message per virtual address. Rounds are timer-driven, so a burst never
// holds the loop.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/ip.hpp"
#include "vrrpd/io/arp_sender.hpp"
#include "vrrpd/io/timer.hpp"

namespace vigil::vrrp::io {

struct GarpConfig {
  Duration delay{std::chrono::seconds{5}};  // garp_master_delay; zero: no second burst
  unsigned repeat{5};                       // garp_master_repeat
  Duration refresh{};                       // garp_master_refresh; zero: none
  unsigned refresh_repeat{1};               // garp_master_refresh_repeat
  Duration interval{};                      // garp_interval (IPv4) / gna_interval (IPv6)
  unsigned lower_repeat{5};                 // garp_lower_prio_repeat (0: none)
  Duration lower_delay{std::chrono::seconds{5}};  // garp_lower_prio_delay
};

struct AnnounceTarget {
  int ifindex{};
  IpAddress address;
};

class Announcer {
 public:
  using OnError = std::function<void(const std::string&)>;
  Announcer(GarpConfig config, std::vector<AnnounceTarget> targets, ArpSender& sender,
            TimerService& timers, OnError on_error);

  void start();  // on becoming Master: the first round goes out now
  // A Master heard a lower priority: garp_lower_prio_repeat rounds now, again after
  // garp_lower_prio_delay (then refresh as usual).
  void lower_priority();
  void stop();   // on leaving Master
  bool active() const { return phase_ != Phase::idle; }
  std::uint64_t sent() const { return sent_; }

 private:
  enum class Phase { idle, first, second, refresh };
  void round();
  void next();
  void begin(Phase phase, unsigned rounds, TimePoint at);
  void burst(unsigned rounds, Duration delay);

  GarpConfig config_;
  std::vector<AnnounceTarget> targets_;
  ArpSender& sender_;
  TimerService& timers_;
  OnError on_error_;
  std::unique_ptr<Timer> timer_;
  Phase phase_{Phase::idle};
  unsigned left_{0};  // rounds left in the current burst
  unsigned rounds_{0};  // of the current first/second burst
  Duration delay_{};    // until the second burst
  TimePoint started_{};
  std::uint64_t sent_{0};
};

}  // namespace vigil::vrrp::io
