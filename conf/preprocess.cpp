#include "conf/preprocess.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "conf/lexer.hpp"

namespace vigil::conf {
namespace {

__extension__ typedef __int128 Wide;  // ~SEQ bounds: any 64-bit values, no overflow

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

// "$NAME=" at the start (after optional "@id "): the line defines a parameter.
bool looks_like_definition(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '@') {
    const auto sp = s.find_first_of(" \t");
    if (sp == std::string_view::npos) return false;
    s = trim(s.substr(sp));
  }
  if (s.size() < 2 || s[0] != '$' || !is_name_start(s[1])) return false;
  std::size_t i = 2;
  while (i < s.size() && is_name_char(s[i])) ++i;
  return i < s.size() && s[i] == '=';
}

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::optional<long long> parse_int(std::string_view s) {
  s = trim(s);
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  unsigned long long mag = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), mag, base);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  constexpr unsigned long long kMax = static_cast<unsigned long long>(INT64_MAX);
  if (mag > kMax + (neg ? 1 : 0)) return std::nullopt;
  if (neg) return mag == kMax + 1 ? INT64_MIN : -static_cast<long long>(mag);
  return static_cast<long long>(mag);
}

// Splits "a, {b, c}, d" at top-level commas.
std::vector<std::string_view> split_args(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '{') ++depth;
    if (s[i] == '}') --depth;
    if (s[i] == ',' && depth == 0) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim(s.substr(start)));
  return out;
}

std::vector<std::string_view> braced_list(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && s.front() == '{' && s.back() == '}') return split_args(s.substr(1, s.size() - 2));
  return {s};
}

}  // namespace

Preprocessor::Preprocessor(FileSource& source, Diagnostics& diags, PreprocessOptions options)
    : source_(source), diags_(diags), opt_(std::move(options)) {
  if (!opt_.getenv) opt_.getenv = [](const char* n) -> const char* { return std::getenv(n); };
}

bool Preprocessor::open(const std::string& path) { return open_file(path, SourceLoc{}); }

bool Preprocessor::open_file(const std::string& path, SourceLoc at) {
  if (files_.size() >= opt_.max_include_depth) {
    diags_.error(at, "includes nested deeper than " + std::to_string(opt_.max_include_depth) +
                         " levels at '" + path + "'");
    return false;
  }
  std::string identity = source_.identity(path);
  for (const auto& f : files_) {
    if (f.identity == identity) {
      diags_.error(at, "include cycle: '" + path + "' is already being read");
      return false;
    }
  }
  auto reader = source_.open(path);
  if (!reader) {
    diags_.error(at, "cannot read '" + path + "': " + reader.error());
    return false;
  }
  File f;
  f.reader = std::move(*reader);
  f.id = diags_.add_file(path);
  f.dir = dir_of(path);
  f.identity = std::move(identity);
  files_.push_back(std::move(f));
  return true;
}

void Preprocessor::open_next_queued() {
  while (!files_.empty() && !files_.back().include_queue.empty()) {
    File& parent = files_.back();
    std::string next = std::move(parent.include_queue.front());
    parent.include_queue.erase(parent.include_queue.begin());
    if (open_file(next, parent.include_loc)) return;
  }
}

bool Preprocessor::raw_line(File& f, std::string_view& line) {
  static constexpr std::size_t kChunk = 64 * 1024;
  for (;;) {
    const std::size_t nl = f.text.find('\n', f.pos);
    if (nl != std::string::npos) {
      line = std::string_view(f.text).substr(f.pos, nl - f.pos);
      f.pos = nl + 1;
      if (line.size() > opt_.max_line_bytes) {
        diags_.error(SourceLoc{f.line + 1, f.id, 1},
                     "line longer than " + std::to_string(opt_.max_line_bytes) + " bytes");
        line = line.substr(0, 0);
      }
      return true;
    }
    if (f.eof) {
      if (f.pos >= f.text.size()) return false;
      line = std::string_view(f.text).substr(f.pos);
      f.pos = f.text.size();
      return true;
    }
    f.text.erase(0, f.pos);
    f.pos = 0;
    if (f.text.size() > opt_.max_line_bytes) {
      diags_.error(SourceLoc{f.line + 1, f.id, 1},
                   "line longer than " + std::to_string(opt_.max_line_bytes) + " bytes");
      f.text.clear();
      f.eof = true;
      return false;
    }
    const std::size_t old = f.text.size();
    f.text.resize(old + kChunk);
    auto n = f.reader->read(f.text.data() + old, kChunk);
    if (!n) {
      diags_.error(SourceLoc{f.line + 1, f.id, 1}, "read error: " + n.error());
      f.text.resize(old);
      f.eof = true;
      continue;
    }
    f.text.resize(old + *n);
    if (*n == 0) f.eof = true;
  }
}

bool Preprocessor::read_physical(File& f, std::string& out, SourceLoc& loc) {
  out.clear();
  bool first = true;
  bool joined_by_newline = false;
  std::string_view raw;
  while (raw_line(f, raw)) {
    ++f.line;
    ++lines_read_;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (f.line == 1 && raw.starts_with("\xEF\xBB\xBF")) raw.remove_prefix(3);  // UTF-8 BOM
    if (first) {
      loc = SourceLoc{f.line, f.id, 1};
      joined_by_newline = looks_like_definition(raw);
      first = false;
    }
    // A trailing backslash (outside a comment) continues the logical line.
    std::string_view code = raw.substr(0, comment_start(raw));
    std::string_view rtrim = code;
    while (!rtrim.empty() && is_space(rtrim.back())) rtrim.remove_suffix(1);
    if (!rtrim.empty() && rtrim.back() == '\\' &&
        (rtrim.size() < 2 || rtrim[rtrim.size() - 2] != '\\')) {
      out.append(rtrim.substr(0, rtrim.size() - 1));
      out += joined_by_newline ? '\n' : ' ';
      if (out.size() > opt_.max_line_bytes) {
        diags_.error(loc, "continued line longer than " + std::to_string(opt_.max_line_bytes) +
                              " bytes");
        return true;
      }
      continue;
    }
    out.append(raw);
    return true;
  }
  return !first;
}

bool Preprocessor::next(Line& line) {
  line.clear();
  std::string text;
  while (!files_.empty()) {
    File& f = files_.back();
    if (!f.pending.empty()) {
      Pending p = std::move(f.pending.back());
      f.pending.pop_back();
      for (auto& [k, v] : p.assigns) macros_[k] = std::move(v);
      if (process(std::move(p.text), p.loc, p.expanded, line)) return true;
      continue;
    }
    SourceLoc loc;
    if (!read_physical(f, text, loc)) {
      files_.pop_back();
      open_next_queued();
      continue;
    }
    if (process(std::move(text), loc, false, line)) return true;
    text = std::string();
  }
  return false;
}

bool Preprocessor::conditional(std::string_view& text, SourceLoc loc) {
  if (text.empty() || text.front() != '@') return true;
  bool negate = false;
  std::size_t i = 1;
  if (i < text.size() && text[i] == '^') {
    negate = true;
    ++i;
  }
  std::size_t j = i;
  while (j < text.size() && !is_space(text[j])) ++j;
  const std::string_view id = text.substr(i, j - i);
  if (id.empty()) {
    diags_.error(loc, "'@' must be followed by a config-id");
    return false;
  }
  text = trim(text.substr(j));
  return (id == opt_.config_id) != negate;
}

bool Preprocessor::try_definition(std::string_view text) {
  if (text.size() < 2 || text[0] != '$' || !is_name_start(text[1])) return false;
  std::size_t i = 2;
  while (i < text.size() && is_name_char(text[i])) ++i;
  if (i >= text.size() || text[i] != '=') return false;
  std::string value(trim(text.substr(i + 1)));
  // Multi-line definitions: drop the blank first line of "$NAME= \".
  while (!value.empty() && value.front() == '\n') value.erase(0, 1);
  macros_[std::string(text.substr(1, i - 1))] = std::move(value);
  return true;
}

bool Preprocessor::try_sequence(std::string_view text, SourceLoc loc) {
  const bool seq = text.starts_with("~SEQ(") || text.starts_with("~SEQx(");
  const bool lst = text.starts_with("~LST(");
  if (!seq && !lst) return false;
  const bool hex = text.starts_with("~SEQx(");
  const std::size_t open = text.find('(');
  int depth = 0;
  std::size_t close = std::string_view::npos;
  for (std::size_t i = open; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')' && --depth == 0) {
      close = i;
      break;
    }
  }
  if (close == std::string_view::npos) {
    diags_.error(loc, "unterminated ~SEQ/~LST specification");
    return true;
  }
  const auto args = split_args(text.substr(open + 1, close - open - 1));
  const std::string rest(trim(text.substr(close + 1)));
  std::vector<std::vector<std::pair<std::string, std::string>>> rounds;

  if (seq) {
    if (args.size() < 2 || args.size() > 4 || args[0].empty()) {
      diags_.error(loc, "~SEQ takes (var, end), (var, start, end) or (var, start, step, end)");
      return true;
    }
    std::vector<long long> n;
    for (std::size_t k = 1; k < args.size(); ++k) {
      auto v = parse_int(args[k]);
      if (!v) {
        diags_.error(loc, "~SEQ value '" + std::string(args[k]) + "' is not an integer");
        return true;
      }
      n.push_back(*v);
    }
    // 128-bit arithmetic: any 64-bit start, step and end are valid input.
    const Wide end = n.back();
    const Wide start = n.size() >= 2 ? n[0] : (end >= 0 ? 1 : -1);
    const Wide step = n.size() == 3 ? n[1] : (end >= start ? 1 : -1);
    if (step == 0 || (step > 0 && start > end) || (step < 0 && start < end)) {
      diags_.error(loc, "~SEQ range never reaches its end");
      return true;
    }
    const Wide count = (end - start) / step + 1;
    if (count > static_cast<Wide>(opt_.max_generated_lines - generated_)) {
      diags_.error(loc, "~SEQ/~LST would generate more than " +
                            std::to_string(opt_.max_generated_lines) + " lines");
      return true;
    }
    for (Wide k = 0; k < count; ++k) {
      const auto v = static_cast<long long>(start + k * step);
      char buf[32];
      auto r = hex ? std::to_chars(buf, buf + sizeof buf, v, 16) : std::to_chars(buf, buf + sizeof buf, v);
      rounds.push_back({{std::string(args[0]), std::string(buf, r.ptr)}});
    }
  } else {
    if (args.size() < 2) {
      diags_.error(loc, "~LST needs a variable and at least one value");
      return true;
    }
    const auto vars = braced_list(args[0]);
    if (generated_ + args.size() > opt_.max_generated_lines) {
      diags_.error(loc, "~SEQ/~LST would generate too many lines");
      return true;
    }
    for (std::size_t k = 1; k < args.size(); ++k) {
      const auto vals = braced_list(args[k]);
      if (vals.size() != vars.size()) {
        diags_.error(loc, "~LST value '" + std::string(args[k]) + "' has " +
                              std::to_string(vals.size()) + " parts for " +
                              std::to_string(vars.size()) + " variables");
        return true;
      }
      std::vector<std::pair<std::string, std::string>> a;
      for (std::size_t m = 0; m < vars.size(); ++m)
        a.emplace_back(std::string(vars[m]), std::string(vals[m]));
      rounds.push_back(std::move(a));
    }
  }
  generated_ += rounds.size();
  auto& pending = files_.back().pending;
  for (auto it = rounds.rbegin(); it != rounds.rend(); ++it)
    pending.push_back(Pending{rest, loc, std::move(*it), false});
  return true;
}

bool Preprocessor::try_include(std::string_view text, SourceLoc loc) {
  Line words;
  std::string_view kw = text.substr(0, text.find_first_of(" \t"));
  static constexpr std::string_view kKinds[] = {"include",  "includer", "includem",
                                                "includew", "includeb", "includea"};
  if (std::find(std::begin(kKinds), std::end(kKinds), kw) == std::end(kKinds)) return false;
  // The name is taken as written: braces in it are glob alternatives, not blocks.
  std::string_view arg = trim(text.substr(kw.size()));
  std::string path;
  if (!arg.empty() && (arg.front() == '"' || arg.front() == '\'')) {
    lex_line(arg, loc, words, diags_, false);
    if (words.tokens.size() == 1) path = words.tokens[0].text;
  } else if (arg.find_first_of(" \t") == std::string_view::npos) {
    path = arg;
  }
  if (path.empty()) {
    diags_.error(loc, std::string(kw) + " takes exactly one file name");
    return true;
  }
  const std::string shown = path;
  File& cur = files_.back();
  if (path[0] != '/') path = cur.dir + "/" + path;
  path = normalize_path(path);
  std::vector<std::string> matches;
  if (has_glob_magic(path)) {
    matches = source_.glob(path);
    if (matches.empty()) {
      if (kw == "include" || kw == "includer")
        diags_.warning(loc, "'" + shown + "' matches no file");
      else
        diags_.error(loc, "'" + shown + "' matches no file");
      return true;
    }
  } else {
    matches.push_back(path);
  }
  cur.include_queue = std::move(matches);
  cur.include_loc = loc;
  open_next_queued();
  return true;
}

bool Preprocessor::builtin(std::string_view name, std::string& out, SourceLoc loc) {
  if (name == "_PWD") {
    out += files_.empty() ? std::string(".") : files_.back().dir;
  } else if (name == "_INSTANCE") {
    out += opt_.config_id;
  } else if (name == "_HASH") {
    out += '#';
  } else if (name == "_BANG") {
    out += '!';
  } else if (name.starts_with("_ENV ") || name.starts_with("_ENV\t")) {
    const std::string var(trim(name.substr(5)));
    if (const char* v = opt_.getenv(var.c_str())) out += v;
  } else if (name == "_RANDOM" || name.starts_with("_RANDOM ")) {
    long long lo = 0, hi = 32767;
    std::string_view rest = trim(name.substr(7));
    if (!rest.empty()) {
      const auto sp = rest.find_first_of(" \t");
      auto a = parse_int(rest.substr(0, sp));
      auto b = sp == std::string_view::npos ? std::optional<long long>(hi) : parse_int(rest.substr(sp));
      if (!a || !b || *a < 0 || *b < *a) {
        diags_.error(loc, "${_RANDOM MIN MAX} needs 0 <= MIN <= MAX");
        return true;
      }
      lo = *a;
      hi = *b;
    }
    if (!rng_seeded_) {  // seeded on first use: most files never ask for ${_RANDOM}
      rng_.seed(std::random_device{}());
      rng_seeded_ = true;
    }
    out += std::to_string(std::uniform_int_distribution<long long>(lo, hi)(rng_));
  } else {
    return false;
  }
  return true;
}

bool Preprocessor::expand(std::string_view in, std::string& out, std::size_t depth, SourceLoc loc) {
  if (depth > opt_.max_expansion_depth) {
    diags_.error(loc, "parameter expansion nested deeper than " +
                          std::to_string(opt_.max_expansion_depth) + " levels (a recursive definition?)");
    return false;
  }
  std::size_t i = 0;
  while (i < in.size()) {
    const std::size_t d = in.find('$', i);
    if (d == std::string_view::npos) {
      out.append(in.substr(i));
      break;
    }
    out.append(in.substr(i, d - i));
    i = d;
    std::string_view name;
    std::size_t after = 0;
    bool braced = false;
    if (d + 1 < in.size() && in[d + 1] == '{') {
      const auto close = in.find('}', d + 2);
      if (close != std::string_view::npos) {
        name = in.substr(d + 2, close - d - 2);
        after = close + 1;
        braced = true;
      }
    } else if (d + 1 < in.size() && is_name_start(in[d + 1])) {
      std::size_t j = d + 1;
      while (j < in.size() && is_name_char(in[j])) ++j;
      if (j == in.size() || is_space(in[j]) || in[j] == '\n') {
        name = in.substr(d + 1, j - d - 1);
        after = j;
      }
    }
    if (name.empty()) {
      out += '$';
      ++i;
      continue;
    }
    if (braced && name[0] == '_' && builtin(name, out, loc)) {
      i = after;
      continue;
    }
    auto it = macros_.find(std::string(name));
    if (it == macros_.end()) {
      out.append(in.substr(d, after - d));  // undefined: left as written
      i = after;
      continue;
    }
    if (it->second.find('\n') != std::string::npos) {
      // A multi-line parameter is split into lines by process(), and each line is expanded
      // when its turn comes, so definitions inside it take effect in order.
      out.append(it->second);
    } else if (!expand(it->second, out, depth + 1, loc)) {
      return false;
    }
    if (out.size() > opt_.max_line_bytes) {
      diags_.error(loc, "parameter expansion longer than " + std::to_string(opt_.max_line_bytes) +
                            " bytes");
      return false;
    }
    i = after;
  }
  return true;
}

bool Preprocessor::process(std::string owned, SourceLoc loc, bool expanded, Line& line) {
  // Comments go before expansion: a '#' that a parameter produces is text.
  if (!expanded) owned.resize(comment_start(owned));
  std::string_view text = trim(owned);
  for (;;) {
    if (text.empty()) return false;
    if (!conditional(text, loc)) return false;
    if (text.empty()) return false;
    if (try_sequence(text, loc)) return false;
    if (try_definition(text)) return false;
    if (!expanded && text.find('$') != std::string_view::npos) {
      std::string out;
      out.reserve(text.size() + 32);
      if (!expand(text, out, 0, loc)) return false;
      expanded = true;
      if (out.find('\n') != std::string::npos) {
        // A multi-line parameter: each of its lines is a line of its own.
        std::vector<Pending> parts;
        std::size_t s = 0;
        while (s <= out.size()) {
          const auto nl = out.find('\n', s);
          const auto e = nl == std::string::npos ? out.size() : nl;
          parts.push_back(Pending{out.substr(s, e - s), loc, {}, false});
          if (nl == std::string::npos) break;
          s = nl + 1;
        }
        auto& pending = files_.back().pending;
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) pending.push_back(std::move(*it));
        return false;
      }
      owned = std::move(out);
      text = trim(owned);
      continue;  // the expansion may itself be conditional or a definition
    }
    break;
  }
  if (try_include(text, loc)) return false;
  const auto offset = static_cast<std::size_t>(text.data() - owned.data());
  SourceLoc at = loc;
  if (!expanded) at.col = static_cast<std::uint16_t>(std::min<std::size_t>(1 + offset, 0xffff));
  lex_line(text, at, line, diags_, false);
  return !line.tokens.empty();
}

}  // namespace vigil::conf
