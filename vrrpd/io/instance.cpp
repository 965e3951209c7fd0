#include "vrrpd/io/instance.hpp"

#include <algorithm>
#include <utility>
#include <variant>

#include "vrrpd/io/net.hpp"
#include "vrrpd/io/sync_group.hpp"

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
    : config_(std::move(config)), ports_(ports), router_(config_.router) {
  // Adver_Timer lives in an urgent table of its own: a Master's adverts go out on time even
  // while other work on the loop is in a burst (base/urgent.hpp). Master_Down_Timer does not:
  // fired from inside a burst it could beat an advert still unread in the socket.
  if (!ports_.deadlines) own_deadlines_ = std::make_unique<DeadlineTable>(ports_.timers);
  if (!ports_.advert_deadlines) own_advert_deadlines_ = std::make_unique<DeadlineTable>(ports_.timers, DeadlineTable::Wake::urgent);
  deadlines_ = ports_.deadlines ? ports_.deadlines : own_deadlines_.get();
  advert_deadlines_ = ports_.advert_deadlines ? ports_.advert_deadlines : own_advert_deadlines_.get();
  for (std::size_t t = 0; t < kTimerCount; ++t)
    slots_[t] = table(static_cast<TimerId>(t)).add([this, id = static_cast<TimerId>(t)] { timer_fired(id); });
  announcer_ = std::make_unique<Announcer>(
      config_.garp, targets(config_.vips), ports_.arp, ports_.timers,
      [this](const std::string& error) { log(Severity::warning, error); });
}

Instance::~Instance() {
  *alive_ = false;
  for (std::size_t t = 0; t < kTimerCount; ++t) table(static_cast<TimerId>(t)).release(slots_[t]);
}

void Instance::start(bool link_up) {
  started_ = true;
  // A run that crashed as Master left its addresses behind; joining as Backup with them would
  // answer for the VIP beside the real Master.
  remove_routes(true);
  for (const auto& v : config_.vips) ports_.arp.prepare(v.ifindex, v.address.address.family());
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
  update_fault();  // starts the instance unless it is faulted
  if (fault_reported_) maybe_start();  // to FAULT
}

// Startup, once start() was called, unless a weight-0 track_script has not reported yet
// (keepalived keeps such an instance in INIT). A faulted instance goes straight to FAULT.
void Instance::maybe_start() {
  if (!started_ || router_.state() != State::initialize) return;
  if (track_.pending && !fault_reported_) {
    log(Severity::info, "waiting for the first result of its track scripts");
    return;
  }
  step(Startup{});
}

void Instance::stop(bool defer_release) {
  started_ = false;
  defer_release_ = defer_release;
  step(Shutdown{});
  defer_release_ = false;
}

void Instance::release() {
  if (!std::exchange(release_pending_, false)) return;
  on(RemoveVips{});
}

void Instance::receive(const Input& advert_received, std::optional<TimePoint> arrived) {
  step(advert_received, arrived);
}

void Instance::set_link(bool up) {
  if (up == link_up_) return;
  link_up_ = up;
  log(Severity::info, std::string("interface ") + config_.interface + (up ? " is up" : " is down"));
  update_fault();
}

void Instance::set_tracking(const TrackStatus& st) {
  const TrackStatus before = std::exchange(track_, st);
  if (st.fault && (!before.fault || st.fault_reason != before.fault_reason))
    log(Severity::info, "tracked " + st.fault_reason + " is down");
  else if (!st.fault && before.fault)
    log(Severity::info, "tracked objects are up again");
  const auto prio = effective_priority(config_.router.priority, st.delta);
  if (prio != router_.priority()) {
    log(Severity::info, "effective priority " + std::to_string(router_.priority()) + " -> " +
                            std::to_string(prio));
    step(PriorityChanged{prio});
  }
  update_fault();
  if (before.pending && !st.pending) maybe_start();
}

void Instance::set_group_fault(bool fault) {
  if (std::exchange(group_fault_, fault) == fault) return;
  if (fault) log(Severity::info, "sync group " + config_.sync_group + " is in FAULT");
  update_fault();
}

// Fault is a level, the OR of its sources; the Router is given its edges. The group hears of
// this instance's own faults (not those the group itself caused).
void Instance::update_fault() {
  const bool fault = own_fault() || group_fault_;
  if (fault != fault_reported_) {
    fault_reported_ = fault;
    if (fault) step(FaultRaised{});
    else step(FaultCleared{});
  }
  if (group_) group_->on_own_fault(*this);
  if (!fault) maybe_start();
}

bool Instance::rebind(InstanceConfig config, bool link_up) {
  if (router_.state() != State::initialize && router_.state() != State::fault) return false;
  for (std::size_t t = 0; t < kTimerCount; ++t) table(static_cast<TimerId>(t)).cancel(slots_[t]);
  config_ = std::move(config);
  router_ = Router(config_.router);  // Initialize, not faulted
  fault_reported_ = false;
  announcer_ = std::make_unique<Announcer>(
      config_.garp, targets(config_.vips), ports_.arp, ports_.timers,
      [this](const std::string& error) { log(Severity::warning, error); });
  log(Severity::info, "interface " + config_.interface + " is present (index " +
                          std::to_string(config_.ifindex) + ")");
  const auto prio = effective_priority(config_.router.priority, track_.delta);
  if (prio != router_.priority()) step(PriorityChanged{prio});
  if (started_) return start(link_up), true;
  link_up_ = link_up;
  return true;
}

bool Instance::restore(const Vip& vip) {
  if (router_.state() != State::master) return false;
  auto it = std::find(config_.vips.begin(), config_.vips.end(), vip);
  if (it == config_.vips.end()) return false;
  if (auto added = ports_.vips.add(*it); !added) {
    ++stats_.vip_errors;
    log(Severity::warning, added.error());
    return false;
  }
  log(Severity::notice, "restored address " + to_string(*it) + " that was deleted");
  announcer_->start();
  return true;
}

// The Router's actions are carried out in order. An input that arrives meanwhile (a sync
// group reacting to this instance's state change) waits until they are done.
void Instance::step(const Input& input, std::optional<TimePoint> at) {
  if (stepping_) return pending_.push_back(input);
  stepping_ = true;
  const TimePoint now = ports_.timers.now();
  last_step_ = at ? std::clamp(*at, std::min(last_step_, now), now) : now;
  router_.step(input, last_step_, actions_);
  for (const auto& a : actions_) apply(a);
  while (!pending_.empty()) {
    const Input next = std::move(pending_.front());
    pending_.pop_front();
    last_step_ = ports_.timers.now();
    router_.step(next, last_step_, actions_);
    for (const auto& a : actions_) apply(a);
  }
  stepping_ = false;
}

void Instance::apply(const Action& action) {
  std::visit([this](const auto& a) { on(a); }, action);
}

// A Backup hearing its Master moves Master_Down_Timer later here on every advert: one store.
void Instance::on(const ArmTimer& a) { table(a.timer).arm(slots_[static_cast<std::size_t>(a.timer)], a.at); }

void Instance::on(const CancelTimer& a) { table(a.timer).cancel(slots_[static_cast<std::size_t>(a.timer)]); }

// The table fires a slot only when its deadline is due (the Router checks again anyway).
void Instance::timer_fired(TimerId t) { step(expiry(t)); }

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
  if (group_) group_->on_state(*this, a);
}

void Instance::on(const RequestMaster&) {
  if (group_) group_->on_request_master(*this);
}

// Accept_Mode false (a.accept) is enforced host-wide by vigil's nftables table (vip_filter.hpp).
// The adds are queued: with the other instances taking over in this loop turn they go to the
// kernel together. Routes and rules may name a VIP as their source, so they wait for it.
void Instance::on(const AddVips&) {
  for (const auto& v : config_.vips) {
    ++vips_pending_;
    ports_.vips.add_queued(v, [this, alive = std::weak_ptr<bool>(alive_)](Result<void, std::string> added) {
      if (auto a = alive.lock(); a && *a) vip_added(added);
    });
  }
  if (config_.routes.empty() && config_.rules.empty()) return;
  ports_.vips.flush();
  add_routes();
}

void Instance::vip_added(const Result<void, std::string>& added) {
  if (!added) {
    ++stats_.vip_errors;
    log(Severity::warning, added.error());
  }
  if (vips_pending_ > 0) --vips_pending_;
  if (vips_pending_ == 0 && std::exchange(announce_when_added_, false)) announcer_->start();
}

// keepalived's order: addresses, routes, rules in; rules, routes, addresses out.
void Instance::add_routes() {
  if (config_.routes.empty() && config_.rules.empty()) return;
  if (!ports_.routes) return log(Severity::warning, "virtual routes/rules cannot be installed (no netlink socket)");
  for (const auto& r : config_.routes)
    if (auto added = ports_.routes->add(r); !added) {
      ++stats_.vip_errors;
      log(Severity::warning, added.error());
    }
  for (const auto& r : config_.rules)
    if (auto added = ports_.routes->add(r); !added) {
      ++stats_.vip_errors;
      log(Severity::warning, added.error());
    }
}

void Instance::remove_routes(bool stale) {
  if (!ports_.routes) return;
  for (const auto& r : config_.rules) {
    auto removed = ports_.routes->remove(r);
    if (!removed) {
      ++stats_.vip_errors;
      log(Severity::warning, removed.error());
    } else if (stale && *removed) {
      log(Severity::notice, "removed stale rule " + r.text);
    }
  }
  for (const auto& r : config_.routes) {
    auto removed = ports_.routes->remove(r);
    if (!removed) {
      ++stats_.vip_errors;
      log(Severity::warning, removed.error());
    } else if (stale && *removed) {
      log(Severity::notice, "removed stale route " + r.text);
    }
  }
}

void Instance::on(const RemoveVips&) {
  // Adds still queued go first (the kernel sees add, then remove), and announce nothing.
  announce_when_added_ = false;
  ports_.vips.flush();
  announcer_->stop();
  if (defer_release_) {
    release_pending_ = true;
    return;
  }
  remove_routes(false);
  // Queued: the other instances stepping down in this loop turn go in the same batches,
  // which the installer sends last-added first (vip_installer.hpp); ours in reverse too.
  for (auto v = config_.vips.rbegin(); v != config_.vips.rend(); ++v)
    ports_.vips.remove_queued(*v, [this, alive = std::weak_ptr<bool>(alive_)](Result<void, std::string> removed) {
      if (auto a = alive.lock(); a && *a && !removed) {
        ++stats_.vip_errors;
        log(Severity::warning, removed.error());
      }
    });
}

void Instance::on(const SendGratuitous& a) {
  if (a.lower_priority) return announcer_->lower_priority();
  if (vips_pending_ > 0) {
    announce_when_added_ = true;
    return;
  }
  announcer_->start();
}

void Instance::on(const AdvertDiscarded& a) {
  ++stats_.discarded[static_cast<std::size_t>(a.reason)];
  if (ports_.log.enabled(Severity::debug) && discard_log_.allow(ports_.timers.now()))
    log(Severity::debug, "advert discarded: " + std::string(to_string(a.reason)));
}

void Instance::notify(State to) {
  // keepalived's order: the FIFO line, then the scripts.
  if (ports_.fifo) ports_.fifo->write(fifo_line(FifoSubject::instance, config_.name, to, router_.priority()));
  const auto& n = config_.notify;
  const std::vector<std::string>* specific = nullptr;
  const RunAs* as = nullptr;
  switch (to) {
    case State::master: specific = &n.master, as = &n.as.master; break;
    case State::backup: specific = &n.backup, as = &n.as.backup; break;
    case State::fault: specific = &n.fault, as = &n.as.fault; break;
    case State::initialize: specific = &n.stop, as = &n.as.stop; break;
  }
  if (specific && !specific->empty()) ports_.scripts.run(*specific, n.timeout, nullptr, *as);
  if (!n.notify.empty()) {
    auto argv = n.notify;
    argv.insert(argv.end(), {"INSTANCE", config_.name, state_word(to),
                             std::to_string(router_.priority())});
    ports_.scripts.run(std::move(argv), n.timeout, nullptr, n.as.notify);
  }
}

void Instance::log(Severity s, const std::string& message) {
  if (ports_.log.enabled(s)) ports_.log.write(s, "(" + config_.name + ") " + message);
}

}  // namespace vigil::vrrp::io
