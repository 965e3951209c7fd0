// The port through which an instance installs and removes its virtual addresses. The real
// one speaks rtnetlink through libnl-route-3 (NlVipInstaller); tests use an in-memory fake.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/ip.hpp"
#include "base/result.hpp"

namespace vigil::vrrp::io {

// One `virtual_ipaddress` line, resolved: `<prefix> [brd <ip>] [dev <if>] [scope <s>]
// [label <l>] [peer <ip>] [nodad] [noprefixroute] [home]`.
struct Vip {
  Prefix address;
  int ifindex{};
  std::string dev;                       // the interface name, for logs
  std::optional<IpAddress> broadcast;    // IPv4 only
  std::optional<IpAddress> peer;
  std::uint8_t scope{0};                 // RT_SCOPE_*: 0 global, 200 site, 253 link, 254 host
  std::string label;                     // IPv4 only (IFA_LABEL)
  bool nodad{false}, noprefixroute{false}, home{false};
  friend bool operator==(const Vip&, const Vip&) = default;
};

std::string to_string(const Vip& v);  // "192.0.2.10/24 dev eth0"

class VipInstaller {
 public:
  virtual ~VipInstaller() = default;
  // Installing an address that is already there, and removing one that is not, succeed:
  // both are what the caller wants. remove() tells whether the address was there. Errors
  // are messages for the log.
  virtual Result<void, std::string> add(const Vip& vip) = 0;
  virtual Result<bool, std::string> remove(const Vip& vip) = 0;

  // An add that may wait, with others, for flush(): many instances taking over at once (a
  // thousand Backups whose Master left) then cost a few netlink round trips, not one each.
  // `done` gets add()'s result, at the latest when flush() runs (the real installer flushes
  // at the end of the loop turn, or sooner when enough are queued). add(), remove() and
  // flush() send what is queued first: the kernel sees the changes in the order asked.
  // Here: add() at once.
  using Done = std::function<void(Result<void, std::string>)>;
  virtual void add_queued(const Vip& vip, Done done) { done(add(vip)); }
  // A remove that may wait, with others, for flush(), as add_queued(). The real installer
  // sends each run of queued removes last-added first: with promote_secondaries, deleting
  // the first address of a subnet promotes the next and re-adds the routes of every other
  // (a thousand Masters stepping down, VIPs in one subnet, deleted in the order they were
  // added: each deletion a promotion). Here: remove() at once.
  virtual void remove_queued(const Vip& vip, Done done) {
    auto removed = remove(vip);
    done(removed ? Result<void, std::string>{} : unexpected(removed.error()));
  }
  virtual void flush() {}
};

}  // namespace vigil::vrrp::io
