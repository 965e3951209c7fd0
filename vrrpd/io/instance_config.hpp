// From the validated configuration (conf::VrrpInstance) to what the driver runs
// (InstanceConfig): keepalived's defaults and the host's facts (interface index, primary
// address) resolved once, at start.
#pragma once
#include <functional>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "conf/model.hpp"
#include "vrrpd/io/file_watch.hpp"
#include "vrrpd/io/instance.hpp"
#include "vrrpd/io/net.hpp"
#include "vrrpd/io/sync_group.hpp"
#include "vrrpd/io/tracking.hpp"

namespace vigil::vrrp::io {

using InterfaceLookup = std::function<std::optional<InterfaceInfo>(const std::string&)>;

// The error is a message for the log: the instance cannot run (e.g. no source address). An
// interface that does not exist is not an error: ifindex stays 0 and the instance is FAULT.
Result<InstanceConfig, std::string> make_instance_config(const conf::VrrpInstance& vi,
                                                         const conf::GlobalDefs& global,
                                                         const InterfaceLookup& lookup);

// use_vmac: the instance now runs on the macvlan `name` (index `ifindex`): its VIPs that were
// on the VMAC's configured name move to it, and so do its adverts unless vmac_xmit_base.
void bind_vmac(InstanceConfig& c, const std::string& name, int ifindex);
// The interface of the vrrp_instance (the VMAC's base when there is one).
const std::string& configured_interface(const InstanceConfig& c);

// A script line ready to run. Who runs it: the script's own `user [group]` (or `user_setting`,
// a vrrp_script's `user` line), else global_defs `script_user [group]`, else vigil's own
// user. With `enable_script_security`, a script that would run as root and that a user other
// than root could replace is refused. Empty argv: not configured, or refused (the warning
// says why). Names are resolved once per (user, group) and program: at start, not per run.
struct PreparedScript {
  std::vector<std::string> argv;
  RunAs as;
  std::string warning;
};
PreparedScript prepare_script(const conf::Setting<conf::Script>& script, const conf::GlobalDefs& global,
                              const conf::Setting<conf::Script>* user_setting = nullptr);

// The tracked objects of an instance: its own track_interface / track_script / track_file,
// then its vrrp_sync_group's, with keepalived's weights (see TrackItem). Scripts without a
// `script` line are left out (conf/ warned).
std::vector<TrackItem> track_items(const conf::Config& config, const conf::VrrpInstance& vi);
// The vrrp_scripts some instance or group tracks, and every track_file.
std::vector<ScriptSpec> script_specs(const conf::Config& config, std::vector<std::string>* warnings = nullptr);
std::vector<FileSpec> file_specs(const conf::Config& config);
std::vector<SyncGroupConfig> sync_groups(const conf::Config& config, std::vector<std::string>* warnings = nullptr);
// static_ipaddress lines (their dev is required by keepalived; an unknown one is an error).
Result<std::vector<Vip>, std::string> static_addresses(const conf::Config& config,
                                                       const InterfaceLookup& lookup);

// virtual_routes / static_routes (dev resolved to an index) and virtual_rules /
// static_rules; the lines vigil does not understand are left out with a warning each.
struct RouteSpecs {
  std::vector<RouteSpec> routes;
  std::vector<std::string> warnings;
};
struct RuleSpecs {
  std::vector<RuleSpec> rules;
  std::vector<std::string> warnings;
};
RouteSpecs route_specs(const std::vector<conf::RouteEntry>& entries, const InterfaceLookup& lookup);
RuleSpecs rule_specs(const std::vector<conf::RouteEntry>& entries, Family family);

// The family of the instance: its VIPs' (conf/ guarantees they agree), else IPv4.
Family instance_family(const conf::VrrpInstance& vi);

// RT_SCOPE_* for `scope host|link|site|global|nowhere|<0-255>`; empty is global.
std::optional<std::uint8_t> parse_scope(const std::string& text);

}  // namespace vigil::vrrp::io
