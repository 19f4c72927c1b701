// peer_name - PTR, then forward confirmation, one question at a time
#include "lib/dns/peer_name.h"

#include <arpa/inet.h>

#include <cstring>
#include <memory>
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

// One lookup's state, kept alive by the callbacks that hold it.
struct Lookup : std::enable_shared_from_this<Lookup> {
  EventResolver& events;
  Binary address;
  std::function<void(PeerName)> done;
  std::vector<std::string> names;
  std::size_t next = 0;
  bool anyTempFail = false;
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
      if (!rec.target.empty()) names.push_back(rec.target);
    }
    if (names.empty()) return finish(PeerName::Status::NoName, "empty PTR record");
    result.ptrName = names.front();
    confirmNext();
  }

  void confirmNext() {
    if (next == names.size()) {
      if (anyTempFail) return finish(PeerName::Status::TempFail, result.error);
      return finish(PeerName::Status::Mismatch,
                    "hostname " + result.ptrName + " does not resolve to address " + plain(address));
    }
    auto self = shared_from_this();
    const RrType type = address.family == AF_INET ? RrType::A : RrType::AAAA;
    events.query(names[next], type, [self](QueryResult r) { self->gotAddresses(std::move(r)); });
  }

  void gotAddresses(QueryResult r) {
    const std::string& name = names[next++];
    if (r.status == Status::TempFail) {
      anyTempFail = true;
      result.error = r.error;
    }
    for (const Record& rec : r.records) {
      Binary found;
      if (parse(rec.address, &found) && found == address) {
        result.name = name;
        return finish(PeerName::Status::Verified, "");
      }
    }
    confirmNext();
  }

  void finish(PeerName::Status status, std::string error) {
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
    case Status::NoName:
    case Status::Mismatch: return "fail";
    case Status::TempFail: return "temperror";
  }
  return "temperror";
}

bool sameAddress(const std::string& a, const std::string& b) {
  Binary x, y;
  return parse(a, &x) && parse(b, &y) && x == y;
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
