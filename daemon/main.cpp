// vigil: a keepalived-compatible VRRP and IPVS director.
#include <iostream>
#include <string_view>

#include "conf/source.hpp"
#include "daemon/config.hpp"
#include "daemon/genhash.hpp"
#include "daemon/ipvs_cli.hpp"
#include "daemon/options.hpp"
#include "daemon/run.hpp"

int main(int argc, char** argv) {
  using namespace vigil::daemon;
  // `vigil ipvs ...`: the one-shot IPVS commands, before the daemon's option parsing.
  if (argc > 1 && std::string_view(argv[1]) == "ipvs") return ipvs_main(argc - 2, argv + 2);
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
  if (!options->genhash_url.empty())
    return genhash({options->genhash_url, options->genhash_virtualhost, options->genhash_ssl}, std::cout, std::cerr);
  vigil::conf::DiskSource disk;
  if (options->config_test) return config_test(*options, disk, std::cout, std::cerr);
  if (options->dump_config) return dump_config(*options, disk, std::cout, std::cerr);
  return run_daemon(*options);
}
