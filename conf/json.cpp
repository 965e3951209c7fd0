// --dump-config: the typed model as JSON, through the same keyword tables that parsed it.
#include "conf/json_writer.hpp"
#include "conf/load.hpp"
#include "conf/model.hpp"
#include "conf/schemas.hpp"

namespace vigil::conf {
namespace {

void dump_checker(JsonWriter& j, const CheckBase& c) {
  const auto index = static_cast<std::size_t>(c.kind);
  j.begin_object();
  j.key("type").value(kCheckerNames[index]);
  // Checker schemas bind members of CheckCommon or of the concrete checker; both start at
  // the same address (single inheritance), which is how they were parsed.
  dump_members(j, checker_schema(index), &c);
  j.end_object();
}

}  // namespace

void dump_virtual_servers(JsonWriter& j, const std::vector<VirtualServer>& v) {
  j.begin_array();
  for (const auto& vs : v) {
    j.begin_object();
    switch (vs.kind) {
      case VirtualServer::Kind::address:
        j.key("address").value(vs.address.to_string());
        j.key("port").value(static_cast<long long>(vs.port));
        break;
      case VirtualServer::Kind::fwmark:
        j.key("fwmark").value(vs.fwmark);
        break;
      case VirtualServer::Kind::group:
        j.key("group").value(vs.group);
        break;
    }
    dump_members(j, virtual_server_schema(), &vs);
    j.key("real_servers");
    j.begin_array();
    for (const auto& rs : vs.real_servers) {
      j.begin_object();
      j.key("address").value(rs.address.to_string());
      if (rs.port.is_set()) j.key("port").value(rs.port.value);
      dump_members(j, real_server_schema(), &rs);
      j.key("checkers");
      j.begin_array();
      for (const auto& c : rs.checkers) dump_checker(j, *c);
      j.end_array();
      j.end_object();
    }
    j.end_array();
    j.end_object();
  }
  j.end_array();
}

std::string to_json(const Config& config) {
  JsonWriter j;
  j.begin_object();
  dump_members(j, top_schema(), &config);
  j.end_object();
  std::string out = j.take();
  out += '\n';
  return out;
}

}  // namespace vigil::conf
