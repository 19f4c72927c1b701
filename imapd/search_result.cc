// search_result - SEARCH / ESEARCH response lines and the SEARCHRES selection
#include "imapd/search_result.h"

#include "imapd/imap_string.h"

namespace posthorn::imapd {

std::string compactSequenceSet(const std::vector<std::uint32_t>& ascending) {
  std::string out;
  std::size_t i = 0;
  while (i < ascending.size()) {
    std::size_t j = i;
    while (j + 1 < ascending.size() && ascending[j + 1] == ascending[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(ascending[i]);
    if (j > i) out += ':' + std::to_string(ascending[j]);
    i = j + 1;
  }
  return out;
}

std::string searchResponse(const std::vector<std::uint32_t>& ascending, std::optional<std::uint64_t> modseq) {
  std::string out = "* SEARCH";
  for (const std::uint32_t n : ascending) out += ' ' + std::to_string(n);
  if (modseq && !ascending.empty()) out += " (MODSEQ " + std::to_string(*modseq) + ")";
  out += "\r\n";
  return out;
}

std::string esearchResponse(std::string_view tag, bool uid, const SearchReturn& options,
                            const std::vector<std::uint32_t>& ascending, std::optional<std::uint64_t> modseq) {
  if (options.save && !options.min && !options.max && !options.count && !options.all) return "";
  std::string out = "* ESEARCH (TAG " + imapString(tag) + ")";
  if (uid) out += " UID";
  if (!ascending.empty()) {
    if (options.min) out += " MIN " + std::to_string(ascending.front());
    if (options.max) out += " MAX " + std::to_string(ascending.back());
  }
  if (options.count) out += " COUNT " + std::to_string(ascending.size());
  if (options.all && !ascending.empty()) out += " ALL " + compactSequenceSet(ascending);
  if (modseq && !ascending.empty()) out += " MODSEQ " + std::to_string(*modseq);
  out += "\r\n";
  return out;
}

std::vector<std::uint32_t> savedResult(const SearchReturn& options, const std::vector<std::uint32_t>& ascending) {
  if (ascending.empty() || (!options.min && !options.max)) return ascending;
  std::vector<std::uint32_t> out;
  if (options.min) out.push_back(ascending.front());
  if (options.max && (out.empty() || out.back() != ascending.back())) out.push_back(ascending.back());
  return out;
}

}  // namespace posthorn::imapd
