// The BFD subsystem on the daemon's loop (keepalived's BFD process): one bfd::io::Service
// with a session per bfd_instance. VRRP (track_bfd) and the checkers (BFD_CHECK) subscribe
// to session changes. Runs whenever the configuration has bfd_instance blocks, unless -B.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "conf/model.hpp"
#include "daemon/loop.hpp"

namespace vigil::daemon {

class BfdService {
 public:
  // A session's name and whether it is Up, on every change into or out of Up.
  using Observer = std::function<void(const std::string& name, bool up)>;

  explicit BfdService(Loop& loop);
  ~BfdService();
  BfdService(const BfdService&) = delete;
  BfdService& operator=(const BfdService&) = delete;

  // Hands the observer every session's level now, then each change into or out of Up.
  void subscribe(Observer observer);
  void start(const conf::Config& config);
  void stop();  // AdminDown to every peer
  void dump();  // SIGUSR1
  std::optional<bool> up(const std::string& name) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::daemon
