#include "daemon/vrrp_service.hpp"

#include <net/if.h>
#include <sys/prctl.h>

#include <algorithm>
#include <csignal>

#include <boost/asio/post.hpp>
#include <utility>
#include <vector>

#include "vrrpd/io/arp_sender.hpp"
#include "vrrpd/io/fifo_file.hpp"
#include "vrrpd/io/file_watch.hpp"
#include "vrrpd/io/instance_config.hpp"
#include "vrrpd/io/link_monitor.hpp"
#include "vrrpd/io/net.hpp"
#include "vrrpd/io/nl_vip_installer.hpp"
#include "vrrpd/io/nl_vmac.hpp"
#include "vrrpd/io/route_installer.hpp"
#include "vrrpd/io/scripts.hpp"
#include "vrrpd/io/service.hpp"
#include "vrrpd/io/timer.hpp"
#include "vrrpd/io/vip_filter.hpp"
#include "vrrpd/io/vrrp_socket.hpp"

namespace vigil::daemon {
namespace {

namespace vio = vrrp::io;

// The vrrpd drivers' Log port on the daemon's asynchronous Logger (same level order).
// The lines of one burst of handlers (1,000 instances changing state at once) are handed to
// the Logger together, after the burst: its writer thread then wakes once for them rather
// than once per line, between the netlink calls of the takeover. flush() before the loop
// stops.
class LogAdapter final : public vio::Log {
 public:
  LogAdapter(Logger& log, boost::asio::io_context& io)
      : log_(log), io_(io), alive_(std::make_shared<bool>(true)) {}
  ~LogAdapter() override {
    flush();
    *alive_ = false;
  }
  LogAdapter(const LogAdapter&) = delete;
  LogAdapter& operator=(const LogAdapter&) = delete;

  bool enabled(vio::Severity s) const override { return log_.enabled(level(s)); }
  void write(vio::Severity s, std::string message) override {
    pending_.push_back({level(s), std::move(message), std::chrono::system_clock::now()});
    if (pending_.size() >= kMaxPending) return flush();
    if (pending_.size() == 1) post(1);
  }
  void flush() {
    auto lines = std::exchange(pending_, {});
    for (auto& p : lines) log_.log(p.level, std::move(p.message), p.at);
  }

 private:
  // The lines go to the Logger (whose writer is woken for them) once the turn's other
  // handlers have run: posted twice, the flush comes after what this turn posted later (a
  // takeover's batched address adds, and the gratuitous ARP that waits for them).
  void post(int more) {
    boost::asio::post(io_, [this, more, alive = std::weak_ptr<bool>(alive_)] {
      if (auto a = alive.lock(); !a || !*a) return;
      if (more > 0) return post(more - 1);
      flush();
    });
  }
  static constexpr std::size_t kMaxPending = 1024;
  static LogLevel level(vio::Severity s) { return static_cast<LogLevel>(s); }
  Logger& log_;
  boost::asio::io_context& io_;
  struct Pending {
    LogLevel level;
    std::string message;
    LogTime at;  // when it happened, not when the loop turn ended
  };
  std::vector<Pending> pending_;
  std::shared_ptr<bool> alive_;
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

// The urgent lane (base/urgent.hpp): the advert timers due now fire, and whatever they
// queued goes out, in the middle of another subsystem's burst.
struct AdvertLane final : Urgent {
  AdvertLane(vio::AsioTimerService& t, const std::unique_ptr<vio::Service>& s) : timers(t), service(s) {}
  void poll() override {
    timers.run_overdue();
    if (service) service->flush_sends();
  }
  vio::AsioTimerService& timers;
  const std::unique_ptr<vio::Service>& service;
};

struct VrrpService::Impl {
  explicit Impl(Loop& loop)
      : loop(loop),
        log(loop.log(), loop.context()),
        timers(loop.context(), loop.clock()),
        sockets(loop.context()),
        scripts(loop.context(), timers, log) {
    timers.set_spin_lane(&lane);  // a takeover's spin (precise Master_Down_Timers) polls it
  }

  Loop& loop;
  LogAdapter log;
  vio::AsioTimerService timers;
  vio::AsioSocketFactory sockets;
  std::unique_ptr<vio::VipInstaller> vips;
  std::unique_ptr<vio::NlRouteInstaller> routes;
  std::unique_ptr<vio::NlVmacPort> vmacs;  // only when some instance has use_vmac
  // promote_secondaries on the interfaces of the IPv4 VIPs; the old values put back at stop.
  std::unique_ptr<vio::NlVmacPort> sysctls;
  vio::BaseSysctls promoted;
  std::vector<std::pair<int, std::string>> promoted_ifs;
  void promote_secondaries(const std::vector<vio::InstanceConfig>& configs);
  void restore_secondaries();
  vio::PacketArpSender arp;
  vio::SpawnScriptRunner scripts;
  std::unique_ptr<vio::LinkMonitor> links;
  std::unique_ptr<vio::FileWatch> files;
  std::unique_ptr<vio::NftFilter> filter;  // no_accept: set while vigil's table is installed
  std::string filter_table;
  // notify_fifo and vrrp_notify_fifo (declared before the Service: it writes its STOP lines
  // before they close), and their scripts, stopped with the service.
  std::vector<std::unique_ptr<vio::FifoFile>> fifo_files;
  vio::FifoFanOut fifo;
  std::vector<std::uint64_t> fifo_scripts;
  void open_fifos(const conf::GlobalDefs& g);
  // What resolving an instance anew needs of the configuration.
  struct Kept {
    conf::GlobalDefs global;
    std::vector<conf::VrrpInstance> instances;
  };
  std::shared_ptr<const Kept> config;
  std::unique_ptr<vio::Service> service;
  AdvertLane lane{timers, service};
};

// keepalived: the FIFO is created if missing, its script (if any) started with the FIFO's
// name as last argument, then the FIFO opened. notify_fifo gets the VRRP lines as well as
// vrrp_notify_fifo; a path given for both is written once.
void VrrpService::Impl::open_fifos(const conf::GlobalDefs& g) {
  const std::pair<const conf::Setting<std::string>*, const conf::Setting<conf::Script>*> fifos[] = {
      {&g.notify_fifo, &g.notify_fifo_script}, {&g.vrrp_notify_fifo, &g.vrrp_notify_fifo_script}};
  for (const auto& [path, script] : fifos) {
    if (!path->is_set() || (*path)->empty()) continue;
    bool seen = false;
    for (const auto& f : fifo_files) seen = seen || f->path() == **path;
    if (seen) continue;
    auto f = vio::FifoFile::open(loop.context(), **path, timers, log);
    if (!f) {
      loop.log().error("vrrp: " + f.error());
      continue;
    }
    if (script->is_set()) {
      auto prepared = vio::prepare_script(*script, g);
      if (!prepared.warning.empty()) loop.log().warning("vrrp: notify fifo script " + prepared.warning);
      if (!prepared.argv.empty()) {
        prepared.argv.push_back(**path);
        // It reads for as long as we run; stopped with us.
        if (auto id = scripts.start(std::move(prepared.argv), std::chrono::hours{24 * 365 * 10}, nullptr,
                                    prepared.as))
          fifo_scripts.push_back(id);
      }
    }
    fifo.add(**f);
    fifo_files.push_back(std::move(*f));
  }
}

// keepalived's choice: without promote_secondaries, deleting the first IPv4 address of a
// subnet on an interface deletes every other address of that subnet with it. A Master
// releasing its VIP took the VIPs of the instances still Master in the same subnet along
// (the address monitor put them back, with a GARP round each: 2,094 such restores in one
// 1,000-instance bench run, some after the peer had taken the instance over).
void VrrpService::Impl::promote_secondaries(const std::vector<vio::InstanceConfig>& configs) {
  std::vector<std::pair<int, std::string>> ifs;
  for (const auto& c : configs)
    for (const auto& v : c.vips)
      if (v.address.address.is_v4() && v.ifindex > 0 &&
          std::find_if(ifs.begin(), ifs.end(), [&](const auto& i) { return i.first == v.ifindex; }) == ifs.end())
        ifs.emplace_back(v.ifindex, v.dev);
  if (ifs.empty()) return;
  if (!sysctls) {
    auto nl = vio::NlVmacPort::open();
    if (!nl) return loop.log().warning("vrrp: " + nl.error() + "; promote_secondaries not set");
    sysctls = std::move(*nl);
  }
  const std::vector<vio::Sysctl> wanted{{vio::SysctlKey::promote_secondaries, 1}};
  for (const auto& [ifindex, name] : ifs) {
    auto now = sysctls->read(ifindex, name, wanted);
    auto set = now ? sysctls->apply(ifindex, name, promoted.acquire(ifindex, *now, wanted))
                   : Result<void, std::string>(unexpected(now.error()));
    if (!set) {
      (void)promoted.release(ifindex);
      loop.log().warning("vrrp: promote_secondaries on " + name + ": " + set.error());
      continue;
    }
    promoted_ifs.emplace_back(ifindex, name);
  }
}

void VrrpService::Impl::restore_secondaries() {
  for (const auto& [ifindex, name] : promoted_ifs)
    if (auto restore = promoted.release(ifindex); !restore.empty())
      if (auto r = sysctls->apply(ifindex, name, restore); !r)
        loop.log().warning("vrrp: promote_secondaries on " + name + " not put back: " + r.error());
  promoted_ifs.clear();
}

VrrpService::VrrpService(Loop& loop) : impl_(std::make_unique<Impl>(loop)) {}

Urgent& VrrpService::urgent() { return impl_->lane; }

VrrpService::~VrrpService() = default;

void VrrpService::start(const conf::Config& config) {
  auto& m = *impl_;
  Logger& log = m.loop.log();
  if (config.vrrp_instances.empty() || m.service) return;
  // The loop thread's timers fire when due, not up to 50 us later (the default timer slack
  // lets the kernel batch wake-ups): Master_Down_Timer is what a failover waits for.
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

  if (auto nl = vio::NlVipInstaller::open(m.loop.context())) {
    m.vips = std::move(*nl);
  } else {
    log.error("vrrp: " + nl.error() + "; virtual addresses cannot be managed");
    m.vips = std::make_unique<NoVipInstaller>(nl.error());
  }
  if (auto nl = vio::NlRouteInstaller::open()) m.routes = std::move(*nl);
  for (const auto& vi : config.vrrp_instances)
    if (vi.use_vmac.is_set() && !m.vmacs) {
      if (auto nl = vio::NlVmacPort::open()) m.vmacs = std::move(*nl);
      else log.error("vrrp: " + nl.error() + "; VMAC interfaces cannot be created");
    }
  m.open_fifos(config.global);

  std::vector<vio::InstanceConfig> configs;
  for (const auto& vi : config.vrrp_instances) {
    auto c = vio::make_instance_config(vi, config.global, &vio::lookup_interface);
    if (!c) {
      // No address to send adverts from yet: FAULT until the interface has one.
      log.error("(" + vi.name.value + ") " + c.error() + "; the instance waits in FAULT");
      auto none = [](const std::string&) { return std::optional<vio::InterfaceInfo>(); };
      c = vio::make_instance_config(vi, config.global, none);
      if (!c) continue;
    }
    c->track = vio::track_items(config, vi);
    for (const auto& w : c->warnings) log.warning("(" + vi.name.value + ") " + w);
    configs.push_back(std::move(*c));
  }

  m.promote_secondaries(configs);

  // no_accept: the table goes in before any instance can become Master.
  if (const auto spec = vio::filter_spec(configs, config.global); !spec.empty()) {
    auto nft = vio::NftFilter::open();
    auto installed = nft ? (*nft)->run(vio::nft_install_script(spec)) : Result<void, std::string>(std::unexpected(nft.error()));
    if (installed) {
      log.notice("vrrp: no_accept: packets to " + std::to_string(spec.v4.size() + spec.v6.size()) +
                 " virtual addresses dropped (nftables table inet " + spec.table + ")");
      m.filter = std::move(*nft);
      m.filter_table = spec.table;
    } else {
      log.error("vrrp: no_accept cannot be enforced, the host accepts packets for its virtual addresses: " +
                installed.error());
    }
  }

  vio::Service::Options options;
  std::vector<std::string> script_warnings;
  options.scripts = vio::script_specs(config, &script_warnings);
  options.groups = vio::sync_groups(config, &script_warnings);
  for (const auto& w : script_warnings) log.warning("vrrp: " + w);
  if (auto st = vio::static_addresses(config, &vio::lookup_interface))
    options.static_addresses = std::move(*st);
  else
    log.error("vrrp: " + st.error() + "; static addresses not installed");
  auto routes = vio::route_specs(config.static_routes, &vio::lookup_interface);
  auto rules = vio::rule_specs(config.static_rules, Family::v4);
  for (const auto* ws : {&routes.warnings, &rules.warnings})
    for (const auto& w : *ws) log.warning("vrrp: static " + w);
  options.static_routes = std::move(routes.routes);
  options.static_rules = std::move(rules.rules);
  options.interface_up = [](const std::string& name) {
    auto info = vio::lookup_interface(name);
    return info && info->up && info->running;
  };
  // An instance whose interface appears (or gets its address) after start: resolved anew
  // from the configuration, which is kept for that.
  m.config = std::make_shared<const Impl::Kept>(Impl::Kept{config.global, config.vrrp_instances});
  options.resolve = [cfg = m.config](const std::string& name) -> std::optional<vio::InstanceConfig> {
    for (const auto& vi : cfg->instances)
      if (vi.name.value == name)
        if (auto c = vio::make_instance_config(vi, cfg->global, &vio::lookup_interface)) return std::move(*c);
    return std::nullopt;
  };

  m.service = std::make_unique<vio::Service>(
      std::move(configs),
      vio::Service::Ports{m.sockets, *m.vips, m.arp, m.scripts, m.timers, m.log, m.routes.get(),
                          m.fifo.empty() ? nullptr : &m.fifo, m.vmacs.get()},
      std::move(options));
  // The monitor first: a link that changes while the instances start is not missed.
  if (auto links = vio::LinkMonitor::open(
          m.loop.context(), [svc = m.service.get()](const vio::LinkEvent& e) { svc->on_link(e); },
          [svc = m.service.get()](const vio::AddrEvent& e) { svc->on_addr(e); })) {
    m.links = std::move(*links);
  } else {
    log.warning("vrrp: " + links.error() + "; interface changes will not be noticed");
  }
  // track_file: the values now, and every change through inotify.
  const auto files = vio::file_specs(config);
  if (!files.empty()) {
    if (auto fw = vio::FileWatch::open(m.loop.context(), [svc = m.service.get()](const std::string& n, long long v) {
          svc->set_file_value(n, v);
        })) {
      m.files = std::move(*fw);
    } else {
      log.error("vrrp: " + fw.error() + "; track_file changes will not be noticed");
    }
    for (const auto& f : files) {
      if (auto init = vio::init_track_file(f); !init) log.warning("vrrp: " + init.error());
      long long value = vio::read_track_file(f.path);
      if (m.files) {
        if (auto added = m.files->add(f.name, f.path)) value = *added;
        else log.warning("vrrp: " + added.error());
      }
      m.service->set_file_value(f.name, value);
    }
  }
  m.service->start([](int ifindex) {
    char name[IF_NAMESIZE]{};
    if (!::if_indextoname(static_cast<unsigned>(ifindex), name)) return false;
    auto info = vio::lookup_interface(name);
    return info && info->up && info->running;
  });
}

void VrrpService::stop() {
  // The priority-0 adverts before anything else: the Backups' Skew_Time starts from them.
  if (impl_->service) impl_->service->hand_off();
  impl_->links.reset();  // our own removals are not "deleted by someone else"
  impl_->files.reset();
  if (impl_->service) impl_->service->stop();
  impl_->restore_secondaries();
  if (impl_->filter) {
    if (auto removed = impl_->filter->run(vio::nft_remove_script(impl_->filter_table)); !removed)
      impl_->loop.log().error("vrrp: " + removed.error());
    impl_->filter.reset();
  }
  // The STOP lines are in the FIFOs (or queued); the readers we started go now.
  for (auto id : impl_->fifo_scripts) impl_->scripts.signal(id, SIGTERM);
  impl_->log.flush();  // the loop stops after this
}

void VrrpService::on_bfd(const std::string& name, bool up) {
  if (impl_->service) impl_->service->set_bfd_state(name, up);
}

void VrrpService::dump() {
  if (impl_->service) impl_->service->dump();
}

}  // namespace vigil::daemon
