// dns_resolver - libunbound underneath: forwarders, trust anchors, answers
// decoded into records, MX order, null MX, implicit MX
#include "lib/dns/dns_resolver.h"

#include <poll.h>
#include <unbound.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <stdexcept>

namespace posthorn::dns {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kClassIn = 1;
constexpr int kRcodeServFail = 2;
constexpr int kRcodeRefused = 5;

void setOption(ub_ctx* ctx, const char* option, const std::string& value) {
  const int err = ::ub_ctx_set_option(ctx, option, value.c_str());
  if (err != 0)
    throw std::runtime_error(std::string("libunbound: ") + option + " " + value + ": " + ::ub_strerror(err));
}

// "127.0.0.1@5353", "::1@53": libunbound's spelling of a server.
std::string unboundAddress(const ServerAddress& server) {
  std::string host = server.text;
  const auto colon = host.rfind(':');
  std::string port = host.substr(colon + 1);
  host.resize(colon);
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  return host + "@" + port;
}

// libunbound parses trust anchors only when the context is finalized, and
// then says no more than "initialization failure". This finds the record
// it could not take, each in a context of its own, and names its line.
std::string whyInitFailed(const ResolverConfig& config, int err) {
  for (std::size_t i = 0; i < config.trustAnchors.size(); ++i) {
    ub_ctx* scratch = ::ub_ctx_create();
    if (scratch == nullptr) break;
    const bool usable = ::ub_ctx_add_ta(scratch, config.trustAnchors[i].c_str()) == 0 &&
                        ::ub_ctx_zone_remove(scratch, "test.") == 0;
    ::ub_ctx_delete(scratch);
    if (!usable) {
      const std::string where = i < config.trustAnchorOrigins.size() ? config.trustAnchorOrigins[i] + ": " : "";
      return where + "trust anchor \"" + config.trustAnchors[i] + "\" is not a DS or DNSKEY record libunbound can use";
    }
  }
  return std::string("libunbound: cannot set the resolver up: ") + ::ub_strerror(err);
}

std::string rcodeText(int rcode) {
  switch (rcode) {
    case kRcodeServFail: return "SERVFAIL";
    case kRcodeRefused: return "REFUSED";
    default: return "rcode " + std::to_string(rcode);
  }
}

}  // namespace

struct Resolver::Pending {
  Resolver* owner = nullptr;
  int id = -1;
  std::string name;
  RrType type = RrType::A;
  bool keepPacket = false;
  Callback callback;
};

std::string_view statusName(Status s) {
  switch (s) {
    case Status::Ok: return "ok";
    case Status::NotFound: return "not found";
    case Status::TempFail: return "temporary failure";
    case Status::NullMx: return "null MX";
  }
  return "unknown";
}

std::string_view securityName(Security s) {
  switch (s) {
    case Security::Insecure: return "insecure";
    case Security::Secure: return "secure";
    case Security::Bogus: return "bogus";
  }
  return "unknown";
}

Resolver::Resolver(ResolverConfig config) : config_(std::move(config)) {
  std::random_device rd;
  rng_.seed(config_.seed != 0 ? config_.seed : (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ ::getpid());
  ctx_ = ::ub_ctx_create();
  if (ctx_ == nullptr) throw std::runtime_error("libunbound: cannot create a resolver context");
  try {
    // A thread, not a forked process, answers: it shares the jail and the
    // privileges the worker drops to, and dies with it.
    if (::ub_ctx_async(ctx_, 1) != 0) throw std::runtime_error("libunbound: no thread support");
    // The forwarders are often on loopback (a local resolver, the tests'
    // server): libunbound refuses to query 127/8 and ::1 unless told.
    setOption(ctx_, "do-not-query-localhost:", "no");
    setOption(ctx_, "unblock-lan-zones:", "yes");
    setOption(ctx_, "insecure-lan-zones:", "yes");
    for (const ServerAddress& server : config_.servers) {
      const int err = ::ub_ctx_set_fwd(ctx_, unboundAddress(server).c_str());
      if (err != 0)
        throw std::runtime_error("libunbound: forwarder " + server.text + ": " + ::ub_strerror(err));
    }
    // Kept in memory now; libunbound reads nothing from disk later.
    for (const std::string& anchor : config_.trustAnchors) {
      const int err = ::ub_ctx_add_ta(ctx_, anchor.c_str());
      if (err != 0)
        throw std::runtime_error("libunbound: trust anchor \"" + anchor + "\": " + ::ub_strerror(err));
    }
    // libunbound answers some special-use names itself (RFC 6761 test.,
    // the loopback reverse zone, home.arpa). posthorn is a stub: those
    // names are the forwarders' business (a site's own zones, a test
    // server's). Removing a zone also finalizes the context: from here on
    // libunbound reads no file, so the caller may enter its jail.
    for (const char* zone : {"test.", "127.in-addr.arpa.", "home.arpa."}) {
      const int err = ::ub_ctx_zone_remove(ctx_, zone);
      if (err == UB_INITFAIL) throw std::runtime_error(whyInitFailed(config_, err));
      if (err != 0) throw std::runtime_error(std::string("libunbound: local zone ") + zone + ": " + ::ub_strerror(err));
    }
  } catch (...) {
    ::ub_ctx_delete(ctx_);
    throw;
  }
}

Resolver::~Resolver() { ::ub_ctx_delete(ctx_); }

int Resolver::fd() const { return ::ub_fd(ctx_); }

void Resolver::process() {
  ::ub_process(ctx_);
  if (!callbackError_.empty()) {
    // What a callback threw, thrown again here, outside libunbound.
    const std::string error = std::move(callbackError_);
    callbackError_.clear();
    throw std::runtime_error(error);
  }
}

void Resolver::cancel(int id) {
  const auto it = std::find_if(pending_.begin(), pending_.end(),
                               [id](const auto& p) { return p->id == id; });
  if (it == pending_.end()) return;
  ::ub_cancel(ctx_, id);
  pending_.erase(it);
}

int Resolver::start(std::string_view name, RrType type, Callback callback, bool keepPacket) {
  std::string why;
  const std::optional<std::string> normal = normalizeName(name, &why);
  if (!normal) {
    QueryResult r;
    r.status = Status::NotFound;
    r.error = why;
    callback(std::move(r));
    return -1;
  }
  // Kept before libunbound holds a pointer to it, so that nothing can
  // leave libunbound with a pointer to a freed Pending.
  pending_.push_back(std::make_unique<Pending>());
  Pending* pending = pending_.back().get();
  pending->owner = this;
  pending->name = *normal;
  pending->type = type;
  pending->keepPacket = keepPacket;
  pending->callback = std::move(callback);
  int id = -1;
  // The root is "."; every other name goes without its final dot.
  const std::string asked = normal->empty() ? "." : *normal;
  const int err = ::ub_resolve_async(ctx_, asked.c_str(), static_cast<int>(type), kClassIn,
                                     pending, &Resolver::onAnswer, &id);
  if (err != 0) {
    Callback refused = std::move(pending->callback);
    pending_.pop_back();
    QueryResult r;
    r.status = Status::TempFail;
    r.error = "name service error for name=" + *normal + " type=" + rrTypeName(type) +
              ": libunbound: " + ::ub_strerror(err);
    refused(std::move(r));
    return -1;
  }
  pending->id = id;
  return id;
}

void Resolver::onAnswer(void* data, int err, ub_result* result) {
  auto* pending = static_cast<Pending*>(data);
  Resolver* self = pending->owner;
  const std::string what = " for name=" + pending->name + " type=" + rrTypeName(pending->type);
  QueryResult r;
  r.canonicalName = pending->name;
  if (err != 0) {
    r.error = "name service error" + what + ": libunbound: " + ::ub_strerror(err);
  } else if (result->bogus) {
    r.security = Security::Bogus;
    r.error = "DNSSEC validation failed" + what +
              (result->why_bogus != nullptr ? std::string(": ") + result->why_bogus : std::string());
  } else {
    r.security = result->secure ? Security::Secure : Security::Insecure;
    if (pending->keepPacket && result->answer_packet != nullptr)
      r.packet.assign(static_cast<const char*>(result->answer_packet), result->answer_len);
    if (result->canonname != nullptr) {
      std::string ignored;
      r.canonicalName = normalizeName(result->canonname, &ignored).value_or(pending->name);
    }
    if (result->havedata) {
      r.status = Status::Ok;
      for (int i = 0; result->data[i] != nullptr; ++i) {
        auto rec = decodeRecord(pending->type, std::string_view(result->data[i], result->len[i]));
        if (rec) r.records.push_back(std::move(*rec));
      }
      if (r.records.empty()) {
        r.status = Status::TempFail;
        r.error = "malformed answer" + what;
      }
    } else if (result->rcode == 0 || result->nxdomain) {
      r.status = Status::NotFound;
      r.nxdomain = result->nxdomain != 0;
      r.error = r.nxdomain ? "host not found" + what
                           : "host found but no data record of the requested type" + what;
    } else {
      r.error = "name service error" + what + ": " + rcodeText(result->rcode);
    }
  }
  if (result != nullptr) ::ub_resolve_free(result);
  // Take the callback out before the Pending goes: it may start() again.
  Callback callback = std::move(pending->callback);
  auto& list = self->pending_;
  list.erase(std::find_if(list.begin(), list.end(), [pending](const auto& p) { return p.get() == pending; }));
  // Nothing may unwind through libunbound's C code.
  try {
    callback(std::move(r));
  } catch (const std::exception& e) {
    self->callbackError_ = e.what();
  } catch (...) {
    self->callbackError_ = "unknown exception";
  }
}

QueryResult Resolver::query(std::string_view name, RrType type, bool keepPacket) {
  QueryResult out;
  bool done = false;
  const int id = start(
      name, type,
      [&](QueryResult r) {
        out = std::move(r);
        done = true;
      },
      keepPacket);
  if (id < 0) return out;
  const auto limit = config_.timeout * std::max(1, config_.attempts);
  const auto deadline = Clock::now() + limit;
  while (!done) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd(), POLLIN, 0};
    const int n = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      cancel(id);
      out = QueryResult{};
      out.error = "name service error for name=" + std::string(name) + " type=" + rrTypeName(type) +
                  ": timeout after " + std::to_string(limit.count()) + "ms";
      return out;
    }
    process();
  }
  return out;
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
  result.security = q.security;
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
  // No MX records: the domain itself, if it has an address.
  HostResult h = lookupHost(domain);
  if (h.status != Status::Ok) {
    result.status = h.status;
    result.error = h.error;
    return result;
  }
  result.status = Status::Ok;
  result.hosts.push_back({q.canonicalName, 0, true});
  return result;
}

HostResult Resolver::lookupHost(std::string_view name) {
  HostResult result;
  QueryResult v6 = query(name, RrType::AAAA);
  QueryResult v4 = query(name, RrType::A);
  for (const QueryResult* q : {&v6, &v4})
    for (const Record& r : q->records) result.addresses.push_back(r.address);
  if (v6.security == Security::Bogus || v4.security == Security::Bogus) result.security = Security::Bogus;
  else if (v6.security == Security::Secure && v4.security == Security::Secure) result.security = Security::Secure;
  if (result.security == Security::Bogus) {
    // Half an answer may be forged: use none of it.
    result.addresses.clear();
    result.status = Status::TempFail;
    result.error = v4.security == Security::Bogus ? v4.error : v6.error;
  } else if (!result.addresses.empty()) {
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
  result.security = q.security;
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
  result.security = q.security;
  result.error = q.error;
  for (const Record& r : q.records) result.values.push_back(r.target);
  return result;
}

}  // namespace posthorn::dns
