#include "daemon/ipvs_cli.hpp"

#include <iostream>

#include "conf/load.hpp"
#include "conf/model.hpp"
#include "daemon/config.hpp"
#include "ipvs_glue/io/netlink_ipvs.hpp"
#include "ipvs_glue/io/reconcile.hpp"
#include "ipvs_glue/model/format.hpp"
#include "ipvs_glue/model/from_config.hpp"

namespace vigil::daemon {
namespace {

constexpr const char* kUsage =
    "Usage: vigil ipvs apply [-f FILE] [-i CONFIG_ID]\n"
    "       vigil ipvs show [--json]\n"
    "  apply  program FILE's virtual servers (every real server taken as healthy), adopting\n"
    "         what the kernel already holds; services not in FILE are left alone\n"
    "  show   the kernel's IPVS table, as ipvsadm -Ln --exact (or JSON)\n";

struct Args {
  std::string command;
  std::string file{kDefaultConfigFile};
  std::string config_id;
  bool json{false};
};

Result<Args, std::string> parse(const std::vector<std::string>& args) {
  Args a;
  if (args.empty()) return unexpected(std::string("missing command"));
  a.command = args[0];
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& w = args[i];
    auto value = [&]() -> Result<std::string, std::string> {
      if (i + 1 >= args.size()) return unexpected("option '" + w + "' needs a value");
      return args[++i];
    };
    if ((w == "-f" || w == "--use-file") && a.command == "apply") {
      auto v = value();
      if (!v) return unexpected(v.error());
      a.file = *v;
    } else if ((w == "-i" || w == "--config-id") && a.command == "apply") {
      auto v = value();
      if (!v) return unexpected(v.error());
      a.config_id = *v;
    } else if (w == "--json" && a.command == "show") {
      a.json = true;
    } else {
      return unexpected("unrecognised argument '" + w + "' for '" + a.command + "'");
    }
  }
  if (a.command != "apply" && a.command != "show")
    return unexpected("unknown command '" + a.command + "'");
  return a;
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

int apply(const Args& a, conf::FileSource& source, const IpvsOpener& open_port, std::ostream& out,
          std::ostream& err) {
  conf::LoadOptions lo;
  lo.config_id = a.config_id;
  const auto loaded = conf::load(a.file, source, lo);
  print_diagnostics(err, loaded.diagnostics);
  if (!loaded.ok()) {
    err << "vigil ipvs: configuration " << a.file << " has errors; nothing applied\n";
    return 1;
  }
  const auto desired = ipvs::desired_from_config(*loaded.config);
  auto port = open_port();
  if (!port) {
    err << "vigil ipvs: " << port.error().message << '\n';
    return 1;
  }
  const auto before = (*port)->writes();
  auto report = ipvs::reconcile(**port, desired, ipvs::owned_keys(desired));
  if (!report) {
    err << "vigil ipvs: " << report.error().message << '\n';
    return 1;
  }
  auto timeouts = apply_timeouts(**port, *loaded.config);
  if (!timeouts) err << "vigil ipvs: " << timeouts.error().message << '\n';
  if (report->ops) out << report->summary << '\n';
  for (const auto& k : report->foreign)
    out << "left alone (not in " << a.file << "): " << k.to_string() << '\n';
  for (const auto& f : report->failures) err << "vigil ipvs: " << f.message << '\n';
  const std::size_t ops = report->ops + timeouts.value_or(0);
  const std::uint64_t writes = (*port)->writes() - before;
  out << ops << (ops == 1 ? " operation (" : " operations (") << writes
      << (writes == 1 ? " netlink write)\n" : " netlink writes)\n");
  return report->ok() && timeouts ? 0 : 1;
}

int show(const Args& a, const IpvsOpener& open_port, std::ostream& out, std::ostream& err) {
  auto port = open_port();
  if (!port) {
    err << "vigil ipvs: " << port.error().message << '\n';
    return 1;
  }
  auto info = (*port)->info();
  auto table = (*port)->dump();
  if (!table) {
    err << "vigil ipvs: " << table.error().message << '\n';
    return 1;
  }
  const std::optional<ipvs::Info> i = info ? std::optional(*info) : std::nullopt;
  out << (a.json ? ipvs::format_json(*table, i) + "\n" : ipvs::format_ipvsadm(*table, i));
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
  return show(*a, open_port, out, err);
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
