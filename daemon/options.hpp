// Command-line options: keepalived's flags where keepalived has them, plus --dump-config.
// Parsing is a pure function of argv so tests need no process.
#pragma once
#include <string>

#include "base/result.hpp"

namespace vigil::daemon {

inline constexpr const char* kDefaultConfigFile = "/etc/keepalived/keepalived.conf";
inline constexpr const char* kDefaultPidFile = "/run/vigil.pid";

struct Options {
  std::string config_file{kDefaultConfigFile};  // -f, --use-file
  std::string pid_file{kDefaultPidFile};        // -p, --pid
  std::string config_id;                        // -i, --config-id; empty = short host name
  bool config_test{false};                      // -t, --config-test
  bool dump_config{false};                      // --dump-config
  bool vrrp_only{false};                        // -P, --vrrp
  bool no_bfd{false};                           // -B, --no_bfd
  bool check_only{false};                       // -C, --check
  bool dont_fork{false};                        // -n, --dont-fork
  bool log_console{false};                      // -l, --log-console
  bool log_detail{false};                       // -D, --log-detail
  bool version{false};                          // -v, --version
  bool help{false};                             // -h, --help
  // --tcp-check=syn|connect: TCP_CHECK by a half-open SYN probe (raw sockets; connect()
  // without CAP_NET_RAW) or by a full connect(), as keepalived.
  bool tcp_check_syn{true};
  // `vigil --genhash URL [--virtualhost NAME] [--ssl]`: keepalived's genhash (genhash.hpp).
  std::string genhash_url;                      // --genhash
  std::string genhash_virtualhost;              // --virtualhost
  bool genhash_ssl{false};                      // --ssl

  // Neither -P nor -C means both subsystems, as in keepalived.
  bool run_vrrp() const { return vrrp_only || !check_only; }
  bool run_check() const { return check_only || !vrrp_only; }
};

// An error is a one-line message for the operator ("unrecognised option '--foo'").
Result<Options, std::string> parse_options(int argc, const char* const* argv);

// The --help text.
std::string usage_text();

// "vigil 0.1.0"
std::string version_text();

}  // namespace vigil::daemon
