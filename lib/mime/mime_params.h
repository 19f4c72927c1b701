// mime_params - Content-Type / Content-Disposition values: "token[/token]; name=value; ..."
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace posthorn::mime {

using MimeParams = std::vector<std::pair<std::string, std::string>>;

struct MimeValue {
  std::string value;     // "text/plain", "attachment": as written, comments and space removed
  MimeParams params;     // names and values as written (quoted strings unquoted)
};

// Lenient: comments are skipped, a parameter without '=' or value is
// dropped, junk up to the next ';' is skipped. RFC 2231 continuations are
// left as separate parameters.
MimeValue parseMimeValue(std::string_view raw);

// The first parameter with that name (case-insensitive).
std::optional<std::string> findMimeParam(const MimeParams& params, std::string_view name);

}  // namespace posthorn::mime
