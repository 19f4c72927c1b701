// mta_sts - TXT lookup, HTTPS fetch, policy parse and cache
#include "smtp/mta_sts.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lib/log/log.h"
#include "lib/mailauth/tag_list.h"
#include "lib/util/ascii.h"
#include "smtp/smtp_stream.h"

namespace posthorn::smtp {
namespace {

constexpr std::size_t kMaxPolicy = 64 * 1024;  // RFC 8461 3.3
constexpr long kMaxAge = 31557600;             // a year

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

// The id= of the one "v=STSv1" TXT record, "" when there is none or more
// than one (RFC 8461 3.1: then there is no policy to fetch).
std::string txtId(const std::vector<std::string>& values) {
  std::string id;
  int records = 0;
  for (const auto& v : values) {
    if (!util::startsWithIgnoreCase(v, "v=STSv1")) continue;
    ++records;
    id = mailauth::tagValue(v, "id");
  }
  return records == 1 ? id : "";
}

// A domain usable as a cache file name (it comes from a recipient).
bool cacheable(const std::string& domain) {
  return !domain.empty() && domain.front() != '.' && domain.find('/') == std::string::npos &&
         domain.size() <= 253;
}

}  // namespace

bool StsPolicy::allows(std::string_view host) const {
  const std::string h = util::lower(host);
  for (const auto& pattern : mx) {
    const std::string p = util::lower(pattern);
    if (p == h) return true;
    // "*.example.org" covers exactly one more label.
    if (p.rfind("*.", 0) == 0) {
      const auto dot = h.find('.');
      if (dot != std::string::npos && dot > 0 && h.substr(dot) == p.substr(1)) return true;
    }
  }
  return false;
}

std::string StsPolicy::modeName() const {
  switch (mode) {
    case StsMode::Enforce: return "enforce";
    case StsMode::Testing: return "testing";
    case StsMode::None: return "none";
  }
  return "none";
}

std::optional<StsPolicy> parseStsPolicy(std::string_view text, std::string* why) {
  StsPolicy p;
  bool version = false, mode = false, maxAge = false;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    const std::string l = trim(line);
    if (l.empty()) continue;
    p.lines.push_back(l);
    const auto colon = l.find(':');
    if (colon == std::string::npos) {
      *why = "a line without a colon: " + l.substr(0, 60);
      return std::nullopt;
    }
    const std::string key = trim(std::string_view(l).substr(0, colon));
    const std::string value = trim(std::string_view(l).substr(colon + 1));
    if (key == "version") {
      if (value != "STSv1") {
        *why = "version " + value;
        return std::nullopt;
      }
      version = true;
    } else if (key == "mode") {
      mode = true;
      if (value == "enforce") p.mode = StsMode::Enforce;
      else if (value == "testing") p.mode = StsMode::Testing;
      else if (value == "none") p.mode = StsMode::None;
      else {
        *why = "mode " + value;
        return std::nullopt;
      }
    } else if (key == "mx") {
      if (value.empty() || value.find_first_of(" \t") != std::string::npos) {
        *why = "mx \"" + value + "\"";
        return std::nullopt;
      }
      p.mx.push_back(util::lower(value));
    } else if (key == "max_age") {
      char* end = nullptr;
      errno = 0;
      p.maxAge = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || errno != 0 || p.maxAge < 0 || p.maxAge > kMaxAge) {
        *why = "max_age " + value;
        return std::nullopt;
      }
      maxAge = true;
    }
  }
  if (!version || !mode || !maxAge) {
    *why = "version, mode and max_age are required";
    return std::nullopt;
  }
  if (p.mode != StsMode::None && p.mx.empty()) {
    *why = "no mx for mode " + p.modeName();
    return std::nullopt;
  }
  return p;
}

MtaSts::MtaSts(dns::Resolver& resolver, const tls::Context* verifying, std::string cacheDir, int port,
               std::chrono::seconds timeout)
    : resolver_(resolver), verifying_(verifying), cacheDir_(std::move(cacheDir)), port_(port), timeout_(timeout) {}

std::optional<StsPolicy> MtaSts::policyFor(const std::string& domainIn, Failure* failure) {
  const std::string domain = util::lower(domainIn);
  const std::time_t now = std::time(nullptr);
  std::optional<StsPolicy> cached = loadCached(domain);
  if (cached && !cached->inForce(now)) cached.reset();
  const dns::TextResult txt = resolver_.lookupTxt("_mta-sts." + domain);
  const std::string id = txt.status == dns::Status::Ok ? txtId(txt.values) : "";
  if (id.empty()) return cached;  // no (usable) record, or DNS trouble: what we know
  if (cached && cached->id == id) return cached;
  Failure why;
  if (auto fresh = fetch(domain, id, &why)) return fresh;
  log::warning("MTA-STS policy of %s could not be fetched: %s%s", domain.c_str(), why.why.c_str(),
               cached ? "; the cached one stays in force" : "");
  if (!cached && failure != nullptr) *failure = why;
  return cached;
}

std::optional<StsPolicy> MtaSts::fetch(const std::string& domain, const std::string& id, Failure* failure) {
  failure->type = "sts-policy-fetch-error";
  std::string* why = &failure->why;
  if (verifying_ == nullptr) {
    *why = "no TLS context";
    return std::nullopt;
  }
  const std::string host = "mta-sts." + domain;
  const Deadline deadline = Clock::now() + timeout_;
  const dns::HostResult addrs = resolver_.lookupHost(host);
  if (addrs.status != dns::Status::Ok) {
    *why = "cannot find " + host + ": " + addrs.error;
    return std::nullopt;
  }
  std::string body;
  std::string lastError = "no address";
  for (const std::string& address : addrs.addresses) {
    failure->type = "sts-policy-fetch-error";  // the last address's trouble is reported
    try {
      auto stream = SmtpStream::connect(address, port_, deadline);
      try {
        stream->startTls(*verifying_, host, deadline, host);  // PKIX and the name mta-sts.DOMAIN
      } catch (const StreamError& e) {
        if (!e.timeout()) failure->type = "sts-webpki-invalid";
        throw;
      }
      stream->write("GET /.well-known/mta-sts.txt HTTP/1.0\r\nHost: " + host +
                        "\r\nUser-Agent: posthorn\r\nConnection: close\r\n\r\n",
                    deadline);
      const std::string status = stream->readLine(deadline);
      if (status.rfind("HTTP/1.", 0) != 0 || status.size() < 12 || status.substr(9, 3) != "200") {
        *why = host + " answered \"" + status.substr(0, 80) + "\" (only 200 is a policy; redirects are not followed)";
        return std::nullopt;
      }
      bool textPlain = false;
      for (std::string h; !(h = stream->readLine(deadline)).empty();) {
        const auto colon = h.find(':');
        if (colon != std::string::npos && util::equalsIgnoreCase(trim(h.substr(0, colon)), "content-type"))
          textPlain = util::startsWithIgnoreCase(trim(h.substr(colon + 1)), "text/plain");
      }
      if (!textPlain) {
        *why = host + " served the policy without Content-Type text/plain";
        return std::nullopt;
      }
      try {
        for (;;) {
          body += stream->readLine(deadline) + "\n";
          if (body.size() > kMaxPolicy) {
            *why = "the policy of " + host + " is over 64 KiB";
            return std::nullopt;
          }
        }
      } catch (const StreamError& e) {
        if (e.timeout()) throw;  // else: the server closed, the body is complete
      }
      lastError.clear();
      break;
    } catch (const StreamError& e) {
      lastError = address + ": " + e.what();
    }
  }
  if (!lastError.empty()) {
    *why = "HTTPS to " + host + " failed: " + lastError;
    return std::nullopt;
  }
  failure->type = "sts-policy-invalid";
  auto policy = parseStsPolicy(body, why);
  if (!policy) {
    *why = "the policy of " + domain + " is not valid: " + *why;
    return std::nullopt;
  }
  policy->id = id;
  policy->fetched = std::time(nullptr);
  store(domain, body, *policy);
  log::info("MTA-STS policy of %s fetched: mode %s, max_age %ld", domain.c_str(), policy->modeName().c_str(),
            policy->maxAge);
  return policy;
}

// The cache file: "id=ID fetched=EPOCH\n" and the policy text.
std::optional<StsPolicy> MtaSts::loadCached(const std::string& domain) {
  if (cacheDir_.empty() || !cacheable(domain)) return std::nullopt;
  std::ifstream in(cacheDir_ + "/" + domain);
  std::string first;
  if (!in || !std::getline(in, first)) return std::nullopt;
  std::stringstream rest;
  rest << in.rdbuf();
  std::string why;
  auto policy = parseStsPolicy(rest.str(), &why);
  const auto idAt = first.find("id="), fetchedAt = first.find(" fetched=");
  if (!policy || idAt != 0 || fetchedAt == std::string::npos) return std::nullopt;
  policy->id = first.substr(3, fetchedAt - 3);
  policy->fetched = static_cast<std::time_t>(std::atoll(first.c_str() + fetchedAt + 9));
  return policy;
}

void MtaSts::store(const std::string& domain, const std::string& policyText, const StsPolicy& policy) {
  if (cacheDir_.empty() || !cacheable(domain)) return;
  // Written whole and renamed: a reader never sees half a policy. Not
  // fsynced: a lost cache means one more fetch.
  const std::string path = cacheDir_ + "/" + domain, tmp = cacheDir_ + "/." + domain;
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "id=" << policy.id << " fetched=" << static_cast<long long>(policy.fetched) << "\n" << policyText;
    if (!out.flush()) {
      log::warning("cannot write the MTA-STS cache %s: %s", tmp.c_str(), std::strerror(errno));
      return;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    log::warning("cannot rename the MTA-STS cache %s: %s", tmp.c_str(), std::strerror(errno));
}

}  // namespace posthorn::smtp
