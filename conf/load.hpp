// The configuration pipeline's front door: file -> preprocess -> parse -> validate -> Config.
#pragma once
#include <memory>
#include <string>

#include "conf/diagnostics.hpp"
#include "conf/source.hpp"

namespace vigil::conf {

struct Config;  // conf/model.hpp

struct LoadOptions {
  std::string config_id;  // keepalived's -i; empty means the short host name
  // Host facts for warnings (an interface that does not exist here). Empty = don't check.
  std::vector<std::string> host_interfaces;
  bool check_host_interfaces{false};
  // Bounds on what the preprocessor may generate (~SEQ/~LST lines, bytes of one line).
  std::size_t max_generated_lines{1u << 22};
  std::size_t max_line_bytes{1u << 20};
};

struct LoadResult {
  std::unique_ptr<Config> config;  // always set; partial when there are errors
  Diagnostics diagnostics;
  bool ok() const { return !diagnostics.has_errors(); }
  LoadResult();
  LoadResult(LoadResult&&) noexcept;
  LoadResult& operator=(LoadResult&&) noexcept;
  ~LoadResult();
};

LoadResult load(const std::string& path, FileSource& source, const LoadOptions& options);

// The understood configuration as JSON, inherited values resolved (vigil --dump-config).
std::string to_json(const Config& config);

// The short host name (up to the first '.'), keepalived's default config-id.
std::string default_config_id();

}  // namespace vigil::conf
