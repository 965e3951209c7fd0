#include "daemon/vrrp_service.hpp"

#include <net/if.h>

#include "vrrpd/io/arp_sender.hpp"
#include "vrrpd/io/instance_config.hpp"
#include "vrrpd/io/link_monitor.hpp"
#include "vrrpd/io/net.hpp"
#include "vrrpd/io/nl_vip_installer.hpp"
#include "vrrpd/io/scripts.hpp"
#include "vrrpd/io/service.hpp"
#include "vrrpd/io/timer.hpp"
#include "vrrpd/io/vrrp_socket.hpp"

namespace vigil::daemon {
namespace {

namespace vio = vrrp::io;

// The vrrpd drivers' Log port on the daemon's asynchronous Logger (same level order).
class LogAdapter final : public vio::Log {
 public:
  explicit LogAdapter(Logger& log) : log_(log) {}
  bool enabled(vio::Severity s) const override { return log_.enabled(level(s)); }
  void write(vio::Severity s, std::string message) override {
    log_.log(level(s), std::move(message));
  }

 private:
  static LogLevel level(vio::Severity s) { return static_cast<LogLevel>(s); }
  Logger& log_;
};

// Stands in when no netlink socket could be had: every change fails, and says why.
class NoVipInstaller final : public vio::VipInstaller {
 public:
  explicit NoVipInstaller(std::string why) : why_(std::move(why)) {}
  Result<void, std::string> add(const vio::Vip& v) override { return unexpected(fail(v)); }
  Result<bool, std::string> remove(const vio::Vip& v) override { return unexpected(fail(v)); }

 private:
  std::string fail(const vio::Vip& v) { return vio::to_string(v) + ": " + why_; }
  std::string why_;
};

}  // namespace

struct VrrpService::Impl {
  explicit Impl(Loop& loop)
      : loop(loop),
        log(loop.log()),
        timers(loop.context(), loop.clock()),
        sockets(loop.context()),
        scripts(loop.context(), timers, log) {}

  Loop& loop;
  LogAdapter log;
  vio::AsioTimerService timers;
  vio::AsioSocketFactory sockets;
  std::unique_ptr<vio::VipInstaller> vips;
  vio::PacketArpSender arp;
  vio::SpawnScriptRunner scripts;
  std::unique_ptr<vio::LinkMonitor> links;
  std::unique_ptr<vio::Service> service;
};

VrrpService::VrrpService(Loop& loop) : impl_(std::make_unique<Impl>(loop)) {}

VrrpService::~VrrpService() = default;

void VrrpService::start(const conf::Config& config) {
  auto& m = *impl_;
  Logger& log = m.loop.log();
  if (config.vrrp_instances.empty() || m.service) return;

  if (auto nl = vio::NlVipInstaller::open()) {
    m.vips = std::move(*nl);
  } else {
    log.error("vrrp: " + nl.error() + "; virtual addresses cannot be managed");
    m.vips = std::make_unique<NoVipInstaller>(nl.error());
  }

  std::vector<vio::InstanceConfig> configs;
  for (const auto& vi : config.vrrp_instances) {
    auto c = vio::make_instance_config(vi, config.global, &vio::lookup_interface);
    if (!c) {
      log.error("(" + vi.name.value + ") " + c.error() + "; instance not started");
      continue;
    }
    configs.push_back(std::move(*c));
  }

  m.service = std::make_unique<vio::Service>(
      std::move(configs), vio::Service::Ports{m.sockets, *m.vips, m.arp, m.scripts, m.timers, m.log});
  // The monitor first: a link that changes while the instances start is not missed.
  if (auto links = vio::LinkMonitor::open(
          m.loop.context(), [svc = m.service.get()](const vio::LinkEvent& e) { svc->on_link(e); })) {
    m.links = std::move(*links);
  } else {
    log.warning("vrrp: " + links.error() + "; interface changes will not be noticed");
  }
  m.service->start([](int ifindex) {
    char name[IF_NAMESIZE]{};
    if (!::if_indextoname(static_cast<unsigned>(ifindex), name)) return false;
    auto info = vio::lookup_interface(name);
    return info && info->up && info->running;
  });
}

void VrrpService::stop() {
  if (impl_->service) impl_->service->stop();
  impl_->links.reset();
}

void VrrpService::dump() {
  if (impl_->service) impl_->service->dump();
}

}  // namespace vigil::daemon
