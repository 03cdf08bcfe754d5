#pragma once
// Private: text from a server (a response body, a Status message) made safe to put in an
// error message or a log line: one line, bounded.

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace kopp::detail {

/// `text` with CR, LF, tab and other control characters escaped (\n, \r, \t, \xNN), so a
/// body cannot forge log lines, cut to `max` bytes of input with "... (N bytes)" added.
inline std::string quote_for_message(std::string_view text, std::size_t max) {
  std::string out;
  const std::size_t shown = text.size() <= max ? text.size() : max;
  out.reserve(shown + 16);
  for (std::size_t i = 0; i < shown; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  if (shown < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

}  // namespace kopp::detail
