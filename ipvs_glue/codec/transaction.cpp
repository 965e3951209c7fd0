#include "ipvs_glue/codec/transaction.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

namespace vigil::ipvs::codec {

IpvsError kernel_error(const std::string& what, int neg_errno, const std::string& ext) {
  const int err = errno_of(neg_errno);
  return IpvsError{IpvsError::Kind::kernel, err,
                   what + ": " + errno_text(err) + (ext.empty() ? "" : " (" + ext + ")")};
}

IpvsError protocol_error(const char* what, genl::DecodeError e) {
  return IpvsError{IpvsError::Kind::protocol, EPROTO,
                   std::string("netlink ") + what + ": " + std::string(genl::to_string(e))};
}

bool stages_scheduler(std::string_view scheduler) {
  return scheduler == "mh" || scheduler == "sh" || scheduler == "dh";
}

// ---- Transaction --------------------------------------------------------------------------

void Transaction::add(const Build& build, std::size_t tag, bool write) {
  const Request r{session_.family, session_.next_seq()};
  const std::size_t at = out_.size();
  const Kind kind = build(out_, r);
  exchange_.expect(r.seq, kind);
  window_[r.seq] = tag;
  ++session_.counters.requests;
  if (write) {
    ++session_.counters.writes;
    ++out_writes_;
    // Quiet mode: the previous write of this window loses its NLM_F_ACK; this one (the last,
    // for now) keeps it. struct nlmsghdr {u32 len; u16 type; u16 flags; u32 seq; ...}.
    if (session_.limits.quiet_writes && last_write_at_ != SIZE_MAX) {
      std::uint16_t flags = 0;
      std::uint32_t seq = 0;
      std::memcpy(&flags, out_.view().data() + last_write_at_ + 6, sizeof flags);
      std::memcpy(&seq, out_.view().data() + last_write_at_ + 8, sizeof seq);
      out_.patch<std::uint16_t>(last_write_at_ + 6, static_cast<std::uint16_t>(flags & ~genl::kFlagAck));
      exchange_.expect(seq, Kind::quiet);
    }
    last_write_at_ = at;
  }
}

void Transaction::pump() {
  while (!done_ && exchange_.pending() == 0 && out_.size() == 0) {
    last_write_at_ = SIZE_MAX;
    out_writes_ = 0;
    next();
    if (!done_ && exchange_.pending() == 0 && out_.size() == 0) finish();  // nothing to do
  }
}

std::vector<std::byte> Transaction::take_output() {
  if (!started_) {
    started_ = true;
    pump();
  }
  if (done_ || out_.size() == 0) return {};
  ++session_.counters.sends;
  std::vector<std::byte> bytes = std::move(out_).take();
  out_ = nl::Writer{};
  return bytes;
}

void Transaction::feed(std::span<const std::byte> datagram) {
  ++session_.counters.datagrams;
  const auto stray_before = exchange_.stray();
  auto done = exchange_.feed(datagram);
  session_.counters.stray += exchange_.stray() - stray_before;
  if (done_) return;
  if (!done) {
    fail(protocol_error("reply", done.error()));
    return;
  }
  for (auto& o : *done) {
    auto it = window_.find(o.seq);
    if (it == window_.end()) continue;
    const std::size_t tag = it->second;
    window_.erase(it);
    if (!done_) on_outcome(tag, std::move(o));
  }
  if (!done_ && exchange_.pending() == 0) pump();
}

void Transaction::fail(IpvsError e) {
  exchange_.clear();
  window_.clear();
  out_ = nl::Writer{};
  finish(std::move(e));
}

void Transaction::finish(IpvsError e) {
  error_ = std::move(e);
  done_ = true;
}

// ---- RequestTxn ---------------------------------------------------------------------------

RequestTxn::RequestTxn(Session& s, Build build, Kind kind, bool write)
    : Transaction(s), build_(std::move(build)), kind_(kind), write_(write) {}

void RequestTxn::next() {
  if (sent_) return;  // answered: on_outcome finished us
  sent_ = true;
  ++attempts_;
  add(build_, 0, write_);
}

void RequestTxn::on_outcome(std::size_t, Outcome&& o) {
  if (kind_ == Kind::dump && o.interrupted && o.error == 0) {
    ++session().counters.interrupted;
    if (attempts_ > session().limits.dump_retries) {
      finish(IpvsError{IpvsError::Kind::io, EAGAIN, "netlink dump: interrupted by changes too many times"});
      return;
    }
    sent_ = false;  // next() sends it again
    return;
  }
  outcome_ = std::move(o);
  finish();
}

// ---- DumpTableTxn -------------------------------------------------------------------------

namespace {
constexpr std::size_t kServicesTag = SIZE_MAX;
}

void DumpTableTxn::next() {
  if (in_flight_) return;
  if (!have_services_) {
    in_flight_ = true;
    add([](nl::Writer& w, const Request& r) {
          append_get_services(w, r);
          return Kind::dump;
        },
        kServicesTag, false);
    return;
  }
  if (service_ >= table_.services.size()) return;  // all dumped: pump() finishes
  in_flight_ = true;
  const ServiceKey key = table_.services[service_].key;
  add([key](nl::Writer& w, const Request& r) {
        append_get_dests(w, r, key);
        return Kind::dump;
      },
      service_, false);
}

bool DumpTableTxn::retry(const char* what) {
  ++session().counters.interrupted;
  if (++retries_ > session().limits.dump_retries) {
    finish(IpvsError{IpvsError::Kind::io, EAGAIN,
                     std::string("netlink ") + what + ": interrupted by changes too many times"});
    return false;
  }
  return true;
}

void DumpTableTxn::on_outcome(std::size_t tag, Outcome&& o) {
  in_flight_ = false;
  const bool services = tag == kServicesTag;
  if (o.error) {
    finish(kernel_error(services ? "netlink service dump" : "netlink destination dump", o.error, o.ext_message));
    return;
  }
  if (o.interrupted) {
    if (retry(services ? "service dump" : "destination dump") && services) table_ = {};
    return;  // next() sends the same dump again
  }
  if (services) {
    for (const auto& payload : o.replies) {
      auto g = genl::parse_genl(payload);
      if (!g) return finish(protocol_error("service dump", g.error()));
      auto s = decode_service(*g);
      if (!s) return finish(protocol_error("service dump", s.error()));
      table_.services.push_back(std::move(*s));
    }
    have_services_ = true;
    service_ = 0;
    return;
  }
  Service& s = table_.services.at(tag);
  for (const auto& payload : o.replies) {
    auto g = genl::parse_genl(payload);
    if (!g) return finish(protocol_error("destination dump", g.error()));
    auto d = decode_dest(*g, s.key.family);
    if (!d) return finish(protocol_error("destination dump", d.error()));
    s.dests.push_back(*d);
  }
  ++service_;
}

// ---- ApplyTxn -----------------------------------------------------------------------------

ApplyTxn::ApplyTxn(Session& s, std::vector<IpvsOp> ops)
    : Transaction(s), ops_(std::move(ops)), failed_(ops_.size(), false) {
  // Staged services: the index of each one's last AddDest -> the AddService ops bound there.
  std::map<std::size_t, std::vector<std::size_t>> bind_after;
  std::vector<bool> staged(ops_.size(), false);
  if (s.limits.stage_schedulers) {
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      const auto* add = std::get_if<AddService>(&ops_[i]);
      if (!add || !stages_scheduler(add->service.scheduler)) continue;
      // plan() puts a service's destination adds right after its add: look at those only
      // (linear in the batch; staging is skipped if they were ever spread out).
      std::size_t count = 0, last = i;
      for (std::size_t j = i + 1; j < ops_.size(); ++j) {
        const auto* d = std::get_if<AddDest>(&ops_[j]);
        if (!d || !(d->service == add->service.key)) break;
        ++count;
        last = j;
      }
      if (count < kStageMinDests) continue;
      staged[i] = true;
      bind_after[last].push_back(i);
    }
  }
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    steps_.push_back({i, staged[i] ? Step::What::staged_add : Step::What::plain});
    if (auto it = bind_after.find(i); it != bind_after.end())
      for (std::size_t op : it->second) {
        steps_.push_back({op, Step::What::staged_bind});
        ++staged_;
      }
  }
}

void ApplyTxn::next() {
  const Limits& l = session().limits;
  while (next_step_ < steps_.size() && window_requests() < std::max<std::size_t>(l.max_requests, 1) &&
         (window_requests() == 0 || window_bytes() < l.max_bytes)) {
    const std::size_t tag = next_step_++;
    const Step step = steps_[tag];
    const IpvsOp& op = ops_[step.op];
    add([&](nl::Writer& w, const Request& r) {
          switch (step.what) {
            case Step::What::plain: append_op(w, r, op); break;
            case Step::What::staged_add: {
              Service none = std::get<AddService>(op).service;
              none.scheduler = "none";
              append_new_service(w, r, none);
              break;
            }
            case Step::What::staged_bind: append_set_service(w, r, std::get<AddService>(op).service); break;
          }
          return Kind::ack;
        },
        tag, true);
  }
  if (window_requests() == 0) {
    report_.writes = steps_.size();
    std::sort(report_.failures.begin(), report_.failures.end(),
              [](const OpFailure& a, const OpFailure& b) { return a.index < b.index; });
    finish();
  }
}

void ApplyTxn::on_outcome(std::size_t tag, Outcome&& o) {
  if (!o.error) return;
  const std::size_t op = steps_.at(tag).op;
  if (failed_[op]) return;
  failed_[op] = true;
  const int err = errno_of(o.error);
  report_.failures.push_back({op, err, failure_message(ops_[op], err, o.ext_message)});
}

}  // namespace vigil::ipvs::codec
