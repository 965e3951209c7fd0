#include "conf/lexer.hpp"

#include <gtest/gtest.h>

namespace vigil::conf {
namespace {

std::vector<std::string> words(std::string_view text, Diagnostics* out = nullptr) {
  Diagnostics d;
  Line line;
  lex_line(text, SourceLoc{1, 0, 1}, line, out ? *out : d);
  std::vector<std::string> v;
  for (const auto& t : line.tokens) v.emplace_back(t.text);
  return v;
}

TEST(Lexer, SplitsOnWhitespace) {
  EXPECT_EQ(words("  priority\t100  "), (std::vector<std::string>{"priority", "100"}));
}

TEST(Lexer, HashAndBangStartCommentsAnywhere) {
  EXPECT_EQ(words("priority 100 # the priority"), (std::vector<std::string>{"priority", "100"}));
  EXPECT_EQ(words("priority 100! comment"), (std::vector<std::string>{"priority", "100"}));
  EXPECT_TRUE(words("! whole line").empty());
}

TEST(Lexer, CommentCharactersInsideQuotesAreText) {
  EXPECT_EQ(words(R"(script "/bin/x #1 !2")"), (std::vector<std::string>{"script", "/bin/x #1 !2"}));
}

TEST(Lexer, QuotesJoinLikeTheShell) {
  // keepalived.conf(5): abcd" efg h jkl "mnop is the single string 'abcd efg h jkl mnop'.
  EXPECT_EQ(words(R"(abcd" efg h jkl "mnop)"), (std::vector<std::string>{"abcd efg h jkl mnop"}));
  EXPECT_EQ(words(R"(abcd "efg h jkl" mnop)"),
            (std::vector<std::string>{"abcd", "efg h jkl", "mnop"}));
  EXPECT_EQ(words(R"('it''s')"), (std::vector<std::string>{"its"}));
}

TEST(Lexer, EscapesInsideQuotes) {
  EXPECT_EQ(words(R"("a\tb\x41\101\\\"q")"), (std::vector<std::string>{"a\tbAA\\\"q"}));
  EXPECT_EQ(words(R"("\cA")"), (std::vector<std::string>{"\x01"}));
}

TEST(Lexer, BracesAreTokensWherever) {
  Diagnostics d;
  Line line;
  lex_line("vrrp_instance VI_1{state MASTER}", SourceLoc{3, 0, 1}, line, d);
  ASSERT_EQ(line.tokens.size(), 6u);
  EXPECT_EQ(line.tokens[2].kind, TokKind::open);
  EXPECT_EQ(line.tokens[5].kind, TokKind::close);
  EXPECT_EQ(line.tokens[1].text, "VI_1");
  EXPECT_EQ(line.tokens[2].loc.col, 19);
}

TEST(Lexer, QuotedBraceIsAWord) {
  Diagnostics d;
  Line line;
  lex_line(R"(x "{")", SourceLoc{1, 0, 1}, line, d);
  ASSERT_EQ(line.tokens.size(), 2u);
  EXPECT_EQ(line.tokens[1].kind, TokKind::word);
  EXPECT_TRUE(line.tokens[1].quoted);
}

TEST(Lexer, UnterminatedQuoteIsAnErrorWithItsColumn) {
  Diagnostics d;
  words(R"(notify "/bin/x arg)", &d);
  ASSERT_EQ(d.error_count(), 1u);
  EXPECT_EQ(d.all()[0].loc.col, 8);
  EXPECT_NE(d.all()[0].message.find("unterminated"), std::string::npos);
}

TEST(Lexer, ColumnsAreOneBased) {
  Diagnostics d;
  Line line;
  lex_line("  a bb", SourceLoc{1, 0, 1}, line, d);
  EXPECT_EQ(line.tokens[0].loc.col, 3);
  EXPECT_EQ(line.tokens[1].loc.col, 5);
}

}  // namespace
}  // namespace vigil::conf
