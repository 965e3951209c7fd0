// vigil_keywords: prints the parser's keyword tables as TSV, one keyword a line:
//   block <TAB> keyword <TAB> support <TAB> summary
// support is modelled, accepted (parsed and skipped with a warning) or deprecated (an older
// name; the summary is then the new name). tools/gen_man_keywords.py turns this into the
// keyword sections of man/vigil.conf.5.
#include <iostream>
#include <string_view>

#include "conf/parser.hpp"

namespace {

std::string_view support_name(vigil::conf::Support s) {
  switch (s) {
    case vigil::conf::Support::modelled: return "modelled";
    case vigil::conf::Support::accepted: return "accepted";
    case vigil::conf::Support::deprecated: return "deprecated";
  }
  return "unknown";
}

}  // namespace

int main() {
  for (const auto* schema : vigil::conf::all_schemas())
    for (const auto& k : schema->keywords())
      std::cout << schema->name() << '\t' << k.name << '\t' << support_name(k.support) << '\t'
                << k.summary << '\n';
  return std::cout.good() ? 0 : 1;
}
