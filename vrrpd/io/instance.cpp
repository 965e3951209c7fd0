#include "vrrpd/io/instance.hpp"

#include <utility>
#include <variant>

#include "vrrpd/io/net.hpp"

namespace vigil::vrrp::io {
namespace {

std::vector<AnnounceTarget> targets(const std::vector<Vip>& vips) {
  std::vector<AnnounceTarget> out;
  for (const auto& v : vips) out.push_back({v.ifindex, v.address.address});
  return out;
}

Input expiry(TimerId t) {
  switch (t) {
    case TimerId::adver: return AdverTimerExpired{};
    case TimerId::master_down: return MasterDownTimerExpired{};
    case TimerId::preempt_delay: return PreemptDelayExpired{};
  }
  return AdverTimerExpired{};
}

std::string state_word(State s) {
  switch (s) {
    case State::master: return "MASTER";
    case State::backup: return "BACKUP";
    case State::fault: return "FAULT";
    case State::initialize: return "STOP";  // keepalived's word for a stopped instance
  }
  return "UNKNOWN";
}

}  // namespace

Listener listener(const InstanceConfig& c) {
  Listener l;
  l.vrid = c.router.vrid;
  l.primary = c.router.primary_address;
  l.addresses = c.router.addresses;
  l.skip_check_adv_addr = c.skip_check_adv_addr;
  l.peers = c.peers;
  l.check_unicast_src = c.check_unicast_src;
  l.decode = c.decode;
  return l;
}

Instance::Instance(InstanceConfig config, Ports ports)
    : config_(std::move(config)),
      ports_(ports),
      router_(config_.router),
      announcer_(config_.garp, targets(config_.vips), ports.arp, ports.timers,
                 [this](const std::string& error) { log(Severity::warning, error); }) {
  for (auto& t : timers_) t = ports_.timers.make_timer();
}

void Instance::start(bool link_up) {
  // A run that crashed as Master left its addresses behind; joining as Backup with them would
  // answer for the VIP beside the real Master.
  for (const auto& v : config_.vips) {
    auto removed = ports_.vips.remove(v);
    if (!removed) {
      ++stats_.vip_errors;
      log(Severity::warning, removed.error());
    } else if (*removed) {
      log(Severity::notice, "removed stale address " + to_string(v));
    }
  }
  link_up_ = link_up;
  if (!link_up) step(FaultRaised{});
  step(Startup{});
}

void Instance::stop() { step(Shutdown{}); }

void Instance::receive(const AdvertReceived& advert) { step(advert); }

void Instance::set_link(bool up) {
  if (up == link_up_) return;
  link_up_ = up;
  log(Severity::info, std::string("interface ") + config_.interface + (up ? " is up" : " is down"));
  if (up) return step(FaultCleared{});
  step(FaultRaised{});
}

void Instance::step(const Input& input) {
  const auto actions = router_.step(input, ports_.timers.now());
  for (const auto& a : actions) apply(a);
}

void Instance::apply(const Action& action) {
  std::visit([this](const auto& a) { on(a); }, action);
}

void Instance::on(const ArmTimer& a) {
  const auto t = a.timer;
  timers_[static_cast<std::size_t>(t)]->arm(a.at, [this, t] { step(expiry(t)); });
}

void Instance::on(const CancelTimer& a) { timers_[static_cast<std::size_t>(a.timer)]->cancel(); }

// RFC 5798 §5.1: to the group (TTL 255) or to each unicast peer; the v3 checksum covers the
// destination, so each copy is encoded for its own.
void Instance::on(const SendAdvert& a) {
  const Advert advert = router_.advert(a.priority);
  const IpAddress& src = router_.config().primary_address;
  for (const auto& dst : config_.destinations) {
    const auto bytes = encode_advert(advert, {src, dst}, config_.encode);
    auto sent = ports_.transport ? ports_.transport->send(src, dst, bytes)
                                 : Result<void, int>(unexpected(0));
    if (sent) {
      ++stats_.adverts_sent;
      continue;
    }
    ++stats_.send_errors;
    if (send_error_log_.allow(ports_.timers.now()))
      log(Severity::warning, "cannot send advert to " + dst.to_string() + ": " +
                                 (sent.error() ? errno_text(sent.error()) : "no socket"));
  }
}

void Instance::on(const StateChanged& a) {
  log(Severity::info, "entering " + std::string(to_string(a.to)) + " state: " +
                          std::string(to_string(a.reason)));
  notify(a.to);
}

void Instance::on(const AddVips& a) {
  if (!a.accept && !std::exchange(warned_no_accept_, true))
    log(Severity::notice, "no_accept is not enforced yet: the host accepts packets for its VIPs");
  for (const auto& v : config_.vips)
    if (auto added = ports_.vips.add(v); !added) {
      ++stats_.vip_errors;
      log(Severity::warning, added.error());
    }
}

void Instance::on(const RemoveVips&) {
  announcer_.stop();
  for (const auto& v : config_.vips)
    if (auto removed = ports_.vips.remove(v); !removed) {
      ++stats_.vip_errors;
      log(Severity::warning, removed.error());
    }
}

void Instance::on(const SendGratuitous&) { announcer_.start(); }

void Instance::on(const AdvertDiscarded& a) {
  ++stats_.discarded[static_cast<std::size_t>(a.reason)];
  if (ports_.log.enabled(Severity::debug) && discard_log_.allow(ports_.timers.now()))
    log(Severity::debug, "advert discarded: " + std::string(to_string(a.reason)));
}

void Instance::notify(State to) {
  const auto& n = config_.notify;
  const std::vector<std::string>* specific = nullptr;
  switch (to) {
    case State::master: specific = &n.master; break;
    case State::backup: specific = &n.backup; break;
    case State::fault: specific = &n.fault; break;
    case State::initialize: specific = &n.stop; break;
  }
  if (specific && !specific->empty()) ports_.scripts.run(*specific, n.timeout);
  if (!n.notify.empty()) {
    auto argv = n.notify;
    argv.insert(argv.end(), {"INSTANCE", config_.name, state_word(to),
                             std::to_string(router_.priority())});
    ports_.scripts.run(std::move(argv), n.timeout);
  }
}

void Instance::log(Severity s, const std::string& message) {
  if (ports_.log.enabled(s)) ports_.log.write(s, "(" + config_.name + ") " + message);
}

}  // namespace vigil::vrrp::io
