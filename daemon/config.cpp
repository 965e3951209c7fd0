#include "daemon/config.hpp"

#include <net/if.h>

#include <ostream>

namespace vigil::daemon {
namespace {

std::string count(std::size_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

}  // namespace

std::vector<std::string> host_interfaces() {
  std::vector<std::string> names;
  if (struct if_nameindex* list = ::if_nameindex()) {
    for (const struct if_nameindex* i = list; i->if_index != 0 && i->if_name; ++i) {
      names.emplace_back(i->if_name);
    }
    ::if_freenameindex(list);
  }
  return names;
}

conf::LoadOptions load_options(const Options& options, bool check_host) {
  conf::LoadOptions lo;
  lo.config_id = options.config_id;
  lo.check_host_interfaces = check_host;
  if (check_host) lo.host_interfaces = host_interfaces();
  return lo;
}

void print_diagnostics(std::ostream& err, const conf::Diagnostics& diagnostics) {
  for (const auto& d : diagnostics.all()) err << diagnostics.format(d) << '\n';
  if (diagnostics.dropped() > 0) {
    err << count(diagnostics.dropped(), "more diagnostic") << " not shown\n";
  }
}

void log_diagnostics(Logger& log, const conf::Diagnostics& diagnostics) {
  for (const auto& d : diagnostics.all()) {
    const LogLevel level = d.severity == conf::Severity::error     ? LogLevel::error
                           : d.severity == conf::Severity::warning ? LogLevel::warning
                                                                   : LogLevel::info;
    log.log(level, diagnostics.format(d));
  }
  if (diagnostics.dropped() > 0) {
    log.warning(count(diagnostics.dropped(), "more diagnostic") + " not shown");
  }
}

int config_test(const Options& options, conf::FileSource& source, std::ostream& out,
                std::ostream& err) {
  const auto result = conf::load(options.config_file, source, load_options(options, true));
  const auto& diags = result.diagnostics;
  print_diagnostics(err, diags);
  const std::string file = "Configuration file " + options.config_file + ": ";
  const std::string warnings =
      diags.warning_count() > 0 ? " (" + count(diags.warning_count(), "warning") + ")" : "";
  if (result.ok()) {
    out << file << "OK" << warnings << '\n';
    return 0;
  }
  err << file << count(diags.error_count(), "error") << warnings << '\n';
  return 1;
}

int dump_config(const Options& options, conf::FileSource& source, std::ostream& out,
                std::ostream& err) {
  const auto result = conf::load(options.config_file, source, load_options(options, false));
  // Warnings too: "accepted, not supported yet" explains what the JSON leaves out.
  print_diagnostics(err, result.diagnostics);
  if (!result.ok()) {
    err << "Configuration file " << options.config_file << ": "
        << count(result.diagnostics.error_count(), "error") << '\n';
    return 1;
  }
  out << conf::to_json(*result.config) << '\n';
  return 0;
}

}  // namespace vigil::daemon
