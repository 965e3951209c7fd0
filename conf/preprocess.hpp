// Preprocessor: files -> logical lines of tokens, keepalived's way.
//   include / includer / includem / includew / includeb / includea FILE   (glob, braces)
//   @id LINE, @^id LINE                                 (conditional on the config-id)
//   $NAME=VALUE (multi-line with trailing '\'), $NAME, ${NAME}     (recursive, at use time)
//   ${_PWD} ${_INSTANCE} ${_HASH} ${_BANG} ${_RANDOM [MIN [MAX]]} ${_ENV VAR}
//   ~SEQ(var, [start,] [step,] end) LINE, ~SEQx(...), ~LST(var|{v1,v2}, vals...) LINE
// Pull-based: the parser asks for one line at a time, so a large file is never held as a
// token list.
#pragma once
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "conf/diagnostics.hpp"
#include "conf/source.hpp"
#include "conf/token.hpp"

namespace vigil::conf {

struct PreprocessOptions {
  std::string config_id;
  std::function<const char*(const char*)> getenv;  // for ${_ENV VAR}; default ::getenv
  std::size_t max_include_depth{32};
  std::size_t max_expansion_depth{32};
  std::size_t max_line_bytes{1u << 20};
  std::size_t max_generated_lines{1u << 22};  // ~SEQ/~LST total
};

class Preprocessor {
 public:
  Preprocessor(FileSource& source, Diagnostics& diags, PreprocessOptions options);

  // Opens the main file. False (with an error) when it cannot be read.
  bool open(const std::string& path);
  // The next non-empty logical line, lexed. False at the end of all input.
  bool next(Line& line);

  std::size_t lines_read() const { return lines_read_; }

 private:
  struct Pending {
    std::string text;
    SourceLoc loc;
    std::vector<std::pair<std::string, std::string>> assigns;
    bool expanded{false};
  };
  struct File {
    std::unique_ptr<Reader> reader;
    std::string text;  // a window of the file: [pos, size) not yet read
    std::size_t pos{0};
    bool eof{false};
    std::uint32_t line{0};
    std::uint16_t id{0};
    std::string dir;
    std::string identity;
    std::vector<Pending> pending;            // stack: back() is next
    std::vector<std::string> include_queue;  // further matches of the current include
    SourceLoc include_loc{};
  };

  bool read_physical(File& f, std::string& out, SourceLoc& loc);
  // The next raw line of f (without '\n'); false at the end of the file.
  bool raw_line(File& f, std::string_view& line);
  bool open_file(const std::string& path, SourceLoc at);
  void open_next_queued();
  // Returns true when `line` received tokens.
  bool process(std::string text, SourceLoc loc, bool expanded, Line& line);
  bool conditional(std::string_view& text, SourceLoc loc);
  bool try_definition(std::string_view text);
  bool try_sequence(std::string_view text, SourceLoc loc);
  bool try_include(std::string_view text, SourceLoc loc);
  bool expand(std::string_view in, std::string& out, std::size_t depth, SourceLoc loc);
  bool builtin(std::string_view name, std::string& out, SourceLoc loc);

  FileSource& source_;
  Diagnostics& diags_;
  PreprocessOptions opt_;
  std::vector<File> files_;
  std::unordered_map<std::string, std::string> macros_;
  std::size_t generated_{0};
  std::size_t lines_read_{0};
  std::minstd_rand rng_;
  bool rng_seeded_{false};
};

}  // namespace vigil::conf
