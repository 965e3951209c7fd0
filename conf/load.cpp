#include "conf/load.hpp"

#include <unistd.h>

#include "conf/model.hpp"
#include "conf/parser.hpp"
#include "conf/preprocess.hpp"
#include "conf/schemas.hpp"
#include "conf/validate.hpp"

namespace vigil::conf {

LoadResult::LoadResult() : config(std::make_unique<Config>()) {}
LoadResult::LoadResult(LoadResult&&) noexcept = default;
LoadResult& LoadResult::operator=(LoadResult&&) noexcept = default;
LoadResult::~LoadResult() = default;

std::string default_config_id() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return {};
  std::string name(buf);
  return name.substr(0, name.find('.'));
}

LoadResult load(const std::string& path, FileSource& source, const LoadOptions& options) {
  LoadResult r;
  PreprocessOptions pp_opt;
  pp_opt.config_id = options.config_id.empty() ? default_config_id() : options.config_id;
  pp_opt.max_generated_lines = options.max_generated_lines;
  pp_opt.max_line_bytes = options.max_line_bytes;
  Preprocessor pp(source, r.diagnostics, pp_opt);
  if (!pp.open(path)) return r;
  Parser parser(pp, r.diagnostics);
  parser.parse_top(top_schema(), r.config.get());
  validate(*r.config, r.diagnostics, options);
  return r;
}

}  // namespace vigil::conf
