// peer_name - PTR, then the forward lookups of its names together
#include "lib/dns/peer_name.h"

#include <arpa/inet.h>
#include <event2/event.h>

#include <cstring>
#include <memory>
#include <optional>
#include <vector>

namespace posthorn::dns {

namespace {

struct Binary {
  int family = 0;
  unsigned char bytes[16] = {};
};

bool parse(const std::string& text, Binary* out) {
  if (::inet_pton(AF_INET, text.c_str(), out->bytes) == 1) {
    out->family = AF_INET;
    return true;
  }
  if (::inet_pton(AF_INET6, text.c_str(), out->bytes) != 1) return false;
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out->bytes, kMapped, sizeof kMapped) == 0) {  // an IPv4 client on an IPv6 socket
    std::memmove(out->bytes, out->bytes + 12, 4);
    out->family = AF_INET;
  } else {
    out->family = AF_INET6;
  }
  return true;
}

bool operator==(const Binary& a, const Binary& b) {
  return a.family == b.family && std::memcmp(a.bytes, b.bytes, a.family == AF_INET ? 4 : 16) == 0;
}

// The client's address as the DNS knows it (IPv4-mapped addresses unwrapped).
std::string plain(const Binary& b) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(b.family, b.bytes, text, sizeof text);
  return text;
}

// A host name as RFC 1123 writes it (letters, digits, hyphens, dots; '_'
// tolerated, as Postfix does): a PTR target that is not one is not used,
// so that a hostile reverse zone cannot write spaces or brackets into the
// log lines fail2ban reads.
bool validHostname(const std::string& name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') return false;
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return true;
}

// One lookup's state, kept alive by the callbacks that hold it. The
// forward lookups of all PTR names go out together, so the whole lookup
// takes at most two resolver deadlines (PTR, then the forward answers).
struct Lookup : std::enable_shared_from_this<Lookup> {
  EventResolver& events;
  Binary address;
  std::function<void(PeerName)> done;
  std::vector<std::string> names;
  std::vector<int> questions;  // outstanding forward lookups, to cancel once decided
  std::size_t answered = 0;
  bool anyTempFail = false;
  bool over = false;
  PeerName result;

  Lookup(EventResolver& e, Binary a, std::function<void(PeerName)> d)
      : events(e), address(a), done(std::move(d)) {}

  void start() {
    auto self = shared_from_this();
    events.query(reverseName(plain(address)), RrType::PTR, [self](QueryResult r) { self->gotPtr(std::move(r)); });
  }

  void gotPtr(QueryResult r) {
    if (r.status == Status::TempFail) return finish(PeerName::Status::TempFail, r.error);
    if (r.status != Status::Ok) return finish(PeerName::Status::NoName, r.error);
    for (const Record& rec : r.records) {
      if (names.size() == PeerName::kMaxNames) break;
      if (validHostname(rec.target)) names.push_back(rec.target);
    }
    if (names.empty()) return finish(PeerName::Status::NoName, "no usable PTR name");
    result.ptrName = names.front();
    auto self = shared_from_this();
    const RrType type = address.family == AF_INET ? RrType::A : RrType::AAAA;
    for (std::size_t i = 0; i < names.size() && !over; ++i) {
      const int id = events.query(names[i], type, [self, i](QueryResult a) { self->gotAddresses(i, std::move(a)); });
      if (id >= 0) questions.push_back(id);
    }
  }

  void gotAddresses(std::size_t index, QueryResult r) {
    if (over) return;
    ++answered;
    if (r.status == Status::TempFail) {
      anyTempFail = true;
      result.error = r.error;
    }
    for (const Record& rec : r.records) {
      Binary found;
      if (parse(rec.address, &found) && found == address) {
        result.name = names[index];
        return finish(PeerName::Status::Verified, "");
      }
    }
    if (answered < names.size()) return;
    if (anyTempFail) return finish(PeerName::Status::TempFail, result.error);
    finish(PeerName::Status::Mismatch,
           "hostname " + result.ptrName + " does not resolve to address " + plain(address));
  }

  void finish(PeerName::Status status, std::string error) {
    if (over) return;
    over = true;
    for (int id : questions) events.cancel(id);  // the answers no longer matter
    result.status = status;
    result.error = std::move(error);
    if (status != PeerName::Status::Verified) result.name = "unknown";
    auto callback = std::move(done);
    callback(std::move(result));
  }
};

}  // namespace

const char* PeerName::iprev() const {
  switch (status) {
    case Status::Verified: return "pass";
    case Status::NoName: return "permerror";  // RFC 8601 2.7.3: no PTR data published
    case Status::Mismatch: return "fail";
    case Status::TempFail: return "temperror";
  }
  return "temperror";
}

PeerName lookupPeerNameNow(Resolver& resolver, const std::string& address) {
  loop::Base base = loop::newBase();
  EventResolver events(base.get(), resolver);
  std::optional<PeerName> found;
  lookupPeerName(events, address, [&found](PeerName n) { found = std::move(n); });
  // Each step ends at its deadline, so the loop always ends.
  while (!found) event_base_loop(base.get(), EVLOOP_ONCE);
  return std::move(*found);
}

void lookupPeerName(EventResolver& events, const std::string& address, std::function<void(PeerName)> done) {
  Binary parsed;
  if (!parse(address, &parsed)) {
    PeerName n;
    n.status = PeerName::Status::NoName;
    n.error = "not an IP address: " + address;
    done(std::move(n));
    return;
  }
  std::make_shared<Lookup>(events, parsed, std::move(done))->start();
}

}  // namespace posthorn::dns
