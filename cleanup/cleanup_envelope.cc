// cleanup_envelope - checks and converts the client's envelope
#include "cleanup/cleanup_envelope.h"

#include <set>
#include <string_view>
#include <tuple>

#include "lib/address/address_list.h"
#include "lib/util/ascii.h"

namespace posthorn::cleanup {
namespace {

bool hasControl(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// The address with its domain in lower case (the local part is the
// recipient's business).
std::string dedupeKey(const std::string& address) {
  std::string key = address;
  const auto at = key.rfind('@');
  if (at == std::string::npos) return key;
  return key.substr(0, at + 1) + util::lower(std::string_view(key).substr(at + 1));
}

}  // namespace

std::optional<std::string> checkEnvelope(const ipc::CleanupEnvelope& e) {
  if (static_cast<unsigned>(e.ret) > static_cast<unsigned>(queue::Ret::Headers))
    return "unknown RET value " + std::to_string(static_cast<unsigned>(e.ret));
  if (static_cast<unsigned>(e.body) > static_cast<unsigned>(queue::BodyType::BinaryMime))
    return "unknown BODY value " + std::to_string(static_cast<unsigned>(e.body));
  if (e.body == queue::BodyType::BinaryMime) return "BODY=BINARYMIME is not supported";
  if (hasControl(e.sender)) return "control character in the sender address";
  if (hasControl(e.envid)) return "control character in ENVID";
  for (std::size_t i = 0; i < e.recipients.size(); ++i) {
    const ipc::CleanupRecipient& r = e.recipients[i];
    const std::string which = "recipient " + std::to_string(i + 1);
    if (r.address.empty()) return which + ": empty address";
    if (hasControl(r.address) || hasControl(r.originalAddress) || hasControl(r.orcpt))
      return which + ": control character in an address";
    if ((r.notify & ~queue::notify::kAll) != 0)
      return which + ": unknown NOTIFY bits " + std::to_string(r.notify);
    if ((r.notify & queue::notify::kNever) != 0 && r.notify != queue::notify::kNever)
      return which + ": NOTIFY=NEVER with other values";
  }
  for (const auto& a : e.attributes)
    if (a.name.empty()) return "an attribute without a name";
  if (e.arrivalMicros < 0) return "negative arrival time";
  return std::nullopt;
}

queue::Envelope toQueueEnvelope(const ipc::CleanupEnvelope& e, queue::Time arrival) {
  queue::Envelope out;
  out.sender = e.sender;
  out.arrival = e.arrivalMicros != 0 ? queue::Time(std::chrono::microseconds(e.arrivalMicros))
                                     : arrival;
  out.envid = e.envid;
  out.ret = e.ret;
  out.body = e.body;
  out.smtputf8 = e.smtputf8;
  out.auth = e.auth;
  out.client.address = e.clientAddress;
  out.client.name = e.clientName;
  out.client.helo = e.helo;
  out.client.protocol = e.protocol;
  out.client.tlsProtocol = e.tlsProtocol;
  out.client.tlsCipher = e.tlsCipher;
  out.client.saslMethod = e.saslMethod;
  out.client.saslUsername = e.saslUsername;
  for (const auto& a : e.attributes) out.attributes.emplace_back(a.name, a.value);
  for (const auto& r : e.recipients) {
    queue::Recipient rcpt;
    rcpt.address = r.address;
    rcpt.orcpt = r.orcpt;
    rcpt.notify = r.notify;
    rcpt.originalAddress = r.originalAddress.empty() ? r.address : r.originalAddress;
    out.recipients.push_back(std::move(rcpt));
  }
  return out;
}

void addRecipients(queue::Envelope& envelope, const std::vector<std::string>& addresses,
                   const std::string& origin) {
  for (const std::string& a : addresses) {
    if (hasControl(a)) continue;
    queue::Recipient rcpt;
    rcpt.address = address::qualifyAddress(a, origin);
    rcpt.originalAddress = a;
    envelope.recipients.push_back(std::move(rcpt));
  }
}

std::size_t removeDuplicateRecipients(queue::Envelope& envelope) {
  std::set<std::tuple<std::string, std::string, std::uint8_t>> seen;
  std::vector<queue::Recipient> kept;
  kept.reserve(envelope.recipients.size());
  for (auto& r : envelope.recipients) {
    if (seen.emplace(dedupeKey(r.address), r.orcpt, r.notify).second) kept.push_back(std::move(r));
  }
  const std::size_t removed = envelope.recipients.size() - kept.size();
  envelope.recipients = std::move(kept);
  return removed;
}

}  // namespace posthorn::cleanup
