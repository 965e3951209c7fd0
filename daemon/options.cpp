#include "daemon/options.hpp"

#include <boost/program_options.hpp>
#include <sstream>
#include <vector>

namespace vigil::daemon {
namespace po = boost::program_options;

namespace {

po::options_description describe(Options& o) {
  po::options_description d("Options");
  // clang-format off
  d.add_options()
    ("use-file,f", po::value(&o.config_file)->value_name("FILE"),
     "configuration file (default /etc/keepalived/keepalived.conf)")
    ("config-test,t", po::bool_switch(&o.config_test),
     "check the configuration and exit (0 if it has no errors)")
    ("dump-config", po::bool_switch(&o.dump_config),
     "print the understood configuration as JSON and exit")
    ("vrrp,P", po::bool_switch(&o.vrrp_only), "run only the VRRP subsystem")
    ("check,C", po::bool_switch(&o.check_only), "run only the health-checker subsystem")
    ("no_bfd,B", po::bool_switch(&o.no_bfd), "do not run the BFD sessions (bfd_instance)")
    ("dont-fork,n", po::bool_switch(&o.dont_fork), "stay in the foreground")
    ("log-console,l", po::bool_switch(&o.log_console), "log to the console, not syslog")
    ("log-detail,D", po::bool_switch(&o.log_detail), "detailed (debug) logging")
    ("config-id,i", po::value(&o.config_id)->value_name("ID"),
     "configuration id for @ID lines (default: the short host name)")
    ("pid,p", po::value(&o.pid_file)->value_name("FILE"),
     "pid file (default /run/vigil.pid)")
    ("tcp-check", po::value<std::string>()->value_name("syn|connect")
       ->notifier([&o](const std::string& v) {
         if (v != "syn" && v != "connect")
           throw po::error("--tcp-check takes syn or connect, not '" + v + "'");
         o.tcp_check_syn = v == "syn";
       }),
     "TCP_CHECK by a half-open SYN probe (default) or a full connect()")
    ("genhash", po::value(&o.genhash_url)->value_name("URL"),
     "print the MD5 digest of URL's body for HTTP_GET's digest, and exit")
    ("virtualhost", po::value(&o.genhash_virtualhost)->value_name("NAME"),
     "with --genhash: the Host header (and SNI over TLS)")
    ("ssl", po::bool_switch(&o.genhash_ssl), "with --genhash: fetch over TLS (as https://)")
    ("version,v", po::bool_switch(&o.version), "print the version and exit")
    ("help,h", po::bool_switch(&o.help), "print this help and exit");
  // clang-format on
  return d;
}

}  // namespace

Result<Options, std::string> parse_options(int argc, const char* const* argv) {
  Options o;
  auto desc = describe(o);
  // Collected only to name them in the error: a stray word is a mistake, not a file name.
  std::vector<std::string> stray;
  desc.add_options()("stray-argument", po::value(&stray));
  po::positional_options_description positional;
  positional.add("stray-argument", -1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv)
                  .options(desc)
                  .positional(positional)
                  .style(po::command_line_style::unix_style)
                  .run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return unexpected(std::string(e.what()));
  }
  if (!stray.empty()) return unexpected("unexpected argument '" + stray.front() + "'");
  if (o.genhash_url.empty() && (!o.genhash_virtualhost.empty() || o.genhash_ssl))
    return unexpected(std::string("--virtualhost and --ssl go with --genhash URL"));
  if (o.config_file.empty()) return unexpected(std::string("empty configuration file name"));
  if (o.pid_file.empty()) return unexpected(std::string("empty pid file name"));
  return o;
}

std::string usage_text() {
  Options scratch;
  std::ostringstream out;
  out << "Usage: vigil [OPTION]...\n"
         "A keepalived-compatible VRRP and IPVS director.\n\n"
      << describe(scratch);
  return out.str();
}

std::string version_text() { return std::string("vigil ") + VIGIL_VERSION; }

}  // namespace vigil::daemon
