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
using Kind = codec::Transaction::Kind;

using codec::kernel_error;
using codec::protocol_error;

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

Result<OpenedSocket, IpvsError> open_ipvs_socket(const NetlinkOptions& options) {
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
  codec::Session session;
  session.family = *id;
  // Every ACK is its own skb (about 1 KiB of buffer each): keep a window's ACKs in rcvbuf.
  const auto fits = static_cast<std::size_t>(std::max(s->rcvbuf(), 0)) / 2048;
  session.limits.max_requests = std::clamp<std::size_t>(std::min(options.window, fits), 1, 4096);
  session.limits.quiet_writes = options.quiet_writes;
  session.limits.stage_schedulers = options.stage_schedulers;
  session.limits.dump_retries = options.dump_retries;
  return OpenedSocket{std::move(*s), session};
}

Result<std::unique_ptr<NetlinkIpvs>, IpvsError> NetlinkIpvs::open(NetlinkOptions options) {
  auto s = open_ipvs_socket(options);
  if (!s) return unexpected(s.error());
  return std::unique_ptr<NetlinkIpvs>(new NetlinkIpvs(std::move(*s), options));
}

NetlinkIpvs::NetlinkIpvs(OpenedSocket s, NetlinkOptions options)
    : socket_(std::move(s.socket)), session_(s.session), options_(options) {}

Result<void, IpvsError> NetlinkIpvs::drive(codec::Transaction& t) {
  while (!t.done()) {
    auto out = t.take_output();
    if (t.done()) break;
    if (!out.empty()) {
      if (auto r = socket_.send(out); !r) t.fail(r.error());
      continue;
    }
    auto d = socket_.receive(options_.timeout);
    if (!d) {
      t.fail(d.error());
      break;
    }
    t.feed(*d);
  }
  if (t.error()) return unexpected(*t.error());
  return {};
}

Result<codec::Transaction::Outcome, IpvsError> NetlinkIpvs::one(codec::RequestTxn::Build build,
                                                                codec::Transaction::Kind kind, bool write) {
  codec::RequestTxn t(session_, std::move(build), kind, write);
  if (auto r = drive(t); !r) return unexpected(r.error());
  return t.outcome();
}

Result<std::vector<std::vector<std::byte>>, IpvsError> NetlinkIpvs::dump_payloads(codec::RequestTxn::Build build) {
  auto o = one(std::move(build), Kind::dump, false);
  if (!o) return unexpected(o.error());
  if (o->error) return unexpected(kernel_error("netlink dump", o->error, o->ext_message));
  return std::move(o->replies);
}

Result<void, IpvsError> NetlinkIpvs::write_one(codec::RequestTxn::Build build, const char* what) {
  auto o = one(std::move(build), Kind::ack, true);
  if (!o) return unexpected(o.error());
  if (o->error) return unexpected(kernel_error(what, o->error, o->ext_message));
  return {};
}

Result<IpvsTable, IpvsError> NetlinkIpvs::dump() {
  codec::DumpTableTxn t(session_);
  if (auto r = drive(t); !r) return unexpected(r.error());
  return t.take_table();
}

Result<ApplyReport, IpvsError> NetlinkIpvs::apply(std::span<const IpvsOp> ops) {
  codec::ApplyTxn t(session_, std::vector<IpvsOp>(ops.begin(), ops.end()));
  if (auto r = drive(t); !r) return unexpected(r.error());
  return t.report();
}
Result<std::vector<SyncDaemon>, IpvsError> NetlinkIpvs::sync_daemons() {
  auto payloads = dump_payloads([](nl::Writer& w, const codec::Request& r) {
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
      [&](nl::Writer& w, const codec::Request& r) {
        codec::append_new_daemon(w, r, d);
        return Kind::ack;
      },
      "start sync daemon");
}

Result<void, IpvsError> NetlinkIpvs::stop_sync_daemon(SyncState state) {
  return write_one(
      [&](nl::Writer& w, const codec::Request& r) {
        codec::append_del_daemon(w, r, state);
        return Kind::ack;
      },
      "stop sync daemon");
}

Result<Timeouts, IpvsError> NetlinkIpvs::timeouts() {
  auto o = one([](nl::Writer& w, const codec::Request& r) {
    codec::append_get_config(w, r);
    return Kind::ack;
  }, Kind::ack, false);
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
      [&](nl::Writer& w, const codec::Request& r) {
        codec::append_set_config(w, r, t);
        return Kind::ack;
      },
      "set timeouts");
}

Result<Info, IpvsError> NetlinkIpvs::info() {
  auto o = one([](nl::Writer& w, const codec::Request& r) {
    codec::append_get_info(w, r);
    return Kind::ack;
  }, Kind::ack, false);
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
      [&](nl::Writer& w, const codec::Request& r) {
        codec::append_zero(w, r, service);
        return Kind::ack;
      },
      "zero counters");
}

Result<void, IpvsError> NetlinkIpvs::flush() {
  return write_one(
      [](nl::Writer& w, const codec::Request& r) {
        codec::append_flush(w, r);
        return Kind::ack;
      },
      "flush");
}

}  // namespace vigil::ipvs
