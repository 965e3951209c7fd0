// Human-readable descriptions of operations, for the one log line a reconcile writes.
#include <sstream>

#include "ipvs_glue/model/plan.hpp"

namespace vigil::ipvs {
namespace {

template <class T>
void change(std::vector<std::string>& out, const char* what, const T& from, const T& to) {
  if (from == to) return;
  std::ostringstream s;
  s << what << ' ' << from << " -> " << to;
  out.push_back(s.str());
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string service_diff(const Service& from, const Service& to) {
  std::vector<std::string> parts;
  change(parts, "scheduler", from.scheduler, to.scheduler);
  ServiceFlags ff = from.flags, tf = to.flags;
  ff.hashed = tf.hashed = false;
  change(parts, "flags", ff.bits(), tf.bits());
  change(parts, "timeout", from.timeout, to.timeout);
  change(parts, "netmask", int{from.netmask.value_or(0)}, int{to.netmask.value_or(0)});
  change(parts, "pe", from.pe_name, to.pe_name);
  return join(parts, ", ");
}

std::string dest_diff(const Dest& from, const Dest& to) {
  std::vector<std::string> parts;
  change(parts, "forward", std::string(forward_name(from.method)),
         std::string(forward_name(to.method)));
  change(parts, "weight", from.weight, to.weight);
  change(parts, "u_threshold", from.u_threshold, to.u_threshold);
  change(parts, "l_threshold", from.l_threshold, to.l_threshold);
  change(parts, "tun_type", int(from.tun_type), int(to.tun_type));
  change(parts, "tun_port", from.tun_port, to.tun_port);
  change(parts, "tun_flags", from.tun_flags, to.tun_flags);
  return join(parts, ", ");
}

std::string paren(const std::string& s) { return s.empty() ? "" : " (" + s + ")"; }

struct Describer {
  const IpvsTable* current;
  std::string operator()(const AddService& o) const {
    return "add service " + o.service.key.to_string() + " " + o.service.scheduler;
  }
  std::string operator()(const EditService& o) const {
    const Service* cur = current ? current->find(o.service.key) : nullptr;
    return "edit service " + o.service.key.to_string() +
           (cur ? paren(service_diff(*cur, o.service)) : "");
  }
  std::string operator()(const DelService& o) const {
    return "delete service " + o.key.to_string();
  }
  std::string operator()(const AddDest& o) const {
    return "add dest " + o.dest.key().to_string() + " to " + o.service.to_string() + " " +
           std::string(forward_name(o.dest.method)) + " weight " + std::to_string(o.dest.weight);
  }
  std::string operator()(const EditDest& o) const {
    const Service* s = current ? current->find(o.service) : nullptr;
    const Dest* cur = s ? s->find(o.dest.key()) : nullptr;
    return "edit dest " + o.dest.key().to_string() + " in " + o.service.to_string() +
           (cur ? paren(dest_diff(*cur, o.dest)) : "");
  }
  std::string operator()(const DelDest& o) const {
    return "delete dest " + o.dest.to_string() + " from " + o.service.to_string();
  }
};

}  // namespace

std::string describe(const IpvsOp& op, const IpvsTable* current) {
  return std::visit(Describer{current}, op);
}

std::string summarize(const Plan& p, const IpvsTable* current) {
  if (p.ops.empty()) return "no changes";
  std::vector<std::string> parts;
  const auto n = p.ops.size();
  for (std::size_t i = 0; i < n && i < kSummaryOps; ++i) parts.push_back(describe(p.ops[i], current));
  if (n > kSummaryOps) parts.push_back("... and " + std::to_string(n - kSummaryOps) + " more");
  return std::to_string(n) + (n == 1 ? " change: " : " changes: ") + join(parts, "; ");
}

}  // namespace vigil::ipvs
