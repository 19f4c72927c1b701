// arc_set - ARC sets by instance, and what each signature signs
#include "lib/mailauth/arc_set.h"

#include <map>

#include "lib/mailauth/relaxed_canon.h"
#include "lib/mailauth/tag_list.h"

namespace posthorn::mailauth {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

std::string trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  return std::string(s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1));
}

}  // namespace

int arcInstance(std::string_view rawValue) {
  const std::string i = tagValue(rawValue, "i");
  if (i.empty() || i.size() > 2 || i.find_first_not_of("0123456789") != std::string::npos) return 0;
  const int n = std::stoi(i);
  return n >= 1 && n <= kMaxArcInstances ? n : 0;
}

ArcChain collectArcChain(const std::vector<mime::HeaderField>& fields) {
  ArcChain chain;
  std::map<int, ArcSetFields> byInstance;
  for (const auto& f : fields) {
    const std::string name = lower(trimmed(f.name));
    std::string ArcSetFields::*slot = nullptr;
    if (name == "arc-seal") slot = &ArcSetFields::seal;
    else if (name == "arc-message-signature") slot = &ArcSetFields::ams;
    else if (name == "arc-authentication-results") slot = &ArcSetFields::aar;
    else continue;
    const int i = arcInstance(f.value);
    if (i == 0) {
      chain.error = "an " + std::string(f.name) + " field without a valid i=";
      continue;
    }
    ArcSetFields& set = byInstance[i];
    set.instance = i;
    if (!(set.*slot).empty()) chain.error = "two " + std::string(f.name) + " fields with i=" + std::to_string(i);
    set.*slot = std::string(f.value);
  }
  int expected = 1;
  for (auto& [i, set] : byInstance) {
    if (i != expected) {
      chain.error = "ARC set i=" + std::to_string(expected) + " is missing";
      break;
    }
    if (set.aar.empty() || set.ams.empty() || set.seal.empty())
      chain.error = "ARC set i=" + std::to_string(i) + " is incomplete";
    chain.sets.push_back(std::move(set));
    ++expected;
  }
  return chain;
}

std::string amsSignedData(const std::vector<mime::HeaderField>& fields, std::string_view hList,
                          std::string_view amsRawValue) {
  std::string data;
  std::map<std::string, std::size_t> taken;  // name -> instances taken from the bottom
  std::size_t pos = 0;
  while (pos <= hList.size()) {
    std::size_t end = hList.find(':', pos);
    if (end == std::string_view::npos) end = hList.size();
    const std::string name = lower(trimmed(hList.substr(pos, end - pos)));
    pos = end + 1;
    if (name.empty()) continue;
    std::size_t skip = taken[name]++;
    for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
      if (lower(trimmed(it->name)) != name) continue;
      if (skip > 0) {
        --skip;
        continue;
      }
      data += relaxedHeaderField(it->name, it->value);
      break;
    }
  }
  std::string self = relaxedHeaderField("ARC-Message-Signature", withoutSignatureValue(amsRawValue));
  self.resize(self.size() - 2);
  return data + self;
}

std::string sealSignedData(const std::vector<ArcSetFields>& sets, int n, std::string_view sealRawValue) {
  std::string data;
  for (int k = 0; k < n; ++k) {
    data += relaxedHeaderField("ARC-Authentication-Results", sets[k].aar);
    data += relaxedHeaderField("ARC-Message-Signature", sets[k].ams);
    if (k + 1 < n) data += relaxedHeaderField("ARC-Seal", sets[k].seal);
  }
  std::string self = relaxedHeaderField("ARC-Seal", withoutSignatureValue(sealRawValue));
  self.resize(self.size() - 2);
  return data + self;
}

}  // namespace posthorn::mailauth
