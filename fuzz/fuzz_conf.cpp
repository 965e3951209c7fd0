// libFuzzer target for the whole configuration pipeline: preprocessor (includes, macros,
// sequences, conditionals), lexer, parser, validation and the JSON dump.
//
// The input is split at the first NUL byte: before it, the main file; after it, a file the
// main one may include as "inc.conf" (or through a glob "*.conf").
#include <cstddef>
#include <cstdint>
#include <string>

#include "conf/load.hpp"
#include "conf/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  vigil::conf::MemorySource src;
  src.add("/fuzz/keepalived.conf", input.substr(0, nul));
  if (nul != std::string::npos) src.add("/fuzz/inc.conf", input.substr(nul + 1));
  vigil::conf::LoadOptions options;
  options.config_id = "main";
  // Keep each run small; the bounds themselves are what is being exercised.
  options.max_generated_lines = 4096;
  options.max_line_bytes = 1u << 16;
  auto result = vigil::conf::load("/fuzz/keepalived.conf", src, options);
  const std::string json = vigil::conf::to_json(*result.config);
  if (json.empty() || json.front() != '{') __builtin_trap();
  (void)result.diagnostics.format_all();
  return 0;
}
