// The IPVS generic-netlink protocol (<linux/ip_vs.h>): request messages as bytes, and
// replies parsed into model values. Pure. Every request is one netlink message; append_*
// writes one after another into a Writer so that many go out in one send (pipelining).
//
// Wire facts the kernel fixes (net/netfilter/ipvs/ip_vs_ctl.c):
//  - integer attributes are host order; ports (SVC/DEST PORT, DEST TUN_PORT) big-endian;
//  - addresses are 16 bytes (union nf_inet_addr), IPv4 in the first four;
//  - NETMASK is the IPv4 mask in network order, or the IPv6 prefix length in host order;
//  - FLAGS is struct ip_vs_flags {flags, mask}; HASHED is never sent (the kernel owns it);
//  - NEW/SET_SERVICE need SCHED_NAME, FLAGS, TIMEOUT and NETMASK; NEW/SET_DEST need
//    FWD_METHOD, WEIGHT, U_THRESH and L_THRESH; the DEL_* commands only the keys.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ipvs_glue/codec/genl.hpp"
#include "ipvs_glue/model/plan.hpp"
#include "ipvs_glue/model/types.hpp"

namespace vigil::ipvs::codec {

using genl::DecodeError;

inline constexpr std::uint8_t kIpvsGenlVersion = 1;  // IPVS_GENL_VERSION
inline constexpr std::uint16_t kAfInet = 2, kAfInet6 = 10;

struct Request {
  std::uint16_t family{};  // the IPVS family id, from the controller
  std::uint32_t seq{};
};

// Writes, acknowledged (NLM_F_REQUEST | NLM_F_ACK).
void append_new_service(nl::Writer& w, const Request& r, const Service& s);
void append_set_service(nl::Writer& w, const Request& r, const Service& s);
void append_del_service(nl::Writer& w, const Request& r, const ServiceKey& k);
void append_new_dest(nl::Writer& w, const Request& r, const ServiceKey& k, const Dest& d);
void append_set_dest(nl::Writer& w, const Request& r, const ServiceKey& k, const Dest& d);
void append_del_dest(nl::Writer& w, const Request& r, const ServiceKey& k, const DestKey& d);
void append_op(nl::Writer& w, const Request& r, const IpvsOp& op);
void append_new_daemon(nl::Writer& w, const Request& r, const SyncDaemon& d);
void append_del_daemon(nl::Writer& w, const Request& r, SyncState state);
void append_set_config(nl::Writer& w, const Request& r, const Timeouts& t);
void append_zero(nl::Writer& w, const Request& r, const std::optional<ServiceKey>& k);
void append_flush(nl::Writer& w, const Request& r);
// Reads: dumps (NLM_F_REQUEST | NLM_F_DUMP) and single replies (NLM_F_REQUEST | NLM_F_ACK).
void append_get_services(nl::Writer& w, const Request& r);
void append_get_dests(nl::Writer& w, const Request& r, const ServiceKey& k);
void append_get_daemons(nl::Writer& w, const Request& r);
void append_get_config(nl::Writer& w, const Request& r);
void append_get_info(nl::Writer& w, const Request& r);

// One message as bytes: encode(r, append_x, args...) == the bytes append_x writes.
template <class F, class... A>
std::vector<std::byte> encode(const Request& r, F&& append, const A&... args) {
  nl::Writer w;
  append(w, r, args...);
  return std::move(w).take();
}

// Replies to GET_SERVICE (IPVS_CMD_NEW_SERVICE) and GET_DEST (IPVS_CMD_NEW_DEST) dumps; the
// same functions read the attributes of requests. A destination without ADDR_FAMILY has
// the service's family.
Result<Service, DecodeError> decode_service(const genl::GenlMessage& m);
Result<Dest, DecodeError> decode_dest(const genl::GenlMessage& m, Family service_family);
Result<SyncDaemon, DecodeError> decode_daemon(const genl::GenlMessage& m);
Result<Timeouts, DecodeError> decode_config(const genl::GenlMessage& m);
Result<Info, DecodeError> decode_info(const genl::GenlMessage& m);

// Which command a write is (for error messages and counters): "NEW_SERVICE", ...
std::string_view command_name(std::uint8_t cmd);

}  // namespace vigil::ipvs::codec
