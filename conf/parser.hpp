// Parser: logical lines -> statements, dispatched through per-block keyword tables straight
// into the typed model (no intermediate tree, so a 40,000-server file costs little memory).
//
// A statement is a keyword, its arguments up to the end of the line (or a brace), and an
// optional block, whose '{' may stand on the same line or on the next.
#pragma once
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/ip.hpp"
#include "conf/diagnostics.hpp"
#include "conf/preprocess.hpp"
#include "conf/token.hpp"

namespace vigil::conf {

class Parser;

struct Stmt {
  Token keyword;
  std::vector<Token> args;
  bool has_block{false};
  SourceLoc block_loc{};
  mutable bool block_consumed{false};
  std::string storage;

  SourceLoc loc() const { return keyword.loc; }
  std::string_view name() const { return keyword.text; }
  std::size_t argc() const { return args.size(); }
  std::string_view arg(std::size_t i) const { return args[i].text; }
};

class JsonWriter;
using Handler = void (*)(Parser&, void* target, const Stmt&);
// Writes `key: value` for this keyword's value in `target`, when it was given (or resolved).
using Dumper = void (*)(JsonWriter&, std::string_view key, const void* target);

enum class Support : std::uint8_t {
  modelled,    // parsed into the typed model
  accepted,    // parsed and skipped with an "accepted, not supported yet" warning
  deprecated,  // modelled, under an older name that keepalived still accepts
};

struct KeywordDef {
  std::string_view name;
  Support support{Support::modelled};
  Handler handler{nullptr};
  std::string_view summary;  // one line for the manual; for deprecated: the new name
  Dumper dump{nullptr};
};

class BlockSchema {
 public:
  BlockSchema(std::string_view name, std::vector<KeywordDef> keywords);
  std::string_view name() const { return name_; }
  const std::vector<KeywordDef>& keywords() const { return keywords_; }
  const KeywordDef* find(std::string_view keyword) const;
  // The closest keyword by edit distance, for "did you mean" (empty when nothing is close).
  std::string_view suggest(std::string_view keyword) const;

 private:
  std::string_view name_;
  std::vector<KeywordDef> keywords_;
  std::unordered_map<std::string_view, std::size_t> index_;
};

// Every block schema, for the manual and its test.
std::vector<const BlockSchema*> all_schemas();
// The keyword values of `target` in schema order, as JSON members of the open object.
void dump_members(JsonWriter& j, const BlockSchema& schema, const void* target);

class Parser {
 public:
  Parser(Preprocessor& pp, Diagnostics& diags) : pp_(pp), diags_(diags) {}

  // Statements until the end of input.
  void parse_top(const BlockSchema& schema, void* target);
  // The block of `st`, as keyword statements of `schema`.
  void parse_block(const Stmt& st, const BlockSchema& schema, void* target);
  // The block of `st` as a list: each line is an item whose first word is st.keyword of the
  // item Stmt. Items with blocks of their own are errors.
  template <class F>
  void parse_items(const Stmt& st, F&& on_item);
  void skip_block(const Stmt& st);
  // A '{' with no keyword before it: reported, and its block skipped.
  void skip_stray_open(const Token& open);

  Diagnostics& diags() { return diags_; }
  void error(SourceLoc loc, std::string msg) { diags_.error(loc, std::move(msg)); }
  void warning(SourceLoc loc, std::string msg) { diags_.warning(loc, std::move(msg)); }

  // Argument helpers: each reports its own error and returns nullopt/false on bad input.
  bool want_args(const Stmt& st, std::size_t min, std::size_t max);
  bool want_block(const Stmt& st);
  std::optional<long long> integer(const Stmt& st, std::size_t i, long long lo, long long hi);
  std::optional<double> number(const Stmt& st, std::size_t i, double lo, double hi);
  // keepalived <TIMER>: seconds with an optional fraction; returned in microseconds.
  std::optional<long long> timer_us(const Stmt& st, std::size_t i, double lo_s, double hi_s);
  // A flag keyword with an optional <BOOL>: absent means true.
  std::optional<bool> flag(const Stmt& st);
  std::optional<bool> boolean(const Stmt& st, std::size_t i);
  std::optional<IpAddress> ip(const Stmt& st, std::size_t i);
  std::optional<Prefix> prefix(const Stmt& st, std::size_t i);
  std::optional<std::uint16_t> port(const Stmt& st, std::size_t i);
  // One of `choices` (exact match); otherwise an error listing them.
  std::optional<std::size_t> choice(const Stmt& st, std::size_t i,
                                    std::span<const std::string_view> choices);
  // All arguments from i on, joined by spaces (script command lines and the like).
  std::string rest(const Stmt& st, std::size_t i = 0) const;

 private:
  enum class End { eof, close };
  void statements(const BlockSchema& schema, void* target, bool nested, SourceLoc open_loc);
  bool read_stmt(Stmt& st);
  const Token* peek();
  bool at_eol() const { return idx_ >= line_.tokens.size(); }
  void advance() { ++idx_; }
  Stmt& stmt_at(std::size_t depth);
  void dispatch(const BlockSchema& schema, void* target, const Stmt& st);

  Preprocessor& pp_;
  Diagnostics& diags_;
  Line line_;
  std::size_t idx_{0};
  bool eof_{false};
  std::size_t depth_{0};
  std::vector<std::unique_ptr<Stmt>> stmts_;
};

template <class F>
void Parser::parse_items(const Stmt& st, F&& on_item) {
  st.block_consumed = true;
  ++depth_;
  for (;;) {
    const Token* t = peek();
    if (t == nullptr) {
      error(st.block_loc, "missing '}' for the block opened here");
      break;
    }
    if (t->kind == TokKind::close) {
      advance();
      break;
    }
    if (t->kind == TokKind::open) {
      skip_stray_open(*t);
      continue;
    }
    Stmt& item = stmt_at(depth_);
    read_stmt(item);
    if (item.has_block) {
      error(item.block_loc, "'" + std::string(item.name()) + "' is a list item and takes no block");
      skip_block(item);
      continue;
    }
    on_item(item);
  }
  --depth_;
}

}  // namespace vigil::conf
