#include "conf/diagnostics.hpp"

namespace vigil::conf {

std::uint16_t Diagnostics::add_file(std::string name) {
  files_.push_back(std::move(name));
  return static_cast<std::uint16_t>(files_.size() - 1);
}

void Diagnostics::add(Severity s, SourceLoc loc, std::string message) {
  if (s == Severity::error) ++errors_;
  if (s == Severity::warning) ++warnings_;
  if (items_.size() >= kMaxStored) {
    ++dropped_;
    return;
  }
  items_.push_back({s, loc, std::move(message)});
}

std::string Diagnostics::where(SourceLoc loc) const {
  std::string out = loc.file < files_.size() ? files_[loc.file] : std::string("<config>");
  if (loc.line == 0) return out;
  out += ':' + std::to_string(loc.line);
  if (loc.col != 0) out += ':' + std::to_string(loc.col);
  return out;
}

std::string Diagnostics::format(const Diagnostic& d) const {
  static constexpr std::string_view kNames[] = {"note", "warning", "error"};
  std::string out = where(d.loc);
  out += ": ";
  out += kNames[static_cast<int>(d.severity)];
  out += ": ";
  out += d.message;
  return out;
}

std::string Diagnostics::format_all() const {
  std::string out;
  for (const auto& d : items_) {
    out += format(d);
    out += '\n';
  }
  if (dropped_ > 0)
    out += "note: " + std::to_string(dropped_) + " further diagnostics not shown\n";
  return out;
}

}  // namespace vigil::conf
