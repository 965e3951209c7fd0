#include "conf/lexer.hpp"

#include <algorithm>

namespace vigil::conf {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::uint16_t col_of(SourceLoc base, std::size_t offset) {
  const std::size_t c = std::size_t{base.col == 0 ? 1u : base.col} + offset;
  return static_cast<std::uint16_t>(std::min<std::size_t>(c, 0xffff));
}

}  // namespace

std::size_t comment_start(std::string_view text) {
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      ++i;  // whatever follows is escaped, in or out of quotes
      continue;
    }
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' || c == '!') {
      return i;
    }
  }
  return text.size();
}

std::size_t decode_escape(std::string_view t, std::size_t i, std::string& out) {
  // t[i] == '\\'
  if (i + 1 >= t.size()) {
    out += '\\';
    return i + 1;
  }
  const char c = t[i + 1];
  switch (c) {
    case 'a': out += '\a'; return i + 2;
    case 'b': out += '\b'; return i + 2;
    case 'E': out += '\x1b'; return i + 2;
    case 'f': out += '\f'; return i + 2;
    case 'n': out += '\n'; return i + 2;
    case 'r': out += '\r'; return i + 2;
    case 't': out += '\t'; return i + 2;
    case 'v': out += '\v'; return i + 2;
    case 'c':
      if (i + 2 < t.size()) {
        out += static_cast<char>(t[i + 2] & 0x1f);
        return i + 3;
      }
      out += 'c';
      return i + 2;
    case 'x': {
      std::size_t j = i + 2;
      unsigned v = 0;
      bool any = false;
      while (j < t.size() && hex_value(t[j]) >= 0) {
        v = (v * 16 + static_cast<unsigned>(hex_value(t[j]))) & 0xff;
        any = true;
        ++j;
      }
      if (!any) {
        out += 'x';
        return i + 2;
      }
      out += static_cast<char>(v);
      return j;
    }
    default:
      break;
  }
  if (c >= '0' && c <= '7') {
    std::size_t j = i + 1;
    unsigned v = 0;
    for (int n = 0; n < 3 && j < t.size() && t[j] >= '0' && t[j] <= '7'; ++n, ++j)
      v = v * 8 + static_cast<unsigned>(t[j] - '0');
    out += static_cast<char>(v & 0xff);
    return j;
  }
  out += c;
  return i + 2;
}

void lex_line(std::string_view text, SourceLoc loc, Line& out, Diagnostics& diags,
              bool strip_comments) {
  const std::size_t end = strip_comments ? comment_start(text) : text.size();
  // Token text is first gathered as offsets into out.storage, which may reallocate; views
  // are made once the line is complete.
  struct Pending {
    std::size_t off, len;
    SourceLoc loc;
    TokKind kind;
    bool quoted;
  };
  Pending stack_buf[32];
  std::vector<Pending> heap;
  std::size_t n_pending = 0;
  auto push = [&](Pending p) {
    if (n_pending < 32) {
      stack_buf[n_pending++] = p;
    } else {
      if (heap.empty()) heap.assign(stack_buf, stack_buf + 32);
      heap.push_back(p);
      ++n_pending;
    }
  };
  const std::size_t base_storage = out.storage.size();
  out.storage.reserve(base_storage + end + 2);

  std::size_t i = 0;
  while (i < end) {
    if (is_space(text[i])) {
      ++i;
      continue;
    }
    SourceLoc tl{loc.line, loc.file, col_of(loc, i)};
    if (text[i] == '{' || text[i] == '}') {
      const std::size_t off = out.storage.size();
      out.storage += text[i];
      push({off, 1, tl, text[i] == '{' ? TokKind::open : TokKind::close, false});
      ++i;
      continue;
    }
    const std::size_t off = out.storage.size();
    bool quoted = false;
    char quote = 0;
    std::size_t quote_at = 0;
    while (i < end) {
      const char c = text[i];
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
          ++i;
        } else if (c == '\\') {
          i = decode_escape(text, i, out.storage);
        } else {
          out.storage += c;
          ++i;
        }
        continue;
      }
      if (is_space(c) || c == '{' || c == '}') break;
      if (c == '"' || c == '\'') {
        quote = c;
        quote_at = i;
        quoted = true;
        ++i;
      } else if (c == '\\' && i + 1 < end &&
                 std::string_view("\"'\\#!{} ").find(text[i + 1]) != std::string_view::npos) {
        out.storage += text[i + 1];
        i += 2;
      } else {
        out.storage += c;
        ++i;
      }
    }
    if (quote != 0) {
      diags.error({loc.line, loc.file, col_of(loc, quote_at)}, "unterminated quoted string");
    }
    push({off, out.storage.size() - off, tl, TokKind::word, quoted});
  }
  const Pending* ps = heap.empty() ? stack_buf : heap.data();
  for (std::size_t k = 0; k < n_pending; ++k) {
    const Pending& p = ps[k];
    out.tokens.push_back(
        {std::string_view(out.storage).substr(p.off, p.len), p.loc, p.kind, p.quoted});
  }
}

}  // namespace vigil::conf
