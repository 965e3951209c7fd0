#include "conf/parser.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace vigil::conf {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

BlockSchema::BlockSchema(std::string_view name, std::vector<KeywordDef> keywords)
    : name_(name), keywords_(std::move(keywords)) {
  for (std::size_t i = 0; i < keywords_.size(); ++i) index_.emplace(keywords_[i].name, i);
}

const KeywordDef* BlockSchema::find(std::string_view keyword) const {
  auto it = index_.find(keyword);
  return it == index_.end() ? nullptr : &keywords_[it->second];
}

std::string_view BlockSchema::suggest(std::string_view keyword) const {
  std::string_view best;
  std::size_t best_d = std::max<std::size_t>(2, keyword.size() / 3) + 1;
  for (const auto& k : keywords_) {
    const std::size_t d = edit_distance(keyword, k.name);
    if (d < best_d) {
      best_d = d;
      best = k.name;
    }
  }
  return best;
}

const Token* Parser::peek() {
  while (at_eol()) {
    if (eof_) return nullptr;
    idx_ = 0;
    if (!pp_.next(line_)) {
      eof_ = true;
      line_.clear();
      return nullptr;
    }
  }
  return &line_.tokens[idx_];
}

Stmt& Parser::stmt_at(std::size_t depth) {
  while (stmts_.size() <= depth) stmts_.push_back(std::make_unique<Stmt>());
  return *stmts_[depth];
}

bool Parser::read_stmt(Stmt& st) {
  // Caller guarantees peek() is a word.
  const std::size_t first = idx_;
  std::size_t last = first + 1;
  while (last < line_.tokens.size() && line_.tokens[last].kind == TokKind::word) ++last;
  std::size_t bytes = 0;
  for (std::size_t k = first; k < last; ++k) bytes += line_.tokens[k].text.size();
  st.storage.clear();
  st.storage.reserve(bytes);
  for (std::size_t k = first; k < last; ++k) st.storage.append(line_.tokens[k].text);
  st.args.clear();
  std::size_t off = 0;
  for (std::size_t k = first; k < last; ++k) {
    Token t = line_.tokens[k];
    t.text = std::string_view(st.storage).substr(off, t.text.size());
    off += t.text.size();
    if (k == first)
      st.keyword = t;
    else
      st.args.push_back(t);
  }
  idx_ = last;
  st.has_block = false;
  st.block_consumed = false;
  // The block's '{' may follow on this line or open the next one.
  const bool same_line = !at_eol();
  const Token* t = peek();
  if (t != nullptr && t->kind == TokKind::open && (same_line || idx_ == 0)) {
    st.has_block = true;
    st.block_loc = t->loc;
    advance();
  }
  return true;
}

void Parser::parse_top(const BlockSchema& schema, void* target) {
  statements(schema, target, false, SourceLoc{});
}

void Parser::parse_block(const Stmt& st, const BlockSchema& schema, void* target) {
  st.block_consumed = true;
  ++depth_;
  statements(schema, target, true, st.block_loc);
  --depth_;
}

void Parser::skip_block(const Stmt& st) {
  st.block_consumed = true;
  int depth = 1;
  while (depth > 0) {
    const Token* t = peek();
    if (t == nullptr) {
      error(st.block_loc, "missing '}' for the block opened here");
      return;
    }
    if (t->kind == TokKind::open) ++depth;
    if (t->kind == TokKind::close) --depth;
    advance();
  }
}

void Parser::skip_stray_open(const Token& open) {
  error(open.loc, "unexpected '{' without a keyword");
  Stmt dummy;
  dummy.has_block = true;
  dummy.block_loc = open.loc;
  advance();
  skip_block(dummy);
}

void Parser::statements(const BlockSchema& schema, void* target, bool nested, SourceLoc open_loc) {
  for (;;) {
    const Token* t = peek();
    if (t == nullptr) {
      if (nested) error(open_loc, "missing '}' for the block opened here");
      return;
    }
    if (t->kind == TokKind::close) {
      advance();
      if (nested) return;
      error(t->loc, "unexpected '}' with no open block");
      continue;
    }
    if (t->kind == TokKind::open) {
      skip_stray_open(*t);
      continue;
    }
    Stmt& st = stmt_at(depth_);
    read_stmt(st);
    dispatch(schema, target, st);
    if (st.has_block && !st.block_consumed) {
      error(st.block_loc, quote(st.name()) + " does not take a block");
      skip_block(st);
    }
  }
}

void Parser::dispatch(const BlockSchema& schema, void* target, const Stmt& st) {
  const KeywordDef* def = schema.find(st.name());
  if (def == nullptr) {
    std::string msg = "unknown keyword " + quote(st.name()) + " in " + std::string(schema.name());
    // Suggestions cost an edit distance per keyword: only for messages that will be shown.
    if (diags_.all().size() < Diagnostics::kMaxStored && st.name().size() <= 64)
      if (auto s = schema.suggest(st.name()); !s.empty()) msg += "; did you mean " + quote(s) + "?";
    warning(st.loc(), std::move(msg));
    if (st.has_block) skip_block(st);
    return;
  }
  if (def->support == Support::accepted || def->handler == nullptr) {
    warning(st.loc(), quote(st.name()) + " in " + std::string(schema.name()) +
                          " is accepted, not supported yet; ignored");
    if (st.has_block) skip_block(st);
    return;
  }
  def->handler(*this, target, st);
}

bool Parser::want_args(const Stmt& st, std::size_t min, std::size_t max) {
  if (st.argc() >= min && st.argc() <= max) return true;
  std::string n;
  if (min == max)
    n = std::to_string(min);
  else if (max == SIZE_MAX)
    n = "at least " + std::to_string(min);
  else
    n = std::to_string(min) + " to " + std::to_string(max);
  error(st.argc() > max ? st.args[max].loc : st.loc(),
        quote(st.name()) + " takes " + n + (max == 1 && min == 1 ? " argument" : " arguments") +
            ", got " + std::to_string(st.argc()));
  return false;
}

bool Parser::want_block(const Stmt& st) {
  if (st.has_block) return true;
  error(st.loc(), quote(st.name()) + " needs a { ... } block");
  return false;
}

std::optional<long long> Parser::integer(const Stmt& st, std::size_t i, long long lo, long long hi) {
  if (i >= st.argc()) {
    error(st.loc(), quote(st.name()) + " is missing a number");
    return std::nullopt;
  }
  std::string_view s = st.arg(i);
  long long v = 0;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (!s.empty() && s[0] == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  if (s.empty() || ec != std::errc{} || p != e) {
    error(st.args[i].loc, quote(st.name()) + ": " + quote(s) + " is not a whole number");
    return std::nullopt;
  }
  if (v < lo || v > hi) {
    error(st.args[i].loc, quote(st.name()) + " " + std::string(s) + " is out of range [" +
                              std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return std::nullopt;
  }
  return v;
}

std::optional<double> Parser::number(const Stmt& st, std::size_t i, double lo, double hi) {
  if (i >= st.argc()) {
    error(st.loc(), quote(st.name()) + " is missing a number");
    return std::nullopt;
  }
  std::string_view s = st.arg(i);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(v)) {
    error(st.args[i].loc, quote(st.name()) + ": " + quote(s) + " is not a number");
    return std::nullopt;
  }
  if (v < lo || v > hi) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " is out of range [%g, %g]", lo, hi);
    error(st.args[i].loc, quote(st.name()) + " " + std::string(s) + buf);
    return std::nullopt;
  }
  return v;
}

std::optional<long long> Parser::timer_us(const Stmt& st, std::size_t i, double lo_s, double hi_s) {
  auto v = number(st, i, lo_s, hi_s);
  if (!v) return std::nullopt;
  return std::llround(*v * 1e6);
}

std::optional<bool> Parser::boolean(const Stmt& st, std::size_t i) {
  static constexpr std::string_view kTrue[] = {"on", "true", "yes"};
  static constexpr std::string_view kFalse[] = {"off", "false", "no"};
  const std::string_view s = st.arg(i);
  for (auto t : kTrue)
    if (s == t) return true;
  for (auto f : kFalse)
    if (s == f) return false;
  error(st.args[i].loc, quote(st.name()) + ": " + quote(s) + " is not a boolean (on|off|true|false|yes|no)");
  return std::nullopt;
}

std::optional<bool> Parser::flag(const Stmt& st) {
  if (!want_args(st, 0, 1)) return std::nullopt;
  if (st.argc() == 0) return true;
  return boolean(st, 0);
}

std::optional<IpAddress> Parser::ip(const Stmt& st, std::size_t i) {
  if (i >= st.argc()) {
    error(st.loc(), quote(st.name()) + " is missing an IP address");
    return std::nullopt;
  }
  auto a = IpAddress::parse(st.arg(i));
  if (!a) error(st.args[i].loc, quote(st.name()) + ": " + quote(st.arg(i)) + " is not an IP address");
  return a;
}

std::optional<Prefix> Parser::prefix(const Stmt& st, std::size_t i) {
  if (i >= st.argc()) {
    error(st.loc(), quote(st.name()) + " is missing an address");
    return std::nullopt;
  }
  auto p = Prefix::parse(st.arg(i));
  if (!p) error(st.args[i].loc, quote(st.arg(i)) + " is not an IP address or prefix");
  return p;
}

std::optional<std::uint16_t> Parser::port(const Stmt& st, std::size_t i) {
  auto v = integer(st, i, 0, 65535);
  if (!v) return std::nullopt;
  return static_cast<std::uint16_t>(*v);
}

std::optional<std::size_t> Parser::choice(const Stmt& st, std::size_t i,
                                          std::span<const std::string_view> choices) {
  if (i >= st.argc()) {
    error(st.loc(), quote(st.name()) + " is missing its value");
    return std::nullopt;
  }
  for (std::size_t k = 0; k < choices.size(); ++k)
    if (st.arg(i) == choices[k]) return k;
  std::string list;
  for (auto c : choices) list += (list.empty() ? "" : "|") + std::string(c);
  error(st.args[i].loc, quote(st.name()) + ": " + quote(st.arg(i)) + " is not one of " + list);
  return std::nullopt;
}

std::string Parser::rest(const Stmt& st, std::size_t i) const {
  std::string out;
  for (std::size_t k = i; k < st.argc(); ++k) {
    if (k > i) out += ' ';
    // Keep arguments that contained spaces as one shell word.
    if (st.arg(k).find_first_of(" \t") != std::string_view::npos)
      out += "'" + std::string(st.arg(k)) + "'";
    else
      out += st.arg(k);
  }
  return out;
}

}  // namespace vigil::conf
