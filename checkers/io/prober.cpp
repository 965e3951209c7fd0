#include "checkers/io/prober.hpp"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <algorithm>
#include <boost/asio/post.hpp>
#include <map>
#include <set>
#include <unordered_map>

#include "checkers/core/misc_exit.hpp"
#include "checkers/io/dns_probe.hpp"
#include "checkers/io/http_probe.hpp"
#include "checkers/io/log.hpp"
#include "checkers/io/misc_runner.hpp"
#include "checkers/io/ping_probe.hpp"
#include "checkers/io/smtp_probe.hpp"
#include "checkers/io/tcp_probe.hpp"
#include "checkers/io/udp_probe.hpp"

namespace vigil::checkers::io {
namespace asio = boost::asio;

struct AsioProber::Impl {
  Impl(asio::io_context& i, Log& l) : io(i), log(l), tcp(i), misc(i), http(i), smtp(i), dns(i), udp(i), ping(i) {}
  enum class Kind : std::uint8_t { tcp, misc, http, smtp, dns, udp, ping, none };
  struct Running {
    Kind kind;
    std::uint64_t inner;
  };
  asio::io_context& io;
  Log& log;
  TcpProber tcp;
  MiscRunner misc;
  HttpProber http;
  SmtpProber smtp;
  DnsProber dns;
  UdpProber udp;
  PingProber ping;
  TlsSettings tls;
  std::unordered_map<std::uint64_t, Running> running;
  std::set<conf::CheckerKind> warned;
  std::string script_user, script_group;
  // Users resolved once (the lookup may block: not on every run).
  std::map<std::pair<std::string, std::string>, Result<proc::Credentials, std::string>> users;
  // Who runs a MISC_CHECK: its `user`, else the user on its misc_path line, else script_user.
  Result<std::optional<proc::Credentials>, std::string> run_as(const conf::MiscCheck& c) {
    std::string user, group;
    if (c.user.is_set() && !c.user->user.empty()) user = c.user->user, group = c.user->group;
    else if (!c.misc_path->user.empty()) user = c.misc_path->user, group = c.misc_path->group;
    else user = script_user, group = script_group;
    if (user.empty()) return std::optional<proc::Credentials>();
    auto it = users.find({user, group});
    if (it == users.end()) it = users.emplace(std::pair{user, group}, proc::resolve_user(user, group)).first;
    if (!it->second) return unexpected(it->second.error());
    if (it->second->uid == ::geteuid() && it->second->gid == ::getegid()) return std::optional<proc::Credentials>();
    return std::optional<proc::Credentials>(*it->second);
  }
  std::uint64_t next{1};
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};

AsioProber::AsioProber(asio::io_context& io, Log& log) : impl_(std::make_unique<Impl>(io, log)) {}
AsioProber::~AsioProber() = default;

void AsioProber::set_tls(const TlsSettings& tls) { impl_->tls = tls; }

void AsioProber::set_urgent(Urgent* urgent) {
  impl_->tcp.set_urgent(urgent);
  impl_->http.set_urgent(urgent);
}

void AsioProber::set_tcp_mode(TcpCheckMode mode) {
  Impl& m = *impl_;
  const std::string why = m.tcp.set_mode(mode);
  if (mode == TcpCheckMode::connect) {
    m.log.write(Severity::info, "TCP_CHECK: full connect() probes (--tcp-check=connect)");
    return;
  }
  const bool v4 = m.tcp.half_open(Family::v4), v6 = m.tcp.half_open(Family::v6);
  if (!v4 && !v6)
    m.log.write(Severity::warning, "TCP_CHECK: half-open probes unavailable (" + why + "): connect() is used");
  else if (!why.empty())
    m.log.write(Severity::warning, "TCP_CHECK: half-open (SYN) probes for " + std::string(v4 ? "IPv4" : "IPv6") +
                                       " only (" + why + "): connect() for the other family");
  else
    m.log.write(Severity::info, "TCP_CHECK: half-open (SYN) probes");
}

void AsioProber::set_script_user(std::string user, std::string group) {
  impl_->script_user = std::move(user);
  impl_->script_group = std::move(group);
  impl_->users.clear();
}

std::uint64_t AsioProber::start(const conf::CheckBase& check, TimePoint deadline, ProbeDone done) {
  Impl& m = *impl_;
  const std::uint64_t token = m.next++;
  // Forget the token when the probe ends, then tell the caller.
  auto finish = [&m, token, alive = std::weak_ptr<bool>(m.alive), done = std::move(done)](ProbeOutcome o) {
    if (!alive.lock()) return;
    if (m.running.erase(token) == 0) return;  // cancelled
    done(std::move(o));
  };
  switch (check.kind) {
    case conf::CheckerKind::tcp: {
      const auto& c = static_cast<const conf::CheckCommon&>(check);
      m.running[token] = {Impl::Kind::tcp, m.tcp.start(tcp_target(c), deadline, std::move(finish))};
      break;
    }
    case conf::CheckerKind::misc: {
      const auto& c = static_cast<const conf::MiscCheck&>(check);
      const bool dynamic = *c.misc_dynamic;
      auto on_exit = [finish = std::move(finish), dynamic](MiscExit e) {
        const MiscVerdict v = misc_verdict(e.status, dynamic);
        std::string reason;
        if (!e.error.empty()) reason = e.error;
        else if (e.timed_out) reason = "timed out, killed";
        else if (!e.status) reason = "killed by a signal";
        else if (!v.ok) reason = "exited with status " + std::to_string(*e.status);
        finish(ProbeOutcome{v.ok, v.weight, std::move(reason)});
      };
      auto as = m.run_as(c);
      if (!as) {
        asio::post(m.io, [on_exit = std::move(on_exit), err = as.error()]() mutable {
          on_exit(MiscExit{std::nullopt, false, err});
        });
        m.running[token] = {Impl::Kind::none, 0};
        break;
      }
      m.running[token] = {Impl::Kind::misc, m.misc.run(c.misc_path->command, deadline, std::move(on_exit), *as)};
      break;
    }
    case conf::CheckerKind::http:
    case conf::CheckerKind::ssl: {
      const auto& c = static_cast<const conf::HttpCheck&>(check);
      m.running[token] = {Impl::Kind::http, m.http.start(http_target(c, m.tls), deadline, std::move(finish))};
      break;
    }
    case conf::CheckerKind::smtp: {
      const auto& c = static_cast<const conf::SmtpCheck&>(check);
      m.running[token] = {Impl::Kind::smtp, m.smtp.start(smtp_target(c), deadline, std::move(finish))};
      break;
    }
    case conf::CheckerKind::dns: {
      const auto& c = static_cast<const conf::DnsCheck&>(check);
      m.running[token] = {Impl::Kind::dns, m.dns.start(dns_target(c), deadline, std::move(finish))};
      break;
    }
    case conf::CheckerKind::udp: {
      const auto& c = static_cast<const conf::UdpCheck&>(check);
      m.running[token] = {Impl::Kind::udp, m.udp.start(udp_target(c), deadline, std::move(finish))};
      break;
    }
    case conf::CheckerKind::ping: {
      const auto& c = static_cast<const conf::PingCheck&>(check);
      m.running[token] = {Impl::Kind::ping, m.ping.start(ping_target(c), deadline, std::move(finish))};
      break;
    }
    default: {
      if (m.warned.insert(check.kind).second)
        m.log.write(Severity::warning, std::string(conf::kCheckerNames[static_cast<int>(check.kind)]) +
                                           " is not probed: such checks pass");
      m.running[token] = {Impl::Kind::none, 0};
      asio::post(m.io, [finish = std::move(finish)]() mutable { finish(ProbeOutcome{true, std::nullopt, {}}); });
      break;
    }
  }
  return token;
}

void AsioProber::cancel(std::uint64_t token) {
  Impl& m = *impl_;
  auto it = m.running.find(token);
  if (it == m.running.end()) return;
  const auto r = it->second;
  m.running.erase(it);
  if (r.kind == Impl::Kind::tcp) m.tcp.cancel(r.inner);
  if (r.kind == Impl::Kind::misc) m.misc.cancel(r.inner);
  if (r.kind == Impl::Kind::http) m.http.cancel(r.inner);
  if (r.kind == Impl::Kind::smtp) m.smtp.cancel(r.inner);
  if (r.kind == Impl::Kind::dns) m.dns.cancel(r.inner);
  if (r.kind == Impl::Kind::udp) m.udp.cancel(r.inner);
  if (r.kind == Impl::Kind::ping) m.ping.cancel(r.inner);
  // Kind::none: its posted completion finds the token gone and stays silent.
}

}  // namespace vigil::checkers::io
