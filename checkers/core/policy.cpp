#include "checkers/core/policy.hpp"

namespace vigil::checkers {
namespace {

Duration us(long long v) { return std::chrono::microseconds(v); }

template <class T>
std::optional<T> if_set(const conf::Setting<T>& s) {
  return s.is_set() ? std::optional<T>(*s) : std::nullopt;
}

CheckerPolicy checker_policy(const conf::CheckBase& cb, const conf::RealServer& rs) {
  CheckerPolicy p;
  p.kind = cb.kind;
  if (cb.kind == conf::CheckerKind::file || cb.kind == conf::CheckerKind::bfd) {
    p.passive = true;
    return p;
  }
  const auto& c = static_cast<const conf::CheckCommon&>(cb);
  // validate_lvs fills delay_loop (VS default 60 s), connect_timeout (5 s), retry and
  // delay_before_retry; the fallbacks below only matter for a hand-built Config.
  p.delay_loop = us(c.delay_loop_us.is_set() ? *c.delay_loop_us
                    : rs.delay_loop_us.is_set() ? *rs.delay_loop_us
                                                : 60'000'000);
  p.timeout = us(c.connect_timeout_us.is_set() ? *c.connect_timeout_us : 5'000'000);
  p.retry = static_cast<int>(c.retry.is_set() ? *c.retry : (cb.kind == conf::CheckerKind::misc ? 0 : 1));
  // keepalived's DNS_CHECK retries 3 times unless told otherwise (UDP may lose a query).
  if (cb.kind == conf::CheckerKind::dns && (!c.retry.is_set() || c.retry.loc.line == conf::Setting<long long>::kBuiltinLine))
    p.retry = 3;
  p.delay_before_retry = us(c.delay_before_retry_us.is_set() ? *c.delay_before_retry_us : 1'000'000);
  if (c.warmup_us.is_set()) p.warmup = us(*c.warmup_us);
  if (cb.kind == conf::CheckerKind::misc) {
    // keepalived: misc_timeout, else the delay_loop.
    const auto& m = static_cast<const conf::MiscCheck&>(cb);
    p.timeout = m.misc_timeout_us.is_set() && *m.misc_timeout_us > 0 ? us(*m.misc_timeout_us) : p.delay_loop;
  }
  return p;
}

}  // namespace

std::vector<VsPolicy> policy_from_config(const conf::Config& config) {
  std::vector<VsPolicy> out;
  out.reserve(config.virtual_servers.size());
  for (const auto& vs : config.virtual_servers) {
    VsPolicy v;
    v.quorum = vs.quorum.is_set() ? *vs.quorum : 1;
    v.hysteresis = vs.hysteresis.is_set() ? *vs.hysteresis : 0;
    v.has_sorry_server = vs.sorry_server.is_set();
    v.omega = *vs.omega;
    v.quorum_up = if_set(vs.quorum_up);
    v.quorum_down = if_set(vs.quorum_down);
    v.servers.reserve(vs.real_servers.size());
    for (const auto& rs : vs.real_servers) {
      RsPolicy r;
      r.weight = rs.weight.is_set() ? *rs.weight : 1;
      r.inhibit_on_failure = *rs.inhibit_on_failure;
      r.alpha = *rs.alpha;
      r.omega = *rs.omega;
      if (rs.extra) {
        r.notify_up = if_set(rs.extra->notify_up);
        r.notify_down = if_set(rs.extra->notify_down);
      }
      r.checkers.reserve(rs.checkers.size());
      for (const auto& ch : rs.checkers) r.checkers.push_back(checker_policy(*ch, rs));
      v.servers.push_back(std::move(r));
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace vigil::checkers
