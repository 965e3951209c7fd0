// The keyword tables of every block, and the list/line parsers they share.
#pragma once
#include <vector>

#include "conf/json_writer.hpp"
#include "conf/model.hpp"
#include "conf/parser.hpp"

namespace vigil::conf {

const BlockSchema& top_schema();
const BlockSchema& global_defs_schema();
const BlockSchema& vrrp_instance_schema();
const BlockSchema& vrrp_sync_group_schema();
const BlockSchema& vrrp_script_schema();
const BlockSchema& track_file_schema();
const BlockSchema& track_process_schema();
const BlockSchema& garp_group_schema();
const BlockSchema& authentication_schema();
const BlockSchema& virtual_server_schema();
const BlockSchema& real_server_schema();
const BlockSchema& bfd_instance_schema();
const BlockSchema& ssl_schema();
// Checker blocks, by name (TCP_CHECK, HTTP_GET, ...), and the url / host sub-blocks.
const BlockSchema& checker_schema(std::size_t checker_index);
const BlockSchema& url_schema();
const BlockSchema& smtp_host_schema();

// Shared line parsers.
void parse_address_list(Parser& p, const Stmt& st, std::vector<IpAddressEntry>& out);
void parse_route_list(Parser& p, const Stmt& st, bool rules, std::vector<RouteEntry>& out);
void parse_track_list(Parser& p, const Stmt& st, std::vector<TrackRef>& out);
void parse_name_list(Parser& p, const Stmt& st, std::vector<Located<std::string>>& out);

void dump_address_list(JsonWriter& j, const std::vector<IpAddressEntry>& v);
void dump_route_list(JsonWriter& j, const std::vector<RouteEntry>& v);
void dump_track_list(JsonWriter& j, const std::vector<TrackRef>& v);
void dump_name_list(JsonWriter& j, const std::vector<Located<std::string>>& v);
void dump_virtual_servers(JsonWriter& j, const std::vector<VirtualServer>& v);

}  // namespace vigil::conf
