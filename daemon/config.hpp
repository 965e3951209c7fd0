// The daemon's side of the configuration: loading with the command-line options, the -t and
// --dump-config commands, and reporting diagnostics to a stream or to the log.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "conf/load.hpp"
#include "daemon/log.hpp"
#include "daemon/options.hpp"

namespace vigil::daemon {

// Interface names on this host (if_nameindex(3)), for "no such interface" warnings.
std::vector<std::string> host_interfaces();

conf::LoadOptions load_options(const Options& options, bool check_host);

// -t: diagnostics on err, "Configuration file FILE: OK" on out. Returns the exit status:
// 0 without errors (warnings allowed), 1 otherwise.
int config_test(const Options& options, conf::FileSource& source, std::ostream& out,
                std::ostream& err);

// --dump-config: JSON on out, or diagnostics on err and status 1 when there are errors.
int dump_config(const Options& options, conf::FileSource& source, std::ostream& out,
                std::ostream& err);

// Every stored diagnostic, one per line, plus a line for any that were not stored.
void print_diagnostics(std::ostream& err, const conf::Diagnostics& diagnostics);
void log_diagnostics(Logger& log, const conf::Diagnostics& diagnostics);

}  // namespace vigil::daemon
