#include <cerrno>
#include <cstring>

#include "ipvs_glue/io/port.hpp"

namespace vigil::ipvs {

std::string errno_text(int err) {
  char buf[128];
  return ::strerror_r(err, buf, sizeof buf);
}

std::string failure_message(const IpvsOp& op, int err, std::string_view ext_message) {
  std::string why = errno_text(err);
  const Service* s = nullptr;
  if (auto* a = std::get_if<AddService>(&op)) s = &a->service;
  if (auto* e = std::get_if<EditService>(&op)) s = &e->service;
  if (s && err == ENOENT) {
    why = "scheduler '" + s->scheduler + "' (module ip_vs_" + s->scheduler + ")";
    if (!s->pe_name.empty()) why += " or persistence engine '" + s->pe_name + "'";
    why += " not available";
  }
  if (!ext_message.empty()) why += " (" + std::string(ext_message) + ")";
  return describe(op) + ": " + why;
}

}  // namespace vigil::ipvs
