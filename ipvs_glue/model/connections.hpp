// The IPVS connection table as the kernel shows it in /proc/net/ip_vs_conn (there is no
// netlink dump of connections; ipvsadm -c reads the same file). Pure: text in, values out.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "ipvs_glue/model/types.hpp"

namespace vigil::ipvs {

inline constexpr const char* kConnectionsFile = "/proc/net/ip_vs_conn";

// The file's text: a header line, then one line per connection (ip_vs_conn_seq_show):
//   "TCP 0A000102 B3A4 0A000164 0050 0A00020B 0050 TIME_WAIT        119[ PE DATA]"
// with IPv4 addresses as 8 hex digits, IPv6 ones as 8 groups of 4, ports as 4 hex digits.
// A line that does not read as such is an error naming its line number.
Result<std::vector<Connection>, std::string> parse_ip_vs_conn(std::string_view text);

}  // namespace vigil::ipvs
