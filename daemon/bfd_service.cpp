#include "daemon/bfd_service.hpp"

#include <algorithm>
#include <vector>

#include "bfd/io/service.hpp"

namespace vigil::daemon {
namespace bio = bfd::io;

namespace {

LogLevel level(bio::Level l) {
  switch (l) {
    case bio::Level::error: return LogLevel::error;
    case bio::Level::warning: return LogLevel::warning;
    case bio::Level::notice: return LogLevel::notice;
    case bio::Level::info: return LogLevel::info;
    case bio::Level::debug: return LogLevel::debug;
  }
  return LogLevel::info;
}

// Stored in microseconds. A transmit interval of 0 means the smallest, 1 us; a Required Min
// RX of 0 is RFC 5880's "send me nothing".
bfd::Micros us(const conf::Setting<long long>& s, long long fallback_ms, long long at_least) {
  return bfd::Micros(s.is_set() ? std::max(*s, at_least) : fallback_ms * 1000);
}

// keepalived's defaults: min_rx/min_tx 10 ms, idle_tx 1 s, multiplier 5, TTL 255. IPv6 hop
// limit 255 too (RFC 5881 §5), where keepalived sends 64.
bio::SessionSpec spec_of(const conf::BfdInstance& b) {
  bio::SessionSpec s;
  s.name = b.name.value;
  s.neighbor = *b.neighbor_ip;
  if (b.source_ip.is_set()) s.source = *b.source_ip;
  s.timing.min_rx = us(b.min_rx_us, 10, 0);
  s.timing.min_tx = us(b.min_tx_us, 10, 1);
  s.timing.idle_tx = us(b.idle_tx_us, 1000, 1);
  s.timing.detect_mult = static_cast<std::uint8_t>(b.multiplier.is_set() ? *b.multiplier : 5);
  s.timing.passive = b.passive.is_set() && *b.passive;
  const auto& ttl = s.neighbor.family() == Family::v4 ? b.ttl : b.hoplimit;
  s.ttl = static_cast<int>(ttl.is_set() ? *ttl : 255);
  s.max_hops = static_cast<int>(b.max_hops.is_set() ? *b.max_hops : 0);
  return s;
}

}  // namespace

struct BfdService::Impl {
  explicit Impl(Loop& l) : loop(l) {}
  Loop& loop;
  std::vector<Observer> observers;
  std::vector<std::string> names;  // the running sessions
  std::unique_ptr<bio::Service> service;
};

BfdService::BfdService(Loop& loop) : impl_(std::make_unique<Impl>(loop)) {}
BfdService::~BfdService() = default;

// The observer hears every session's level now (all Down at start), then each change.
void BfdService::subscribe(Observer observer) {
  for (const auto& name : impl_->names) observer(name, up(name).value_or(false));
  impl_->observers.push_back(std::move(observer));
}

void BfdService::start(const conf::Config& config) {
  Impl& m = *impl_;
  std::vector<bio::SessionSpec> specs;
  for (const auto& b : config.bfd_instances)
    if (b.neighbor_ip.is_set()) specs.push_back(spec_of(b));
  if (specs.empty() || m.service) return;
  for (const auto& spec : specs) m.names.push_back(spec.name);
  Logger& log = m.loop.log();
  m.service = std::make_unique<bio::Service>(
      m.loop.context(), m.loop.clock(), [&log](bio::Level l, const std::string& text) { log.log(level(l), text); },
      [&m](const std::string& name, bfd::State from, bfd::State to, bfd::Diag) {
        if ((from == bfd::State::up) == (to == bfd::State::up)) return;
        for (const auto& o : m.observers) o(name, to == bfd::State::up);
      });
  if (auto started = m.service->start(std::move(specs)); !started)
    log.error(started.error() + "; BFD sessions do not run");
}

void BfdService::stop() {
  if (impl_->service) impl_->service->stop();
}

void BfdService::dump() {
  if (impl_->service) impl_->service->dump();
}

std::optional<bool> BfdService::up(const std::string& name) const {
  if (!impl_->service) return std::nullopt;
  auto s = impl_->service->state(name);
  if (!s) return std::nullopt;
  return *s == bfd::State::up;
}

}  // namespace vigil::daemon
