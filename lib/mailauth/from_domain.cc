// from_domain - the author domain: the domain of every address in the one From field
#include "lib/mailauth/from_domain.h"

#include <vector>

#include "lib/address/address_list.h"
#include "lib/mime/header_fields.h"
#include "lib/util/ascii.h"

namespace posthorn::mailauth {

namespace {

// The domain of an address as DMARC compares it: after the last '@', in
// lower case, without a final dot; "" when there is none.
std::string domainOf(const std::string& address) {
  const auto at = address.rfind('@');
  if (at == std::string::npos) return "";
  std::string d = util::lower(std::string_view(address).substr(at + 1));
  if (!d.empty() && d.back() == '.') d.pop_back();
  return d;
}

}  // namespace

std::optional<std::string> fromDomain(std::string_view message, std::string* why) {
  const std::string_view header = message.substr(0, mime::headerEnd(message));
  std::vector<std::string> values;
  mime::forEachHeaderField(header, [&](const mime::HeaderField& f) {
    if (mime::headerNameEquals(f.name, "From")) values.push_back(mime::unfoldHeaderValue(f.value));
    return true;
  });
  if (values.empty()) {
    *why = "no From field";
    return std::nullopt;
  }
  if (values.size() > 1) {
    *why = "more than one From field";
    return std::nullopt;
  }
  std::vector<std::string> found;
  for (const std::string& a : address::parseAddressList(values.front())) {
    std::string d = domainOf(a);
    if (!d.empty()) found.push_back(std::move(d));
  }
  if (found.empty()) {
    *why = "no address in the From field";
    return std::nullopt;
  }
  for (const std::string& d : found) {
    if (d != found.front()) {
      *why = "From addresses in different domains";
      return std::nullopt;
    }
  }
  return found.front();
}

}  // namespace posthorn::mailauth
