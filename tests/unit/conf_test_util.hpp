// Helpers for conf tests: load text from an in-memory file system.
#pragma once
#include <string>

#include "conf/load.hpp"
#include "conf/model.hpp"
#include "conf/source.hpp"

namespace vigil::conf::testing {

inline LoadResult load_text(const std::string& text, const std::string& id = "testhost") {
  MemorySource src;
  src.add("/etc/keepalived/keepalived.conf", text);
  LoadOptions o;
  o.config_id = id;
  return load("/etc/keepalived/keepalived.conf", src, o);
}

inline LoadResult load_files(MemorySource& src, const std::string& id = "testhost") {
  LoadOptions o;
  o.config_id = id;
  return load("/etc/keepalived/keepalived.conf", src, o);
}

inline bool has_diag(const LoadResult& r, Severity s, std::uint32_t line, const std::string& part) {
  for (const auto& d : r.diagnostics.all())
    if (d.severity == s && d.loc.line == line && d.message.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace vigil::conf::testing
