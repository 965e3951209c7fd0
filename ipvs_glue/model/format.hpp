// Read-back rendering of an IpvsTable: ipvsadm-like text and JSON (vigil ipvs show).
#pragma once
#include <optional>
#include <string>

#include "ipvs_glue/model/types.hpp"

namespace vigil::ipvs {

// The text of `ipvsadm -Ln --exact`: header (when `info` is given), services sorted by key,
// destinations by address and port, column for column.
std::string format_ipvsadm(const IpvsTable& table, const std::optional<Info>& info);

// The service line alone ("TCP  192.0.2.1:80 rr persistent 300"), as ipvsadm prints it.
std::string format_service_line(const Service& s);

// A JSON document: {"services":[{...,"dests":[...]}]}, every field including stats.
std::string format_json(const IpvsTable& table, const std::optional<Info>& info);

}  // namespace vigil::ipvs
