// Tokens of the keepalived.conf language after preprocessing.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "conf/diagnostics.hpp"

namespace vigil::conf {

enum class TokKind : std::uint8_t { word, open, close };

struct Token {
  std::string_view text;
  SourceLoc loc;
  TokKind kind{TokKind::word};
  bool quoted{false};  // any part of the word was quoted (so "{" is a word, not a brace)
};

// One logical line: its tokens, whose text lives in `storage`.
struct Line {
  std::vector<Token> tokens;
  std::string storage;
  void clear() {
    tokens.clear();
    storage.clear();
  }
};

}  // namespace vigil::conf
