// The IPVS table a keepalived configuration asks for, as if every real server were healthy
// (what `vigil ipvs apply` programs). Kept apart from plan(): this part links vigil_conf.
#pragma once
#include <optional>
#include <set>

#include "ipvs_glue/model/types.hpp"

namespace vigil::conf {
struct Config;
}

namespace vigil::ipvs {

// Every virtual_server (virtual_server_group members expanded: addresses, ranges, fwmarks)
// with its real servers; the sorry_server only where there are no real servers. Services in
// the configuration's order; a key declared twice keeps its first declaration.
IpvsTable desired_from_config(const conf::Config& config);

// The services the configuration declares: what plan() may touch.
std::set<ServiceKey> owned_keys(const IpvsTable& desired);

// global_defs lvs_timeouts (unset values are 0: leave the kernel's as they are).
Timeouts timeouts_from_config(const conf::Config& config);

// global_defs lvs_sync_daemon, in the given role; empty when none is configured.
std::optional<SyncDaemon> sync_daemon_from_config(const conf::Config& config, SyncState state);

}  // namespace vigil::ipvs
