// Diagnostics: every message the configuration pipeline produces, with its location.
// Collected (not thrown) so that one run reports every problem in a file.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::conf {

// 8 bytes: kept beside every configured value.
struct SourceLoc {
  std::uint32_t line{};  // 1-based; 0 means "no location"
  std::uint16_t file{};  // index into Diagnostics::files()
  std::uint16_t col{};   // 1-based, saturating
  friend bool operator==(const SourceLoc&, const SourceLoc&) = default;
};

enum class Severity : std::uint8_t { note, warning, error };

// 'word': how the messages quote what the operator wrote.
inline std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

struct Diagnostic {
  Severity severity{};
  SourceLoc loc{};
  std::string message;
};

class Diagnostics {
 public:
  // Bounded cost: past this many diagnostics the rest are counted, not stored.
  static constexpr std::size_t kMaxStored = 1000;

  std::uint16_t add_file(std::string name);
  const std::vector<std::string>& files() const { return files_; }
  const std::string& file_name(std::uint16_t id) const { return files_.at(id); }

  void error(SourceLoc loc, std::string message) { add(Severity::error, loc, std::move(message)); }
  void warning(SourceLoc loc, std::string message) {
    add(Severity::warning, loc, std::move(message));
  }
  void note(SourceLoc loc, std::string message) { add(Severity::note, loc, std::move(message)); }
  void add(Severity s, SourceLoc loc, std::string message);

  std::size_t error_count() const { return errors_; }
  std::size_t warning_count() const { return warnings_; }
  std::size_t dropped() const { return dropped_; }
  bool has_errors() const { return errors_ > 0; }
  const std::vector<Diagnostic>& all() const { return items_; }

  // "file:line:col: error: message"
  std::string format(const Diagnostic& d) const;
  std::string format_all() const;
  std::string where(SourceLoc loc) const;  // "file:line:col"

 private:
  std::vector<std::string> files_;
  std::vector<Diagnostic> items_;
  std::size_t errors_{}, warnings_{}, dropped_{};
};

}  // namespace vigil::conf
