// `vigil ipvs ...`: the operator's one-shot IPVS commands, used by tests and by us.
//   vigil ipvs apply -f FILE [-i ID]   program FILE's virtual_server blocks as if every real
//                                      server were healthy (adopting what already matches),
//                                      then exit; prints "N operations (M netlink writes)"
//   vigil ipvs show [--json]           the kernel's table, as ipvsadm -Ln --exact, or JSON
#pragma once
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "conf/source.hpp"
#include "ipvs_glue/io/port.hpp"

namespace vigil::daemon {

using IpvsOpener = std::function<Result<std::unique_ptr<ipvs::IpvsPort>, ipvs::IpvsError>()>;

// args: what follows "ipvs" on the command line. Returns the exit status: 0 done, 1 a
// failure (configuration errors, kernel IPVS unavailable, operations refused), 2 usage.
int ipvs_command(const std::vector<std::string>& args, conf::FileSource& source,
                 const IpvsOpener& open_port, std::ostream& out, std::ostream& err);

// main()'s entry: argv[0] is the word after "ipvs"; the real kernel port and the disk.
int ipvs_main(int argc, char** argv);

}  // namespace vigil::daemon
