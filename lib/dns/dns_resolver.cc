// dns_resolver - queries over UDP/TCP, CNAME chains, MX order, null MX
#include "lib/dns/dns_resolver.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace posthorn::dns {

namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int remainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits for `events` on fd until deadline; false on timeout.
bool waitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, remainingMs(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

bool sameQuestion(const Message& m, std::uint16_t id, std::string_view name, RrType type) {
  return m.response && m.id == id && m.questionName == name && m.questionType == type;
}

// A whole TCP answer (two-byte length first).
bool tcpExchange(const ServerAddress& server, const std::string& query, Clock::time_point deadline,
                 std::string* answer, std::string* error) {
  Fd fd(::socket(server.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&server.addr), server.length) != 0 &&
      errno != EINPROGRESS) {
    *error = server.text + ": connect: " + std::strerror(errno);
    return false;
  }
  std::string out;
  out += static_cast<char>(query.size() >> 8);
  out += static_cast<char>(query.size() & 0xFF);
  out += query;
  std::size_t sent = 0;
  while (sent < out.size()) {
    if (!waitFor(fd.get(), POLLOUT, deadline)) {
      *error = server.text + ": timeout";
      return false;
    }
    const ssize_t n = ::send(fd.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      *error = server.text + ": " + std::strerror(errno);
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string in;
  std::size_t want = 2;
  char buf[4096];
  while (in.size() < want) {
    if (!waitFor(fd.get(), POLLIN, deadline)) {
      *error = server.text + ": timeout";
      return false;
    }
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) {
      *error = server.text + ": connection closed";
      return false;
    }
    in.append(buf, static_cast<std::size_t>(n));
    if (want == 2 && in.size() >= 2)
      want = 2 + ((static_cast<unsigned char>(in[0]) << 8) | static_cast<unsigned char>(in[1]));
  }
  *answer = in.substr(2, want - 2);
  return true;
}

}  // namespace

std::string reverseName(std::string_view address) {
  const std::string a(address);
  unsigned char b[16];
  if (::inet_pton(AF_INET, a.c_str(), b) == 1)
    return std::to_string(b[3]) + "." + std::to_string(b[2]) + "." + std::to_string(b[1]) + "." +
           std::to_string(b[0]) + ".in-addr.arpa";
  if (::inet_pton(AF_INET6, a.c_str(), b) == 1) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; --i) {
      out += hex[b[i] & 15];
      out += '.';
      out += hex[b[i] >> 4];
      out += '.';
    }
    return out + "ip6.arpa";
  }
  return "";
}

std::string_view statusName(Status s) {
  switch (s) {
    case Status::Ok: return "ok";
    case Status::NotFound: return "not found";
    case Status::TempFail: return "temporary failure";
    case Status::NullMx: return "null MX";
  }
  return "unknown";
}

Resolver::Resolver(ResolverConfig config) : config_(std::move(config)) {
  std::random_device rd;
  rng_.seed(config_.seed != 0 ? config_.seed : (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ ::getpid());
  nextId_ = static_cast<std::uint16_t>(rd());
}

bool Resolver::exchangeWith(const ServerAddress& server, const std::string& query, std::uint16_t id,
                            std::string_view name, RrType type, Message* answer,
                            std::string* error) {
  const auto deadline = Clock::now() + config_.timeout;
  Fd fd(::socket(server.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  // connect(): only the server's datagrams are received (and ICMP errors
  // are reported).
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&server.addr), server.length) != 0 ||
      ::send(fd.get(), query.data(), query.size(), 0) < 0) {
    *error = server.text + ": " + std::strerror(errno);
    return false;
  }
  char buf[65536];
  for (;;) {
    if (!waitFor(fd.get(), POLLIN, deadline)) {
      *error = server.text + ": timeout";
      return false;
    }
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      *error = server.text + ": " + std::strerror(errno);
      return false;
    }
    Message m;
    try {
      m = parseMessage(std::string_view(buf, static_cast<std::size_t>(n)));
    } catch (const FormatError&) {
      continue;  // not an answer to us: keep waiting
    }
    if (!sameQuestion(m, id, name, type)) continue;
    if (m.truncated) {
      std::string wire;
      if (!tcpExchange(server, query, deadline, &wire, error)) return false;
      try {
        m = parseMessage(wire);
      } catch (const FormatError& e) {
        *error = server.text + ": malformed answer: " + e.what();
        return false;
      }
      if (!sameQuestion(m, id, name, type)) {
        *error = server.text + ": answer to another question";
        return false;
      }
    }
    *answer = std::move(m);
    return true;
  }
}

bool Resolver::exchange(std::string_view name, RrType type, Message* answer, std::string* error) {
  std::string normal;
  try {
    normal = normalizeName(name);
  } catch (const FormatError& e) {
    *error = e.what();
    return false;
  }
  for (int round = 0; round < config_.attempts; ++round) {
    for (const ServerAddress& server : config_.servers) {
      const std::uint16_t id = nextId_++;
      const std::string q = buildQuery(id, normal, type);
      Message m;
      if (!exchangeWith(server, q, id, normal, type, &m, error)) continue;
      // SERVFAIL, REFUSED, NOTIMP, FORMERR: another server may do better.
      if (m.rcode != Rcode::NoError && m.rcode != Rcode::NxDomain) {
        *error = server.text + ": " +
                 (m.rcode == Rcode::ServFail  ? "SERVFAIL"
                  : m.rcode == Rcode::Refused ? "REFUSED"
                                              : "rcode " + std::to_string(static_cast<int>(m.rcode)));
        continue;
      }
      *answer = std::move(m);
      return true;
    }
  }
  if (config_.servers.empty()) *error = "no DNS servers configured";
  return false;
}

QueryResult Resolver::query(std::string_view name, RrType type) {
  QueryResult result;
  std::string current;
  try {
    current = normalizeName(name);
  } catch (const FormatError& e) {
    result.status = Status::NotFound;
    result.error = e.what();
    return result;
  }
  const std::string what = " for name=" + current + " type=" + rrTypeName(type);
  int links = 0;
  for (int queries = 0; queries < 8; ++queries) {
    Message m;
    std::string error;
    if (!exchange(current, type, &m, &error)) {
      result.status = Status::TempFail;
      result.error = "name service error" + what + ": " + error;
      return result;
    }
    // Follow the chain inside this answer.
    for (;;) {
      std::vector<Record> found;
      const Record* cname = nullptr;
      for (const Record& r : m.answers) {
        if (r.name != current) continue;
        if (r.type == type) found.push_back(r);
        else if (r.type == RrType::CNAME) cname = &r;
      }
      if (!found.empty()) {
        result.status = Status::Ok;
        result.canonicalName = current;
        result.records = std::move(found);
        return result;
      }
      if (cname == nullptr) break;
      if (++links > 8) {
        result.status = Status::TempFail;
        result.error = "CNAME chain too long" + what;
        return result;
      }
      current = cname->target;
    }
    const bool chainLeftAnswer = current != m.questionName;
    if (m.rcode == Rcode::NxDomain) {
      result.status = Status::NotFound;
      result.nxdomain = true;
      result.canonicalName = current;
      result.error = "host not found" + what;
      return result;
    }
    if (!chainLeftAnswer) {
      result.status = Status::NotFound;
      result.canonicalName = current;
      result.error = "host found but no data record of the requested type" + what;
      return result;
    }
    // The server gave the CNAME but not its target's records: ask again.
  }
  result.status = Status::TempFail;
  result.error = "CNAME chain too long" + what;
  return result;
}

void Resolver::orderMx(std::vector<MxHost>& hosts, std::mt19937_64& rng) {
  std::shuffle(hosts.begin(), hosts.end(), rng);
  std::stable_sort(hosts.begin(), hosts.end(),
                   [](const MxHost& a, const MxHost& b) { return a.preference < b.preference; });
  // The same exchange listed twice: keep its best preference only.
  std::vector<MxHost> unique;
  for (const MxHost& h : hosts) {
    if (std::none_of(unique.begin(), unique.end(), [&](const MxHost& u) { return u.name == h.name; }))
      unique.push_back(h);
  }
  hosts = std::move(unique);
}

MxResult Resolver::lookupMx(std::string_view domain) {
  MxResult result;
  QueryResult q = query(domain, RrType::MX);
  if (q.status == Status::TempFail || (q.status == Status::NotFound && q.nxdomain)) {
    result.status = q.status;
    result.error = q.error;
    return result;
  }
  if (q.status == Status::Ok) {
    for (const Record& r : q.records) {
      if (r.target.empty()) {  // RFC 7505: "MX 0 ." - no mail at all
        result.status = Status::NullMx;
        result.error = "domain " + q.canonicalName + " does not accept mail (null MX)";
        return result;
      }
      result.hosts.push_back({r.target, r.preference, false});
    }
    orderMx(result.hosts, rng_);
    result.status = Status::Ok;
    return result;
  }
  // No MX records: the domain itself, if it has an address (checked by the
  // caller's lookupHost; an implicit MX needs at least the name).
  HostResult h = lookupHost(domain);
  if (h.status != Status::Ok) {
    result.status = h.status;
    result.error = h.error;
    return result;
  }
  result.status = Status::Ok;
  result.hosts.push_back({q.canonicalName.empty() ? normalizeName(domain) : q.canonicalName, 0, true});
  return result;
}

HostResult Resolver::lookupHost(std::string_view name) {
  HostResult result;
  QueryResult v6 = query(name, RrType::AAAA);
  QueryResult v4 = query(name, RrType::A);
  for (const QueryResult* q : {&v6, &v4})
    for (const Record& r : q->records) result.addresses.push_back(r.address);
  if (!result.addresses.empty()) {
    result.status = Status::Ok;
  } else if (v6.status == Status::TempFail || v4.status == Status::TempFail) {
    result.status = Status::TempFail;
    result.error = v4.status == Status::TempFail ? v4.error : v6.error;
  } else {
    result.status = Status::NotFound;
    result.error = v4.error;
  }
  return result;
}

TextResult Resolver::lookupTxt(std::string_view name) {
  TextResult result;
  QueryResult q = query(name, RrType::TXT);
  result.status = q.status;
  result.error = q.error;
  for (const Record& r : q.records) {
    std::string joined;
    for (const auto& t : r.texts) joined += t;
    result.values.push_back(std::move(joined));
  }
  return result;
}

TextResult Resolver::lookupPtr(std::string_view address) {
  TextResult result;
  const std::string name = reverseName(address);
  if (name.empty()) {
    result.status = Status::NotFound;
    result.error = "not an IP address: " + std::string(address);
    return result;
  }
  QueryResult q = query(name, RrType::PTR);
  result.status = q.status;
  result.error = q.error;
  for (const Record& r : q.records) result.values.push_back(r.target);
  return result;
}

}  // namespace posthorn::dns
