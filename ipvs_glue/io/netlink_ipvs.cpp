#include "ipvs_glue/io/netlink_ipvs.hpp"

#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vigil::ipvs {
namespace {

using genl::Exchange;

IpvsError kernel_error(const std::string& what, int neg_errno, const std::string& ext) {
  const int err = -neg_errno;
  return IpvsError{IpvsError::Kind::kernel, err,
                   what + ": " + errno_text(err) + (ext.empty() ? "" : " (" + ext + ")")};
}

IpvsError protocol_error(const char* what, genl::DecodeError e) {
  return IpvsError{IpvsError::Kind::protocol, EPROTO,
                   std::string("netlink ") + what + ": " + std::string(genl::to_string(e))};
}

// `modprobe -q ip_vs`, waited for. Only whether it ran matters: the lookup is retried.
void load_ip_vs() {
  char arg0[] = "modprobe", arg1[] = "-q", arg2[] = "ip_vs";
  char* argv[] = {arg0, arg1, arg2, nullptr};
  char* envp[] = {nullptr};
  pid_t pid = 0;
  for (const char* path : {"/sbin/modprobe", "/usr/sbin/modprobe"}) {
    if (::posix_spawn(&pid, path, nullptr, nullptr, argv, envp) != 0) continue;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return;
  }
}

// CTRL_CMD_GETFAMILY "IPVS": the family id, 0 when the kernel has no such family.
Result<std::uint16_t, IpvsError> lookup_family(NetlinkSocket& s, std::chrono::milliseconds timeout) {
  constexpr std::uint32_t kSeq = 1;
  if (auto r = s.send(genl::encode_get_family(kSeq, "IPVS")); !r) return unexpected(r.error());
  Exchange x;
  x.expect(kSeq, Exchange::Kind::ack);
  while (x.pending()) {
    auto d = s.receive(timeout);
    if (!d) return unexpected(d.error());
    auto done = x.feed(*d);
    if (!done) return unexpected(protocol_error("family lookup", done.error()));
    for (const auto& o : *done) {
      if (o.error == -ENOENT) return std::uint16_t{0};
      if (o.error) return unexpected(kernel_error("netlink family lookup", o.error, o.ext_message));
      if (o.replies.empty()) return unexpected(protocol_error("family lookup", genl::DecodeError::unexpected));
      auto g = genl::parse_genl(o.replies.front());
      if (!g) return unexpected(protocol_error("family lookup", g.error()));
      auto id = genl::decode_family_id(*g);
      if (!id) return unexpected(protocol_error("family lookup", id.error()));
      return *id;
    }
  }
  return std::uint16_t{0};
}

}  // namespace

Result<std::unique_ptr<NetlinkIpvs>, IpvsError> NetlinkIpvs::open(NetlinkOptions options) {
  auto s = NetlinkSocket::open(options.rcvbuf_bytes);
  if (!s) return unexpected(s.error());
  auto id = lookup_family(*s, options.timeout);
  if (id && *id == 0 && options.load_module) {
    load_ip_vs();
    id = lookup_family(*s, options.timeout);
  }
  if (!id) return unexpected(id.error());
  if (*id == 0)
    return unexpected(IpvsError{IpvsError::Kind::unavailable, ENOENT,
                                "kernel IPVS unavailable: no generic netlink family \"IPVS\" "
                                "(the ip_vs module is not loaded and could not be)"});
  // Every ACK is its own skb (about 1 KiB of buffer each): keep a window's ACKs in rcvbuf.
  const auto fits = static_cast<std::size_t>(std::max(s->rcvbuf(), 0)) / 2048;
  options.window = std::clamp<std::size_t>(std::min(options.window, fits), 1, 4096);

  return std::unique_ptr<NetlinkIpvs>(new NetlinkIpvs(std::move(*s), *id, options));
}

NetlinkIpvs::NetlinkIpvs(NetlinkSocket socket, std::uint16_t family, NetlinkOptions options)
    : socket_(std::move(socket)), family_(family), options_(options), seq_(1) {}

Result<void, IpvsError> NetlinkIpvs::drain(std::map<std::uint32_t, std::size_t>& index,
                                           std::vector<Outcome>& out) {
  while (!index.empty()) {
    auto d = socket_.receive(options_.timeout);
    if (!d) {
      for (const auto& [seq, i] : index) exchange_.forget(seq);  // late replies: stray
      index.clear();
      return unexpected(d.error());
    }
    auto done = exchange_.feed(*d);
    if (!done) return unexpected(protocol_error("reply", done.error()));
    for (auto& o : *done) {
      auto it = index.find(o.seq);
      if (it == index.end()) continue;
      out[it->second] = std::move(o);
      index.erase(it);
    }
  }
  return {};
}

Result<std::vector<NetlinkIpvs::Outcome>, IpvsError> NetlinkIpvs::run(std::size_t count,
                                                                       const Build& build,
                                                                       bool quiet) {
  const std::size_t window = options_.window;
  std::vector<Outcome> out(count);
  for (std::size_t first = 0; first < count; first += window) {
    const std::size_t last = std::min(count, first + window);
    nl::Writer w;
    std::map<std::uint32_t, std::size_t> index;
    for (std::size_t i = first; i < last; ++i) {
      const codec::Request r{family_, next_seq()};
      const std::size_t start = w.size();
      Kind kind = build(w, r, i);
      if (quiet && kind == Kind::ack && i + 1 < last) {
        // struct nlmsghdr {u32 len; u16 type; u16 flags; ...}: drop NLM_F_ACK.
        std::uint16_t flags = 0;
        std::memcpy(&flags, w.view().data() + start + 6, sizeof flags);
        w.patch<std::uint16_t>(start + 6, static_cast<std::uint16_t>(flags & ~genl::kFlagAck));
        kind = Kind::quiet;
      }
      exchange_.expect(r.seq, kind);
      index[r.seq] = i;
    }
    requests_ += last - first;
    ++sends_;
    if (auto s = socket_.send(w.view()); !s) {
      for (const auto& [seq, i] : index) exchange_.forget(seq);
      return unexpected(s.error());
    }
    if (auto d = drain(index, out); !d) return unexpected(d.error());
  }
  return out;
}

Result<NetlinkIpvs::Outcome, IpvsError> NetlinkIpvs::run_one(const Build& build) {
  auto r = run(1, build);
  if (!r) return unexpected(r.error());
  return std::move(r->front());
}

Result<std::vector<std::vector<std::byte>>, IpvsError> NetlinkIpvs::dump_payloads(const Build& build) {
  for (int attempt = 0;; ++attempt) {
    auto o = run_one(build);
    if (!o) return unexpected(o.error());
    if (o->error) return unexpected(kernel_error("netlink dump", o->error, o->ext_message));
    if (!o->interrupted) return std::move(o->replies);
    if (attempt >= options_.dump_retries)
      return unexpected(IpvsError{IpvsError::Kind::io, EAGAIN,
                                  "netlink dump: interrupted by changes too many times"});
  }
}

Result<void, IpvsError> NetlinkIpvs::write_one(const Build& build, const char* what) {
  ++writes_;
  auto o = run_one(build);
  if (!o) return unexpected(o.error());
  if (o->error) return unexpected(kernel_error(what, o->error, o->ext_message));
  return {};
}

Result<IpvsTable, IpvsError> NetlinkIpvs::dump() {
  auto services = dump_payloads([](nl::Writer& w, const codec::Request& r, std::size_t) {
    codec::append_get_services(w, r);
    return Kind::dump;
  });
  if (!services) return unexpected(services.error());
  IpvsTable t;
  for (const auto& payload : *services) {
    auto g = genl::parse_genl(payload);
    if (!g) return unexpected(protocol_error("service dump", g.error()));
    auto s = codec::decode_service(*g);
    if (!s) return unexpected(protocol_error("service dump", s.error()));
    t.services.push_back(std::move(*s));
  }
  // One destination dump per service, one after the other: the kernel runs one dump per
  // socket at a time, and a dump with any entry takes two passes (its entries, then DONE on
  // our next read), so a second dump sent along would only be refused (EBUSY).
  for (auto& s : t.services) {
    auto dests = dump_payloads([&](nl::Writer& w, const codec::Request& r, std::size_t) {
      codec::append_get_dests(w, r, s.key);
      return Kind::dump;
    });
    if (!dests) return unexpected(dests.error());
    for (const auto& payload : *dests) {
      auto g = genl::parse_genl(payload);
      if (!g) return unexpected(protocol_error("destination dump", g.error()));
      auto d = codec::decode_dest(*g, s.key.family);
      if (!d) return unexpected(protocol_error("destination dump", d.error()));
      s.dests.push_back(*d);
    }
  }
  return t;
}

Result<ApplyReport, IpvsError> NetlinkIpvs::apply(std::span<const IpvsOp> ops) {
  writes_ += ops.size();
  auto out = run(
      ops.size(),
      [&](nl::Writer& w, const codec::Request& r, std::size_t i) {
        codec::append_op(w, r, ops[i]);
        return Kind::ack;
      },
      options_.quiet_writes);
  if (!out) return unexpected(out.error());
  ApplyReport report;
  report.writes = ops.size();
  for (std::size_t i = 0; i < out->size(); ++i)
    if (const auto& o = (*out)[i]; o.error)
      report.failures.push_back({i, -o.error, failure_message(ops[i], -o.error, o.ext_message)});
  return report;
}

Result<std::vector<SyncDaemon>, IpvsError> NetlinkIpvs::sync_daemons() {
  auto payloads = dump_payloads([](nl::Writer& w, const codec::Request& r, std::size_t) {
    codec::append_get_daemons(w, r);
    return Kind::dump;
  });
  if (!payloads) return unexpected(payloads.error());
  std::vector<SyncDaemon> out;
  for (const auto& p : *payloads) {
    auto g = genl::parse_genl(p);
    if (!g) return unexpected(protocol_error("daemon dump", g.error()));
    auto d = codec::decode_daemon(*g);
    if (!d) return unexpected(protocol_error("daemon dump", d.error()));
    out.push_back(*d);
  }
  return out;
}

Result<void, IpvsError> NetlinkIpvs::start_sync_daemon(const SyncDaemon& d) {
  return write_one(
      [&](nl::Writer& w, const codec::Request& r, std::size_t) {
        codec::append_new_daemon(w, r, d);
        return Kind::ack;
      },
      "start sync daemon");
}

Result<void, IpvsError> NetlinkIpvs::stop_sync_daemon(SyncState state) {
  return write_one(
      [&](nl::Writer& w, const codec::Request& r, std::size_t) {
        codec::append_del_daemon(w, r, state);
        return Kind::ack;
      },
      "stop sync daemon");
}

Result<Timeouts, IpvsError> NetlinkIpvs::timeouts() {
  auto o = run_one([](nl::Writer& w, const codec::Request& r, std::size_t) {
    codec::append_get_config(w, r);
    return Kind::ack;
  });
  if (!o) return unexpected(o.error());
  if (o->error) return unexpected(kernel_error("get timeouts", o->error, o->ext_message));
  if (o->replies.empty()) return unexpected(protocol_error("get timeouts", genl::DecodeError::unexpected));
  auto g = genl::parse_genl(o->replies.front());
  if (!g) return unexpected(protocol_error("get timeouts", g.error()));
  auto t = codec::decode_config(*g);
  if (!t) return unexpected(protocol_error("get timeouts", t.error()));
  return *t;
}

Result<void, IpvsError> NetlinkIpvs::set_timeouts(const Timeouts& t) {
  return write_one(
      [&](nl::Writer& w, const codec::Request& r, std::size_t) {
        codec::append_set_config(w, r, t);
        return Kind::ack;
      },
      "set timeouts");
}

Result<Info, IpvsError> NetlinkIpvs::info() {
  auto o = run_one([](nl::Writer& w, const codec::Request& r, std::size_t) {
    codec::append_get_info(w, r);
    return Kind::ack;
  });
  if (!o) return unexpected(o.error());
  if (o->error) return unexpected(kernel_error("get info", o->error, o->ext_message));
  if (o->replies.empty()) return unexpected(protocol_error("get info", genl::DecodeError::unexpected));
  auto g = genl::parse_genl(o->replies.front());
  if (!g) return unexpected(protocol_error("get info", g.error()));
  auto i = codec::decode_info(*g);
  if (!i) return unexpected(protocol_error("get info", i.error()));
  return *i;
}

Result<void, IpvsError> NetlinkIpvs::zero(const std::optional<ServiceKey>& service) {
  return write_one(
      [&](nl::Writer& w, const codec::Request& r, std::size_t) {
        codec::append_zero(w, r, service);
        return Kind::ack;
      },
      "zero counters");
}

Result<void, IpvsError> NetlinkIpvs::flush() {
  return write_one(
      [](nl::Writer& w, const codec::Request& r, std::size_t) {
        codec::append_flush(w, r);
        return Kind::ack;
      },
      "flush");
}

}  // namespace vigil::ipvs
