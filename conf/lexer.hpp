// Lexer: one logical line of keepalived.conf text -> tokens.
//   - '#' and '!' start a comment anywhere outside quotes;
//   - quotes (" or ') toggle quoting inside a word, shell-style: abc" d"e is one word "abc de";
//   - inside quotes the escapes \a \b \E \f \n \r \t \v \nnn \xXX \cC and \C are decoded;
//     outside quotes a backslash escapes only a quote, a backslash, a comment character or a
//     brace;
//   - '{' and '}' outside quotes are tokens of their own wherever they stand.
#pragma once
#include <string_view>

#include "conf/diagnostics.hpp"
#include "conf/token.hpp"

namespace vigil::conf {

// Returns the offset where a comment starts outside quotes, or text.size().
std::size_t comment_start(std::string_view text);

// Appends the tokens of `text` (which starts at `loc`) to `out`. An unterminated quote is
// reported as an error and the word is closed at the end of the line.
// With strip_comments false the caller has already cut the comment (before parameter
// expansion, so that ${_HASH} and ${_BANG} produce literal characters).
void lex_line(std::string_view text, SourceLoc loc, Line& out, Diagnostics& diags,
              bool strip_comments = true);

// Decodes the escape at text[i] (text[i] == '\\') into `out`; returns the index after it.
std::size_t decode_escape(std::string_view text, std::size_t i, std::string& out);

}  // namespace vigil::conf
