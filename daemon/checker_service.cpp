#include "daemon/checker_service.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <map>
#include <random>

#include "checkers/io/driver.hpp"
#include "checkers/io/http_probe.hpp"
#include "checkers/io/misc_runner.hpp"
#include "checkers/io/prober.hpp"
#include "checkers/io/tcp_probe.hpp"
#include "ipvs_glue/io/async_netlink_ipvs.hpp"
#include "ipvs_glue/io/fake_ipvs.hpp"
#include "ipvs_glue/io/netlink_ipvs.hpp"
#include "ipvs_glue/io/reconcile.hpp"
#include "ipvs_glue/io/reconcile_service.hpp"
#include "ipvs_glue/model/from_config.hpp"

namespace vigil::daemon {
namespace {

namespace cio = checkers::io;

// The checkers' Log port on the daemon's asynchronous Logger (same level order).
class LogAdapter final : public cio::Log {
 public:
  explicit LogAdapter(Logger& log) : log_(log) {}
  bool enabled(cio::Severity s) const override { return log_.enabled(static_cast<LogLevel>(s)); }
  void write(cio::Severity s, std::string message) override { log_.log(static_cast<LogLevel>(s), std::move(message)); }

 private:
  Logger& log_;
};

ipvs::Protocol protocol_of(conf::Proto p) {
  switch (p) {
    case conf::Proto::udp: return ipvs::Protocol::udp;
    case conf::Proto::sctp: return ipvs::Protocol::sctp;
    case conf::Proto::tcp: break;
  }
  return ipvs::Protocol::tcp;
}

// The family of a fwmark service, as ipvs_glue's desired_from_config decides it.
Family fwmark_family(const conf::VirtualServer& vs, const conf::VirtualServerGroup* g) {
  if (vs.fwmark_family) return *vs.fwmark_family;
  if (vs.ip_family.is_set()) return *vs.ip_family == "inet6" ? Family::v6 : Family::v4;
  if (g)
    for (const auto& e : g->entries)
      if (e.kind != conf::VsgEntry::Kind::fwmark) return e.first.family();
  if (!vs.real_servers.empty()) return vs.real_servers.front().address.family();
  return Family::v4;
}

IpAddress with_last_part(const IpAddress& a, unsigned v) {
  auto b = a.bytes();
  if (a.is_v4()) return IpAddress::v4((a.v4_host_order() & 0xffffff00u) | (v & 0xff));
  b[14] = static_cast<std::uint8_t>(v >> 8);
  b[15] = static_cast<std::uint8_t>(v);
  return IpAddress::v6(b);
}

unsigned last_part(const IpAddress& a) {
  const auto& b = a.bytes();
  return a.is_v4() ? b[3] : (unsigned{b[14]} << 8 | b[15]);
}

// The kernel services of one virtual_server (a group expands to several).
std::vector<ipvs::ServiceKey> service_keys(const conf::Config& c, const conf::VirtualServer& vs) {
  std::vector<ipvs::ServiceKey> out;
  const auto proto = protocol_of(*vs.protocol);
  switch (vs.kind) {
    case conf::VirtualServer::Kind::address: out.push_back(ipvs::ServiceKey::inet(proto, vs.address, vs.port)); break;
    case conf::VirtualServer::Kind::fwmark:
      out.push_back(ipvs::ServiceKey::mark(fwmark_family(vs, nullptr), static_cast<std::uint32_t>(vs.fwmark)));
      break;
    case conf::VirtualServer::Kind::group:
      for (const auto& g : c.virtual_server_groups) {
        if (g.name.value != vs.group) continue;
        for (const auto& e : g.entries) {
          if (e.kind == conf::VsgEntry::Kind::fwmark)
            out.push_back(ipvs::ServiceKey::mark(fwmark_family(vs, &g), static_cast<std::uint32_t>(e.fwmark)));
          else if (e.kind == conf::VsgEntry::Kind::address)
            out.push_back(ipvs::ServiceKey::inet(proto, e.first, e.port));
          else
            for (unsigned v = last_part(e.first); v <= last_part(e.last); ++v)
              out.push_back(ipvs::ServiceKey::inet(proto, with_last_part(e.first, v), e.port));
        }
        break;
      }
      break;
  }
  return out;
}

ipvs::ForwardMethod method_of(conf::LbKind k) {
  switch (k) {
    case conf::LbKind::dr: return ipvs::ForwardMethod::route;
    case conf::LbKind::tun: return ipvs::ForwardMethod::tunnel;
    case conf::LbKind::nat: break;
  }
  return ipvs::ForwardMethod::masq;
}

}  // namespace

struct CheckerService::Impl {
  explicit Impl(Loop& l) : loop(l), log(l.log()), prober(l.context(), log), scripts(l.context()) {}

  Loop& loop;
  LogAdapter log;
  const conf::Config* config{nullptr};
  cio::AsioProber prober;
  cio::MiscRunner scripts;  // notify scripts
  // Who runs them, resolved once per (user, group).
  std::map<std::pair<std::string, std::string>, Result<proc::Credentials, std::string>> users;
  std::unique_ptr<cio::CheckerDriver> driver;
  Urgent* urgent{nullptr};
  cio::TcpCheckMode tcp_mode{cio::TcpCheckMode::syn};
  // The table is kept by the ReconcileService on the loop (async netlink client, or the
  // fake behind PostedIpvs); `port` is the blocking view of the same kernel (or the same
  // fake), used only by stop(), when the loop is about to end.
  std::unique_ptr<ipvs::IpvsPort> kernel_port;
  ipvs::IpvsPort* port{nullptr};
  std::unique_ptr<ipvs::AsyncIpvsPort> async;
  std::unique_ptr<ipvs::ReconcileService> reconciler;
  bool kernel{false};
  ipvs::IpvsTable base;  // desired_from_config: every real server present
  std::set<ipvs::ServiceKey> owned;
  std::map<ipvs::ServiceKey, std::uint32_t> owner;  // service -> virtual_server index
  std::vector<std::vector<checkers::SetRealServer>> state;  // [vs][rs]
  std::vector<bool> sorry_in;
  bool dirty{false}, posted{false}, stopped{false};
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  void open_port() {
    auto nl = ipvs::NetlinkIpvs::open();
    if (nl) {
      auto a = ipvs::AsyncNetlinkIpvs::open(loop.context());
      if (a) {
        kernel_port = std::move(*nl);
        port = kernel_port.get();
        async = std::move(*a);
        kernel = true;
        log.write(cio::Severity::notice, "IPVS: the checkers drive the kernel's table (generic netlink)");
        return;
      }
      nl = unexpected(a.error());
    }
    auto fake = std::make_unique<ipvs::FakeIpvs>();
    port = fake.get();
    async = std::make_unique<ipvs::PostedIpvs>(loop.context(), std::move(fake));
    log.write(cio::Severity::warning, "IPVS: " + nl.error().message +
                                          ": the checkers drive an in-memory table (FakeIpvs); the kernel is not changed");
  }

  // The ReconcileService's lines in the checkers' words ("IPVS: N changes: ...").
  void reconciler_log(ipvs::Severity s, std::string line) {
    if (line.starts_with("ipvs: ")) line = "IPVS: " + line.substr(6);
    log.write(static_cast<cio::Severity>(s), std::move(line));
  }

  void index(const conf::Config& c) {
    base = ipvs::desired_from_config(c);
    owned = ipvs::owned_keys(base);
    for (std::uint32_t vi = 0; vi < c.virtual_servers.size(); ++vi)
      for (const auto& k : service_keys(c, c.virtual_servers[vi])) owner.emplace(k, vi);  // first wins
    state.resize(c.virtual_servers.size());
    sorry_in.assign(c.virtual_servers.size(), false);
    for (std::uint32_t vi = 0; vi < c.virtual_servers.size(); ++vi) {
      state[vi].resize(c.virtual_servers[vi].real_servers.size());
      for (std::uint32_t ri = 0; ri < state[vi].size(); ++ri) state[vi][ri] = {{vi, ri}, false, 0};
    }
  }

  // The sorry server's destination in service `s` of `vs`.
  ipvs::Dest sorry_dest(const conf::VirtualServer& vs, const ipvs::Service& s) {
    ipvs::Dest d;
    d.address = vs.sorry_server->address;
    d.port = vs.sorry_server->port.value_or(s.key.port);
    conf::LvsMethod m = *vs.lvs_method;
    if (vs.sorry_server_lvs_method.is_set()) {
      std::string name = *vs.sorry_server_lvs_method;
      for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (name == "NAT") m = conf::LvsMethod{conf::LbKind::nat};
      if (name == "DR") m = conf::LvsMethod{conf::LbKind::dr};
      if (name == "TUN") m = conf::LvsMethod{conf::LbKind::tun};
    }
    d.method = method_of(m.kind);
    return d;
  }

  ipvs::IpvsTable desired() {
    ipvs::IpvsTable t = base;
    for (auto& s : t.services) {
      const auto it = owner.find(s.key);
      if (it == owner.end()) continue;
      const std::uint32_t vi = it->second;
      const conf::VirtualServer& vs = config->virtual_servers[vi];
      std::vector<ipvs::Dest> dests;
      if (!vs.real_servers.empty()) {
        for (std::uint32_t ri = 0; ri < vs.real_servers.size() && ri < s.dests.size(); ++ri) {
          const auto& st = state[vi][ri];
          if (!st.present) continue;
          ipvs::Dest d = s.dests[ri];
          d.weight = static_cast<std::int32_t>(st.weight);
          dests.push_back(d);
        }
      }
      if (vs.sorry_server.is_set() && (sorry_in[vi] || *vs.sorry_server_inhibit)) {
        ipvs::Dest d = vs.real_servers.empty() && !s.dests.empty() ? s.dests.front() : sorry_dest(vs, s);
        d.weight = sorry_in[vi] ? 1 : 0;
        const bool clash = std::any_of(dests.begin(), dests.end(), [&](const ipvs::Dest& x) { return x.key() == d.key(); });
        if (!clash) dests.push_back(d);
      }
      s.dests = std::move(dests);
    }
    return t;
  }

  void schedule() {
    dirty = true;
    if (posted) return;
    posted = true;
    boost::asio::post(loop.context(), [this, weak = std::weak_ptr<bool>(alive)] {
      if (!weak.lock()) return;
      posted = false;
      if (dirty) apply(desired());
    });
  }

  // The changes of one loop turn, to the ReconcileService: planned against its cached view of
  // the kernel (a weight change is one netlink request); it also repairs drift every 60 s.
  void apply(ipvs::IpvsTable want) {
    dirty = false;
    if (!reconciler) {
      reconciler = std::make_unique<ipvs::ReconcileService>(
          loop.context(), *async, [this](ipvs::Severity s, std::string line) { reconciler_log(s, std::move(line)); });
      reconciler->start(std::move(want), owned);
      return;
    }
    reconciler->set_desired(std::move(want));
  }

  // stop(): the loop is ending, so this one is blocking (keepalived's clear_services).
  void clear() {
    if (reconciler) reconciler->stop();
    auto r = ipvs::reconcile(*port, ipvs::IpvsTable{}, owned);
    if (!r) {
      log.write(cio::Severity::error, "IPVS: " + r.error().message);
      return;
    }
    if (r->ops > 0) log.write(cio::Severity::info, "IPVS: " + r->summary);
    for (const auto& f : r->failures) log.write(cio::Severity::error, "IPVS: " + f.message);
  }

  void notify(const checkers::Notify& n) {
    using checkers::NotifyKind;
    const bool rs = n.kind == NotifyKind::rs_up || n.kind == NotifyKind::rs_down;
    const bool up = n.kind == NotifyKind::rs_up || n.kind == NotifyKind::quorum_up;
    if (n.script && !n.script->command.empty()) {
      // Not waited for; reaped when it ends (an hour at most). As its `user [group]`, else
      // global_defs script_user.
      std::string user = n.script->user, group = n.script->group;
      const auto& gd = config->global;
      if (user.empty() && gd.script_user.is_set())
        user = *gd.script_user, group = gd.script_group.is_set() ? *gd.script_group : std::string();
      std::optional<proc::Credentials> as;
      if (!user.empty()) {
        auto it = users.find({user, group});
        if (it == users.end()) it = users.emplace(std::pair{user, group}, proc::resolve_user(user, group)).first;
        if (!it->second) {
          log.write(cio::Severity::warning, "notify script " + n.script->command + ": " + it->second.error());
          return;
        }
        if (it->second->uid != ::geteuid() || it->second->gid != ::getegid()) as = *it->second;
      }
      scripts.run(n.script->command, loop.clock().now() + std::chrono::hours(1), [](cio::MiscExit) {}, as);
    }
    const auto& g = config->global;
    const std::string line = (rs ? "RS " + driver->rs_name(n.server) + " " : std::string("VS ")) +
                             driver->vs_name(n.server.vs) + (up ? " UP" : " DOWN") + "\n";
    for (const auto* fifo : {&g.lvs_notify_fifo, &g.notify_fifo}) {
      if (!fifo->is_set() || (*fifo)->empty()) continue;
      // Non-blocking: no reader (ENXIO) or a full pipe drops the line rather than the loop.
      const int fd = ::open((*fifo)->c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) continue;
      [[maybe_unused]] const auto w = ::write(fd, line.data(), line.size());
      ::close(fd);
    }
  }

  void effect(const checkers::Action& a) {
    if (const auto* s = std::get_if<checkers::SetRealServer>(&a)) {
      state.at(s->server.vs).at(s->server.rs) = *s;
      schedule();
    } else if (const auto* w = std::get_if<checkers::SwapSorry>(&a)) {
      sorry_in.at(w->vs) = w->in;
      schedule();
    } else if (const auto* n = std::get_if<checkers::Notify>(&a)) {
      notify(*n);
    }
  }
};

CheckerService::CheckerService(Loop& loop, bool tcp_half_open) : impl_(std::make_unique<Impl>(loop)) {
  impl_->tcp_mode = tcp_half_open ? cio::TcpCheckMode::syn : cio::TcpCheckMode::connect;
}

CheckerService::~CheckerService() = default;

void CheckerService::start(const conf::Config& config) {
  Impl& m = *impl_;
  m.config = &config;
  m.open_port();
  m.index(config);
  m.prober.set_tls(cio::tls_settings(config));
  m.prober.set_tcp_mode(m.tcp_mode);
  if (config.global.script_user.is_set())
    m.prober.set_script_user(*config.global.script_user,
                             config.global.script_group.is_set() ? *config.global.script_group : std::string());
  std::size_t checkers = 0;
  for (const auto& vs : config.virtual_servers)
    for (const auto& rs : vs.real_servers) checkers += rs.checkers.size();
  m.log.write(cio::Severity::notice, "checkers: " + std::to_string(config.virtual_servers.size()) + " virtual servers, " +
                                         std::to_string(checkers) + " checkers");
  auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
  m.driver = std::make_unique<cio::CheckerDriver>(
      m.loop.context(), config, m.loop.clock(), m.prober, m.log, [&m](const checkers::Action& a) { m.effect(a); },
      [rng] { return (*rng)(); });
  m.driver->set_urgent(m.urgent);
  m.driver->start();
}

void CheckerService::set_urgent(Urgent* urgent) {
  Impl& m = *impl_;
  m.urgent = urgent;
  m.prober.set_urgent(urgent);
  if (m.driver) m.driver->set_urgent(urgent);
}

void CheckerService::on_bfd(const std::string& name, bool up) {
  Impl& m = *impl_;
  if (!m.driver || !m.config) return;
  // keepalived: a bfd_instance marked `vrrp` (and not `checker`) sends the checkers nothing.
  for (const auto& b : m.config->bfd_instances)
    if (b.name.value == name && b.vrrp.is_set() && *b.vrrp && !(b.checker.is_set() && *b.checker)) return;
  const auto& vss = m.config->virtual_servers;
  for (std::uint32_t v = 0; v < vss.size(); ++v)
    for (std::uint32_t r = 0; r < vss[v].real_servers.size(); ++r) {
      const auto& checks = vss[v].real_servers[r].checkers;
      for (std::uint32_t c = 0; c < checks.size(); ++c)
        if (checks[c]->kind == conf::CheckerKind::bfd)
          if (const auto& b = static_cast<const conf::BfdCheck&>(*checks[c]); b.name.is_set() && *b.name == name)
            m.driver->report_level({v, r, c}, up);
    }
}

void CheckerService::stop() {
  Impl& m = *impl_;
  if (m.stopped || !m.driver) return;
  m.stopped = true;
  m.driver->stop();
  // keepalived's clear_services: what vigil put in the table leaves with it.
  m.clear();
}

void CheckerService::dump() {
  Impl& m = *impl_;
  if (!m.driver || !m.config) return;
  const auto& core = m.driver->core();
  for (std::uint32_t vi = 0; vi < m.config->virtual_servers.size(); ++vi) {
    std::string line = "checkers: VS " + m.driver->vs_name(vi) + " quorum " + (core.quorum_up(vi) ? "up" : "down") +
                       (core.sorry_in(vi) ? ", sorry server in" : "");
    m.log.write(cio::Severity::notice, line);
    for (std::uint32_t ri = 0; ri < m.config->virtual_servers[vi].real_servers.size(); ++ri) {
      const auto d = core.desired({vi, ri});
      m.log.write(cio::Severity::notice, "checkers:   " + m.driver->rs_name({vi, ri}) + (core.alive({vi, ri}) ? " UP" : " DOWN") +
                                             ", weight " + std::to_string(core.weight({vi, ri})) + ", " +
                                             (d.present ? "in the table with weight " + std::to_string(d.weight)
                                                        : std::string("not in the table")));
    }
  }
}

}  // namespace vigil::daemon
