#include "ipvs_glue/io/reconcile_service.hpp"

#include <algorithm>
#include <cerrno>
#include <map>

namespace vigil::ipvs {

void apply_to(IpvsTable& t, std::span<const IpvsOp> ops) {
  // Services by key (positions; deleted ones marked, removed at the end): a batch of 21,000
  // operations on 1,000 services must not cost 21,000 linear searches.
  std::map<ServiceKey, std::size_t> at;
  for (std::size_t i = 0; i < t.services.size(); ++i) at.emplace(t.services[i].key, i);
  std::vector<bool> gone(t.services.size(), false);
  auto find = [&](const ServiceKey& k) -> Service* {
    const auto it = at.find(k);
    return it == at.end() ? nullptr : &t.services[it->second];
  };
  for (const IpvsOp& op : ops) {
    if (const auto* o = std::get_if<AddService>(&op)) {
      if (find(o->service.key)) continue;
      Service s = o->service;
      s.dests.clear();
      s.flags.hashed = true;
      at.emplace(s.key, t.services.size());
      t.services.push_back(std::move(s));
      gone.push_back(false);
    } else if (const auto* o = std::get_if<EditService>(&op)) {
      if (Service* s = find(o->service.key)) {
        auto dests = std::move(s->dests);
        const Stats stats = s->stats;
        *s = o->service;
        s->flags.hashed = true;
        s->dests = std::move(dests);
        s->stats = stats;
      }
    } else if (const auto* o = std::get_if<DelService>(&op)) {
      if (const auto it = at.find(o->key); it != at.end()) {
        gone[it->second] = true;
        at.erase(it);
      }
    } else if (const auto* o = std::get_if<AddDest>(&op)) {
      if (Service* s = find(o->service); s && !s->find(o->dest.key())) s->dests.push_back(o->dest);
    } else if (const auto* o = std::get_if<EditDest>(&op)) {
      if (Service* s = find(o->service))
        if (Dest* d = s->find(o->dest.key())) *d = o->dest;
    } else if (const auto* o = std::get_if<DelDest>(&op)) {
      if (Service* s = find(o->service))
        std::erase_if(s->dests, [&](const Dest& d) { return d.key() == o->dest; });
    }
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < t.services.size(); ++i)
    if (!gone[i]) {
      if (kept != i) t.services[kept] = std::move(t.services[i]);
      ++kept;
    }
  t.services.resize(kept);
}

namespace {

bool race(const std::vector<OpFailure>& failures, const std::vector<IpvsOp>& ops) {
  for (const auto& f : failures) {
    const bool service_op = std::holds_alternative<AddService>(ops[f.index]) ||
                            std::holds_alternative<EditService>(ops[f.index]);
    if (f.err == EEXIST || (f.err == ENOENT && !service_op) || f.err == ESRCH) return true;
  }
  return false;
}

std::string keys_text(const std::vector<ServiceKey>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k.to_string();
  return out;
}

}  // namespace

ReconcileService::ReconcileService(boost::asio::io_context& io, AsyncIpvsPort& port, LogFn log,
                                   ReconcileServiceOptions options)
    : io_(io), port_(port), log_(std::move(log)), options_(options), periodic_(io), retry_(io),
      backoff_(options.retry_after) {}

ReconcileService::~ReconcileService() {
  *alive_ = false;
  periodic_.cancel();
  retry_.cancel();
}

void ReconcileService::start(IpvsTable desired, std::set<ServiceKey> owned) {
  desired_ = std::move(desired);
  owned_ = std::move(owned);
  for (const auto& s : desired_.services) owned_.insert(s.key);
  started_ = true;
  request(true);
  arm_periodic();
}

void ReconcileService::set_desired(IpvsTable desired) {
  desired_ = std::move(desired);
  for (const auto& s : desired_.services) owned_.insert(s.key);
  if (started_) request(false);
}

void ReconcileService::repair_now() {
  if (started_) request(true);
}

void ReconcileService::stop() {
  started_ = false;
  periodic_.cancel();
  retry_.cancel();
}

void ReconcileService::arm_retry() {
  if (!started_ || options_.retry_after.count() <= 0) return;
  retry_.expires_after(backoff_);
  const auto cap = options_.interval.count() > 0 ? options_.interval : std::chrono::milliseconds(std::chrono::seconds(60));
  backoff_ = std::min(backoff_ * 2, std::max(cap, options_.retry_after));
  retry_.async_wait([this, weak = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
    auto a = weak.lock();
    if (ec || !a || !*a || !started_) return;
    request(true);
  });
}

void ReconcileService::arm_periodic() {
  if (options_.interval.count() <= 0 || !started_) return;
  periodic_.expires_after(options_.interval);
  periodic_.async_wait([this, weak = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
    auto a = weak.lock();
    if (ec || !a || !*a || !started_) return;
    request(true);
    arm_periodic();
  });
}

void ReconcileService::request(bool dump) {
  if (running_) {
    again_ = true;
    again_dump_ = again_dump_ || dump;
    return;
  }
  dump_ = dump || !cache_;
  run();
}

void ReconcileService::run() {
  running_ = true;
  round_ = 0;
  last_ops_.clear();
  report_ = RunReport{};
  report_.dumped = dump_;
  requests_at_start_ = port_.requests();
  started_at_ = std::chrono::steady_clock::now();
  if (!dump_) {
    round(*cache_);
    return;
  }
  port_.async_dump([this, weak = std::weak_ptr<bool>(alive_)](Result<IpvsTable, IpvsError> t) {
    if (auto a = weak.lock(); !a || !*a) return;
    if (!t) {
      cache_.reset();
      report_.error = t.error();
      return done(std::move(report_));
    }
    round(std::move(*t));
  });
}

void ReconcileService::round(IpvsTable current) {
  Plan p = plan(current, desired_, owned_);
  if (round_ == 0) {
    report_.foreign = p.foreign;
    report_.summary = summarize(p, &current);
  }
  if (p.ops.empty() || (round_ > 0 && p.ops == last_ops_) || round_ >= options_.max_rounds) {
    if (p.ops.empty()) report_.failures.clear();
    cache_ = std::move(current);
    if (!report_.failures.empty()) cache_.reset();
    return done(std::move(report_));
  }
  ++round_;
  auto ops = p.ops;
  port_.async_apply(std::move(ops), [this, weak = std::weak_ptr<bool>(alive_), ops = std::move(p.ops),
                                     current = std::move(current)](Result<ApplyReport, IpvsError> r) mutable {
    if (auto a = weak.lock(); !a || !*a) return;
    if (!r) {
      cache_.reset();  // which writes went through is unknown: the next run dumps
      report_.error = r.error();
      return done(std::move(report_));
    }
    report_.ops += ops.size();
    report_.failures = std::move(r->failures);
    if (report_.failures.empty()) {
      apply_to(current, ops);
      cache_ = std::move(current);
      return done(std::move(report_));
    }
    cache_.reset();
    if (!race(report_.failures, ops)) return done(std::move(report_));
    last_ops_ = std::move(ops);
    port_.async_dump([this, weak](Result<IpvsTable, IpvsError> t) {
      if (auto a = weak.lock(); !a || !*a) return;
      if (!t) {
        report_.error = t.error();
        return done(std::move(report_));
      }
      round(std::move(*t));
    });
  });
}

void ReconcileService::done(RunReport r) {
  ++runs_;
  r.requests = port_.requests() - requests_at_start_;
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_at_);
  if (r.error) {
    arm_retry();  // refused operations wait for the periodic repair: they would fail again
  } else {
    backoff_ = options_.retry_after;
  }
  if (r.error) {
    log_(Severity::error, "ipvs: " + r.error->message + " (the next run re-reads the kernel's table)");
  } else if (r.ops > 0) {
    // A dump that found differences after the first run is drift: someone else wrote.
    const bool drift = r.dumped && runs_ > 1;
    log_(drift ? Severity::notice : Severity::info, (drift ? "ipvs drift repaired: " : "ipvs: ") + r.summary);
  }
  for (const auto& f : r.failures) log_(Severity::error, "ipvs: " + f.message);
  if (!r.error && r.dumped && r.foreign != foreign_) {
    foreign_ = r.foreign;
    if (!foreign_.empty())
      log_(Severity::notice, "ipvs: left alone (not vigil's): " + keys_text(foreign_));
  }
  running_ = false;
  if (on_run_) on_run_(r);
  if (again_ && started_) {
    again_ = false;
    const bool d = again_dump_;
    again_dump_ = false;
    request(d);
  }
}

}  // namespace vigil::ipvs
