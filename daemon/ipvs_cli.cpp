#include "daemon/ipvs_cli.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <charconv>
#include <chrono>
#include <csignal>
#include <iostream>

#include "conf/load.hpp"
#include "conf/model.hpp"
#include "daemon/config.hpp"
#include "ipvs_glue/io/async_netlink_ipvs.hpp"
#include "ipvs_glue/io/netlink_ipvs.hpp"
#include "ipvs_glue/io/reconcile_service.hpp"
#include "ipvs_glue/io/reconcile.hpp"
#include "ipvs_glue/model/connections.hpp"
#include "ipvs_glue/model/format.hpp"
#include "ipvs_glue/model/from_config.hpp"

namespace vigil::daemon {
namespace {

constexpr const char* kUsage =
    "Usage: vigil ipvs apply [-f FILE] [-i CONFIG_ID] [--sync-daemon master|backup] [-v]\n"
    "       vigil ipvs show [--json] [--stats|--rate|--thresholds|--persistent-conn|--tun-info]\n"
    "       vigil ipvs show -c|--connection [--persistent-conn] [--json]\n"
    "       vigil ipvs show --daemon [--json]\n"
    "       vigil ipvs show --timeout [--json]\n"
    "       vigil ipvs sync start master|backup --mcast-interface IF [--syncid N]\n"
    "                  [--sync-maxlen N] [--mcast-group IP] [--mcast-port N] [--mcast-ttl N]\n"
    "       vigil ipvs sync stop master|backup\n"
    "       vigil ipvs watch [-f FILE] [-i CONFIG_ID] [--interval SECS]\n"
    "  apply  program FILE's virtual servers (every real server taken as healthy) and\n"
    "         lvs_timeouts, adopting what the kernel already holds; services not in FILE are\n"
    "         left alone. --sync-daemon: also run global_defs lvs_sync_daemon in that role;\n"
    "         -v: also count every netlink request (reads too) and send\n"
    "  show   the kernel's IPVS table as ipvsadm -Ln --exact prints it (or JSON); -c the\n"
    "         connections, --daemon the sync daemons, --timeout the timeouts\n"
    "  sync   start or stop a connection synchronisation daemon\n"
    "  watch  apply FILE, then keep it applied (foreground, log on stdout): drift repair\n"
    "         every SECS (default 60, 0 = only on demand), SIGUSR1 = repair now, SIGHUP =\n"
    "         re-read FILE and apply the difference, SIGTERM/SIGINT = exit\n";

enum class ShowWhat : std::uint8_t { table, connections, daemons, timeouts };

struct Args {
  std::string command;
  std::string file{kDefaultConfigFile};
  std::string config_id;
  bool json{false};
  bool verbose{false};
  unsigned long interval_s{60};  // watch
  ShowWhat what{ShowWhat::table};
  ipvs::ListFormat list{ipvs::ListFormat::plain};
  bool persistent_conn{false};
  std::optional<ipvs::SyncState> sync_state;  // apply --sync-daemon; sync start|stop
  bool sync_start{false};
  ipvs::SyncDaemon daemon;  // sync start
};

using ParseResult = Result<Args, std::string>;

std::optional<ipvs::SyncState> state_of(std::string_view w) {
  if (w == "master") return ipvs::SyncState::master;
  if (w == "backup") return ipvs::SyncState::backup;
  return std::nullopt;
}

Result<unsigned long, std::string> number(const std::string& option, const std::string& v,
                                          unsigned long min, unsigned long max) {
  unsigned long n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || end != v.data() + v.size() || v.empty() || n < min || n > max)
    return unexpected("option '" + option + "' needs a number from " + std::to_string(min) +
                      " to " + std::to_string(max) + ", not '" + v + "'");
  return n;
}

ParseResult parse(const std::vector<std::string>& args) {
  Args a;
  if (args.empty()) return unexpected(std::string("missing command"));
  a.command = args[0];
  if (a.command != "apply" && a.command != "show" && a.command != "sync" && a.command != "watch")
    return unexpected("unknown command '" + a.command + "'");
  std::size_t i = 1;
  if (a.command == "sync") {
    if (args.size() < 3 || (args[1] != "start" && args[1] != "stop"))
      return unexpected(std::string("'sync' needs 'start' or 'stop' and 'master' or 'backup'"));
    a.sync_start = args[1] == "start";
    a.sync_state = state_of(args[2]);
    if (!a.sync_state) return unexpected("sync state must be 'master' or 'backup', not '" + args[2] + "'");
    a.daemon.state = *a.sync_state;
    i = 3;
  }
  int listings = 0, modes = 0;
  for (; i < args.size(); ++i) {
    const std::string& w = args[i];
    auto value = [&]() -> Result<std::string, std::string> {
      if (i + 1 >= args.size()) return unexpected("option '" + w + "' needs a value");
      return args[++i];
    };
    auto num = [&](unsigned long min, unsigned long max) -> Result<unsigned long, std::string> {
      auto v = value();
      if (!v) return unexpected(v.error());
      return number(w, *v, min, max);
    };
    auto list = [&](ipvs::ListFormat f) {
      a.list = f;
      ++listings;
    };
    const bool watch = a.command == "watch";
    const bool apply = a.command == "apply", takes_file = apply || watch, show = a.command == "show",
               start = a.command == "sync" && a.sync_start;
    if ((w == "-f" || w == "--use-file") && takes_file) {
      auto v = value();
      if (!v) return unexpected(v.error());
      a.file = *v;
    } else if ((w == "-i" || w == "--config-id") && takes_file) {
      auto v = value();
      if (!v) return unexpected(v.error());
      a.config_id = *v;
    } else if (w == "--interval" && watch) {
      auto v = num(0, 86400);
      if (!v) return unexpected(v.error());
      a.interval_s = *v;
    } else if ((w == "-v" || w == "--verbose") && apply) {
      a.verbose = true;
    } else if (w == "--sync-daemon" && apply) {
      auto v = value();
      if (!v) return unexpected(v.error());
      a.sync_state = state_of(*v);
      if (!a.sync_state) return unexpected("--sync-daemon takes 'master' or 'backup', not '" + *v + "'");
    } else if (w == "--json" && show) {
      a.json = true;
    } else if ((w == "-n" || w == "--numeric" || w == "--exact") && show) {
      // ipvsadm's -n and --exact: vigil always prints both ways.
    } else if (w == "--stats" && show) {
      list(ipvs::ListFormat::stats);
    } else if (w == "--rate" && show) {
      list(ipvs::ListFormat::rate);
    } else if (w == "--thresholds" && show) {
      list(ipvs::ListFormat::thresholds);
    } else if (w == "--tun-info" && show) {
      list(ipvs::ListFormat::tun_info);
    } else if (w == "--persistent-conn" && show) {
      list(ipvs::ListFormat::persistent_conn);
      a.persistent_conn = true;
    } else if ((w == "-c" || w == "--connection") && show) {
      a.what = ShowWhat::connections;
      ++modes;
    } else if (w == "--daemon" && show) {
      a.what = ShowWhat::daemons;
      ++modes;
    } else if (w == "--timeout" && show) {
      a.what = ShowWhat::timeouts;
      ++modes;
    } else if ((w == "--mcast-interface" || w == "--interface") && start) {
      auto v = value();
      if (!v) return unexpected(v.error());
      a.daemon.interface = *v;
    } else if (w == "--syncid" && start) {
      auto v = num(0, 255);
      if (!v) return unexpected(v.error());
      a.daemon.syncid = static_cast<std::uint32_t>(*v);
    } else if ((w == "--sync-maxlen" || w == "--maxlen") && start) {
      auto v = num(1, 65535 - 20 - 8);
      if (!v) return unexpected(v.error());
      a.daemon.maxlen = static_cast<std::uint16_t>(*v);
    } else if ((w == "--mcast-port" || w == "--port") && start) {
      auto v = num(1, 65535);
      if (!v) return unexpected(v.error());
      a.daemon.port = static_cast<std::uint16_t>(*v);
    } else if ((w == "--mcast-ttl" || w == "--ttl") && start) {
      auto v = num(1, 255);
      if (!v) return unexpected(v.error());
      a.daemon.ttl = static_cast<std::uint8_t>(*v);
    } else if ((w == "--mcast-group" || w == "--group") && start) {
      auto v = value();
      if (!v) return unexpected(v.error());
      const auto g = IpAddress::parse(*v);
      if (!g || !g->is_multicast()) return unexpected("--mcast-group '" + *v + "' is not a multicast address");
      a.daemon.group = g;
    } else {
      return unexpected("unrecognised argument '" + w + "' for '" + a.command + "'");
    }
  }
  if (modes > 1) return unexpected(std::string("-c, --daemon and --timeout exclude each other"));
  if (a.what == ShowWhat::connections) {
    if (listings > (a.persistent_conn ? 1 : 0))
      return unexpected(std::string("-c takes only --persistent-conn"));
  } else if (listings > 1) {
    return unexpected(std::string("--stats, --rate, --thresholds, --persistent-conn and --tun-info exclude each other"));
  } else if (listings && a.what != ShowWhat::table) {
    return unexpected(std::string("--daemon and --timeout take no listing option"));
  }
  if (a.command == "sync" && a.sync_start && a.daemon.interface.empty())
    return unexpected(std::string("'sync start' needs --mcast-interface"));
  return a;
}

Result<std::unique_ptr<ipvs::IpvsPort>, int> open(const IpvsOpener& open_port, std::ostream& err) {
  auto port = open_port();
  if (!port) {
    err << "vigil ipvs: " << port.error().message << '\n';
    return unexpected(1);
  }
  return std::move(*port);
}

// lvs_timeouts, when the configuration gives any and the kernel differs: one write.
Result<std::size_t, ipvs::IpvsError> apply_timeouts(ipvs::IpvsPort& port, const conf::Config& c) {
  const ipvs::Timeouts want = ipvs::timeouts_from_config(c);
  if (want == ipvs::Timeouts{}) return 0;
  auto have = port.timeouts();
  if (!have) return unexpected(have.error());
  if ((!want.tcp || want.tcp == have->tcp) && (!want.tcp_fin || want.tcp_fin == have->tcp_fin) &&
      (!want.udp || want.udp == have->udp))
    return 0;
  if (auto r = port.set_timeouts(want); !r) return unexpected(r.error());
  return 1;
}

// global_defs lvs_sync_daemon in `state`: started when not running, restarted when running
// otherwise, left alone when it matches. Returns the operations done; `out` gets what changed.
Result<std::size_t, ipvs::IpvsError> apply_sync_daemon(ipvs::IpvsPort& port, const conf::Config& c,
                                                       ipvs::SyncState state, std::ostream& out) {
  const auto want = ipvs::sync_daemon_from_config(c, state);
  if (!want)
    return unexpected(ipvs::IpvsError{ipvs::IpvsError::Kind::kernel, EINVAL,
                                      "--sync-daemon: the configuration has no lvs_sync_daemon"});
  auto have = port.sync_daemons();
  if (!have) return unexpected(have.error());
  const ipvs::SyncDaemon* running = nullptr;
  for (const auto& d : *have)
    if (d.state == state) running = &d;
  if (running && ipvs::sync_daemon_satisfies(*running, *want)) return 0;
  std::size_t ops = 0;
  if (running) {
    out << "stop " << ipvs::format_daemon_line(*running) << '\n';
    if (auto r = port.stop_sync_daemon(state); !r) return unexpected(r.error());
    ++ops;
  }
  out << "start " << ipvs::format_daemon_line(ipvs::kernel_view(*want)) << '\n';
  if (auto r = port.start_sync_daemon(*want); !r) return unexpected(r.error());
  return ops + 1;
}

void print_count(std::ostream& out, std::size_t ops, std::uint64_t writes) {
  out << ops << (ops == 1 ? " operation (" : " operations (") << writes
      << (writes == 1 ? " netlink write)\n" : " netlink writes)\n");
}

std::int64_t ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
      .count();
}

int apply(const Args& a, conf::FileSource& source, const IpvsOpener& open_port, std::ostream& out,
          std::ostream& err) {
  const auto t_load = std::chrono::steady_clock::now();
  conf::LoadOptions lo;
  lo.config_id = a.config_id;
  const auto loaded = conf::load(a.file, source, lo);
  print_diagnostics(err, loaded.diagnostics);
  if (!loaded.ok()) {
    err << "vigil ipvs: configuration " << a.file << " has errors; nothing applied\n";
    return 1;
  }
  const auto desired = ipvs::desired_from_config(*loaded.config);
  const auto load_ms = ms_since(t_load);
  const auto t_kernel = std::chrono::steady_clock::now();
  auto port = open(open_port, err);
  if (!port) return port.error();
  const auto before = (*port)->writes();
  const auto requests_before = (*port)->requests(), sends_before = (*port)->sends();
  auto report = ipvs::reconcile(**port, desired, ipvs::owned_keys(desired));
  if (!report) {
    err << "vigil ipvs: " << report.error().message << '\n';
    return 1;
  }
  auto timeouts = apply_timeouts(**port, *loaded.config);
  if (!timeouts) err << "vigil ipvs: " << timeouts.error().message << '\n';
  if (report->ops) out << report->summary << '\n';
  Result<std::size_t, ipvs::IpvsError> sync = std::size_t{0};
  if (a.sync_state) {
    sync = apply_sync_daemon(**port, *loaded.config, *a.sync_state, out);
    if (!sync) err << "vigil ipvs: sync daemon: " << sync.error().message << '\n';
  }
  for (const auto& k : report->foreign)
    out << "left alone (not in " << a.file << "): " << k.to_string() << '\n';
  for (const auto& f : report->failures) err << "vigil ipvs: " << f.message << '\n';
  const std::uint64_t writes = (*port)->writes() - before;
  if (a.verbose) {
    const std::uint64_t requests = (*port)->requests() - requests_before;
    out << "netlink: " << requests << " requests (" << writes << " writes, " << requests - writes
        << " reads) in " << (*port)->sends() - sends_before << " sends; configuration " << load_ms
        << " ms, kernel " << ms_since(t_kernel) << " ms\n";
  }
  print_count(out, report->ops + timeouts.value_or(0) + sync.value_or(0), writes);
  return report->ok() && timeouts && sync ? 0 : 1;
}

int show_connections(const Args& a, conf::FileSource& source, std::ostream& out, std::ostream& err) {
  auto text = source.read(ipvs::kConnectionsFile);
  if (!text) {
    err << "vigil ipvs: cannot read " << ipvs::kConnectionsFile << ": " << text.error()
        << " (is ip_vs loaded?)\n";
    return 1;
  }
  auto conns = ipvs::parse_ip_vs_conn(*text);
  if (!conns) {
    err << "vigil ipvs: " << conns.error() << '\n';
    return 1;
  }
  out << (a.json ? ipvs::format_connections_json(*conns) + "\n"
                 : ipvs::format_connections(*conns, a.persistent_conn));
  return 0;
}

int show(const Args& a, conf::FileSource& source, const IpvsOpener& open_port, std::ostream& out,
         std::ostream& err) {
  if (a.what == ShowWhat::connections) return show_connections(a, source, out, err);
  auto port = open(open_port, err);
  if (!port) return port.error();
  auto fail = [&](const ipvs::IpvsError& e) {
    err << "vigil ipvs: " << e.message << '\n';
    return 1;
  };
  if (a.what == ShowWhat::daemons) {
    auto d = (*port)->sync_daemons();
    if (!d) return fail(d.error());
    out << (a.json ? ipvs::format_daemons_json(*d) + "\n" : ipvs::format_daemons(*d));
    return 0;
  }
  if (a.what == ShowWhat::timeouts) {
    auto t = (*port)->timeouts();
    if (!t) return fail(t.error());
    out << (a.json ? ipvs::format_timeouts_json(*t) + "\n" : ipvs::format_timeouts(*t));
    return 0;
  }
  auto info = (*port)->info();
  auto table = (*port)->dump();
  if (!table) return fail(table.error());
  const std::optional<ipvs::Info> i = info ? std::optional(*info) : std::nullopt;
  out << (a.json ? ipvs::format_json(*table, i) + "\n" : ipvs::format_ipvsadm(*table, i, a.list));
  return 0;
}

int sync(const Args& a, const IpvsOpener& open_port, std::ostream& out, std::ostream& err) {
  auto port = open(open_port, err);
  if (!port) return port.error();
  const auto state = *a.sync_state;
  const auto r = a.sync_start ? (*port)->start_sync_daemon(a.daemon) : (*port)->stop_sync_daemon(state);
  if (!r) {
    err << "vigil ipvs: " << (a.sync_start ? "start " : "stop ") << ipvs::sync_state_name(state)
        << " sync daemon: " << r.error().message << '\n';
    return 1;
  }
  if (!a.sync_start) {
    out << "stopped " << ipvs::sync_state_name(state) << " sync daemon\n";
    return 0;
  }
  auto d = (*port)->sync_daemons();
  if (d)
    for (const auto& x : *d)
      if (x.state == state) out << "started " << ipvs::format_daemon_line(x) << '\n';
  return 0;
}

std::optional<ipvs::IpvsTable> load_desired(const Args& a, conf::FileSource& source, std::ostream& err) {
  conf::LoadOptions lo;
  lo.config_id = a.config_id;
  const auto loaded = conf::load(a.file, source, lo);
  print_diagnostics(err, loaded.diagnostics);
  if (!loaded.ok()) {
    err << "vigil ipvs: configuration " << a.file << " has errors\n";
    return std::nullopt;
  }
  return ipvs::desired_from_config(*loaded.config);
}

// `vigil ipvs watch`: the ReconcileService on an Asio loop in the foreground, over the
// non-blocking netlink client. Every run ends with one line (for tests and the benchmark):
// "run: dump|cache, N operations, R netlink requests[, failed]; T ms".
int watch(const Args& a, conf::FileSource& source, std::ostream& out, std::ostream& err) {
  auto desired = load_desired(a, source, err);
  if (!desired) return 1;
  boost::asio::io_context io;
  auto port = ipvs::AsyncNetlinkIpvs::open(io);
  if (!port) {
    err << "vigil ipvs: " << port.error().message << '\n';
    return 1;
  }
  ipvs::ReconcileService svc(
      io, **port,
      [&out](ipvs::Severity, std::string line) { out << line << std::endl; },
      {.interval = std::chrono::seconds(a.interval_s)});
  std::set<ipvs::ServiceKey> owned = ipvs::owned_keys(*desired);
  svc.on_run([&out](const ipvs::RunReport& r) {
    out << "run: " << (r.dumped ? "dump" : "cache") << ", " << r.ops << (r.ops == 1 ? " operation, " : " operations, ")
        << r.requests << (r.requests == 1 ? " netlink request" : " netlink requests")
        << (r.error || !r.failures.empty() ? ", failed" : "") << "; " << r.took.count() << " ms" << std::endl;
  });
  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  signals.add(SIGUSR1);
  std::function<void()> arm = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGUSR1) {
        svc.repair_now();
      } else if (signo == SIGHUP) {
        if (auto d = load_desired(a, source, err)) {
          for (const auto& k : ipvs::owned_keys(*d)) owned.insert(k);
          svc.set_desired(std::move(*d));
        }
      } else {
        svc.stop();
        io.stop();
        return;
      }
      arm();
    });
  };
  arm();
  svc.start(std::move(*desired), owned);
  out << "watching " << a.file << " (drift repair every " << a.interval_s << " s; SIGUSR1 repairs now)" << std::endl;
  io.run();
  return 0;
}

}  // namespace

int ipvs_command(const std::vector<std::string>& args, conf::FileSource& source,
                 const IpvsOpener& open_port, std::ostream& out, std::ostream& err) {
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")) {
    out << kUsage;
    return 0;
  }
  const auto a = parse(args);
  if (!a) {
    err << "vigil ipvs: " << a.error() << '\n' << kUsage;
    return 2;
  }
  if (a->command == "apply") return apply(*a, source, open_port, out, err);
  if (a->command == "sync") return sync(*a, open_port, out, err);
  if (a->command == "watch") return watch(*a, source, out, err);
  return show(*a, source, open_port, out, err);
}

int ipvs_main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  conf::DiskSource disk;
  const IpvsOpener open = []() -> Result<std::unique_ptr<ipvs::IpvsPort>, ipvs::IpvsError> {
    auto p = ipvs::NetlinkIpvs::open();
    if (!p) return unexpected(p.error());
    return std::unique_ptr<ipvs::IpvsPort>(std::move(*p));
  };
  return ipvs_command(args, disk, open, std::cout, std::cerr);
}

}  // namespace vigil::daemon
