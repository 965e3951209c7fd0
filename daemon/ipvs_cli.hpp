// `vigil ipvs ...`: the operator's one-shot IPVS commands, used by tests and by us.
//   vigil ipvs apply -f FILE [-i ID] [--sync-daemon master|backup] [-v]
//       program FILE's virtual_server blocks as if every real server were healthy (adopting
//       what already matches) and its lvs_timeouts, then exit; with --sync-daemon, also run
//       global_defs lvs_sync_daemon in that role (started, or restarted when it differs).
//       Prints what changed and "N operations (M netlink writes)"; -v adds every request
//       and send counted ("netlink: R requests (W writes, D reads) in S sends").
//   vigil ipvs show [--json] [--stats|--rate|--thresholds|--persistent-conn|--tun-info]
//       the kernel's table, as ipvsadm -Ln --exact [--stats|...] prints it, or JSON
//   vigil ipvs show -c [--persistent-conn] [--json]   the connections (ipvsadm -Lnc)
//   vigil ipvs show --daemon [--json]                 the sync daemons (ipvsadm -Ln --daemon)
//   vigil ipvs show --timeout [--json]                the timeouts (ipvsadm -Ln --timeout)
//   vigil ipvs sync start master|backup --mcast-interface IF [--syncid N] [--sync-maxlen N]
//                   [--mcast-group IP] [--mcast-port N] [--mcast-ttl N]
//   vigil ipvs sync stop master|backup
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

// args: what follows "ipvs" on the command line. `source` serves the configuration and
// /proc/net/ip_vs_conn. Returns the exit status: 0 done, 1 a failure (configuration errors,
// kernel IPVS unavailable, operations refused), 2 usage.
int ipvs_command(const std::vector<std::string>& args, conf::FileSource& source,
                 const IpvsOpener& open_port, std::ostream& out, std::ostream& err);

// main()'s entry: argv[0] is the word after "ipvs"; the real kernel port and the disk.
int ipvs_main(int argc, char** argv);

}  // namespace vigil::daemon
