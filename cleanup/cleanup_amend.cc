// cleanup_amend - the end-of-content amendment, checked
#include "cleanup/cleanup_amend.h"

#include "cleanup/cleanup_headers.h"
#include "lib/ipc/ipc.h"

namespace posthorn::cleanup {
namespace {

[[noreturn]] void refuse(const std::string& why) {
  throw ipc::ProtocolError("CleanupAmend: " + why);
}

void checkLine(std::string_view line, bool first) {
  if (line.empty()) refuse("an empty line in the prepended header");
  if (line.find('\0') != std::string_view::npos) refuse("a NUL in the prepended header");
  if (line.find('\r') != std::string_view::npos) refuse("a bare CR in the prepended header");
  if (line[0] == ' ' || line[0] == '\t') {
    if (first) refuse("the prepended header starts with a continuation line");
    return;
  }
  std::size_t i = 0;
  while (i < line.size() && isFieldNameChar(static_cast<unsigned char>(line[i]))) ++i;
  if (i == 0 || i == line.size() || line[i] != ':')
    refuse("a prepended header line is not a header field: " + std::string(line.substr(0, 60)));
}

}  // namespace

std::string checkedPrependedHeader(std::string_view fields) {
  if (fields.size() > ipc::kMaxCleanupPrepend)
    refuse("prepended header of " + std::to_string(fields.size()) + " bytes");
  std::string out;
  bool first = true;
  while (!fields.empty()) {
    const auto nl = fields.find('\n');
    if (nl == std::string_view::npos) refuse("the prepended header's last line has no end");
    std::string_view line = fields.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    checkLine(line, first);
    first = false;
    out.append(line);
    out += '\n';
    fields.remove_prefix(nl + 1);
  }
  return out;
}

void applyAmend(const ipc::CleanupAmend& amend, queue::Envelope& envelope) {
  if (amend.attributes.size() > ipc::kMaxCleanupAmendAttributes)
    refuse(std::to_string(amend.attributes.size()) + " attributes");
  for (const auto& a : amend.attributes)
    if (a.name.empty()) refuse("an attribute with an empty name");
  envelope.prependedHeader = checkedPrependedHeader(amend.prependHeader);
  for (const auto& a : amend.attributes) envelope.attributes.emplace_back(a.name, a.value);
}

}  // namespace posthorn::cleanup
