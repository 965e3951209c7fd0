// vigil: a keepalived-compatible VRRP and IPVS director.
#include <iostream>

#include "conf/source.hpp"
#include "daemon/config.hpp"
#include "daemon/options.hpp"
#include "daemon/run.hpp"

int main(int argc, char** argv) {
  using namespace vigil::daemon;
  const auto options = parse_options(argc, argv);
  if (!options) {
    std::cerr << "vigil: " << options.error() << "\nTry 'vigil --help' for more information.\n";
    return 1;
  }
  if (options->help) {
    std::cout << usage_text();
    return 0;
  }
  if (options->version) {
    std::cout << version_text() << '\n';
    return 0;
  }
  vigil::conf::DiskSource disk;
  if (options->config_test) return config_test(*options, disk, std::cout, std::cerr);
  if (options->dump_config) return dump_config(*options, disk, std::cout, std::cerr);
  return run_daemon(*options);
}
