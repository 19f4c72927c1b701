// dns_records - each needed record with its zone-file line and its check
#include "tools/dns_records.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <variant>

#include "lib/mailauth/dkim_signing_table.h"
#include "lib/mailauth/spf_check.h"
#include "lib/mailauth/tag_list.h"
#include "lib/util/ascii.h"
#include "tools/dkim_record.h"

namespace posthorn::tools {
namespace {

DnsCheck ok() { return {DnsVerdict::Ok, ""}; }
DnsCheck missing() { return {DnsVerdict::Missing, ""}; }
DnsCheck wrong(std::string found) { return {DnsVerdict::Wrong, std::move(found)}; }
DnsCheck unknown(std::string why) { return {DnsVerdict::Unknown, std::move(why)}; }

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

std::string quoted(const std::string& value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); i += 250) out += (out.empty() ? "\"" : " \"") + value.substr(i, 250) + "\"";
  return out;
}

bool isV6(const std::string& a) { return a.find(':') != std::string::npos; }

// Addresses other servers can reach: not loopback, link-local, private
// (RFC 1918, RFC 6598, RFC 4193) or documentation space.
bool isPublic(const std::string& a) {
  in_addr v4{};
  if (::inet_pton(AF_INET, a.c_str(), &v4) == 1) {
    const std::uint32_t x = ntohl(v4.s_addr);
    const auto in = [&](std::uint32_t net, int bits) { return (x >> (32 - bits)) == (net >> (32 - bits)); };
    return !(in(0x7f000000, 8) || in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16) ||
             in(0xa9fe0000, 16) || in(0x64400000, 10) || in(0x00000000, 8) || in(0xc0000200, 24) ||
             in(0xc6336400, 24) || in(0xcb007100, 24) || in(0xe0000000, 3));  // TEST-NETs, multicast, reserved
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, a.c_str(), &v6) != 1) return false;
  const unsigned char b0 = v6.s6_addr[0], b1 = v6.s6_addr[1];
  return (b0 & 0xe0) == 0x20 && !(b0 == 0x20 && b1 == 0x01 && v6.s6_addr[2] == 0x0d && v6.s6_addr[3] == 0xb8);
}

std::vector<std::string> interfaceAddresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    char text[INET6_ADDRSTRLEN] = "";
    if (i->ifa_addr->sa_family == AF_INET)
      ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    else if (i->ifa_addr->sa_family == AF_INET6)
      ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, text, sizeof text);
    if (*text != '\0' && isPublic(text) && std::find(out.begin(), out.end(), text) == out.end()) out.push_back(text);
  }
  ::freeifaddrs(list);
  return out;
}

// The TXT values at name that start with prefix (case-insensitive), or a
// check verdict when there are none or the lookup failed.
std::variant<std::vector<std::string>, DnsCheck> txtStartingWith(dns::Resolver& r, const std::string& name,
                                                                 std::string_view prefix) {
  const dns::TextResult t = r.lookupTxt(name);
  if (t.status == dns::Status::TempFail) return unknown("lookup failed: " + t.error);
  std::vector<std::string> found;
  for (const auto& v : t.values)
    if (util::startsWithIgnoreCase(v, prefix)) found.push_back(v);
  if (found.empty()) return missing();
  return found;
}


// A check that wants exactly one TXT record starting with prefix and
// hands it to judge.
std::function<DnsCheck(dns::Resolver&)> oneTxt(std::string name, std::string prefix,
                                               std::function<DnsCheck(const std::string&)> judge) {
  return [=](dns::Resolver& r) {
    auto got = txtStartingWith(r, name, prefix);
    if (auto* verdict = std::get_if<DnsCheck>(&got)) return *verdict;
    const auto& values = std::get<std::vector<std::string>>(got);
    if (values.size() > 1) return wrong(std::to_string(values.size()) + " records (only one may exist): " + joined(values));
    return judge(values.front());
  };
}

// The *.key files of a domain's key directory, sorted; none when it does
// not exist or cannot be read.
std::vector<std::string> keyFilesOf(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".key") == 0 && name[0] != '.') out.push_back(name);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

DnsPlan planDns(const config::Config& cfg, const std::string& domain, std::vector<std::string> addresses) {
  DnsPlan plan;
  plan.domain = domain;
  plan.host = util::lower(cfg.get("myhostname"));
  if (addresses.empty()) addresses = interfaceAddresses();
  plan.addresses = addresses;
  const std::string host = plan.host, dom = domain;
  const std::string report = cfg.get("dmarc_report_address");

  if (addresses.empty())
    plan.notes.push_back("no public address of this host is known: give them with -a (A, AAAA, SPF and PTR need them)");
  for (const std::string& a : addresses) {
    plan.records.push_back({"the mail server " + host + " at " + a,
                            host + ". IN " + (isV6(a) ? "AAAA " : "A ") + a,
                            [=](dns::Resolver& r) {
                              const dns::HostResult h = r.lookupHost(host);
                              if (h.status == dns::Status::TempFail) return unknown("lookup failed: " + h.error);
                              if (h.status == dns::Status::NotFound) return missing();
                              if (std::find(h.addresses.begin(), h.addresses.end(), a) != h.addresses.end()) return ok();
                              for (const auto& x : h.addresses)
                                if (isV6(x) == isV6(a)) return wrong(host + " has " + joined(h.addresses));
                              return missing();
                            }});
  }
  plan.records.push_back({"mail for " + dom + " goes to " + host, dom + ". IN MX 10 " + host + ".",
                          [=](dns::Resolver& r) {
                            const dns::MxResult mx = r.lookupMx(dom);
                            if (mx.status == dns::Status::TempFail) return unknown("lookup failed: " + mx.error);
                            std::vector<std::string> names;
                            for (const auto& h : mx.hosts)
                              if (!h.implicit) names.push_back(h.name);
                            if (names.empty() && mx.status != dns::Status::NullMx) return missing();
                            if (std::find(names.begin(), names.end(), host) != names.end()) return ok();
                            return wrong(mx.status == dns::Status::NullMx ? "a null MX (RFC 7505): no mail accepted"
                                                                          : "MX " + joined(names));
                          }});

  std::string spf = "v=spf1";
  for (const std::string& a : addresses) spf += (isV6(a) ? " ip6:" : " ip4:") + a;
  spf += addresses.empty() ? " mx -all" : " -all";
  // Evaluated by libspf2, not compared as text: any record that lets our
  // addresses pass is right.
  plan.records.push_back({"SPF: only this server sends mail from " + dom, dom + ". IN TXT " + quoted(spf),
                          [=, one = oneTxt(dom, "v=spf1", [](const std::string&) { return ok(); })](dns::Resolver& r) {
                            DnsCheck c = one(r);
                            if (c.verdict != DnsVerdict::Ok) return c;
                            mailauth::SpfChecker checker(r, host);
                            for (const std::string& a : addresses) {
                              const auto outcome = checker.checkMailFrom(a, host, "postmaster@" + dom);
                              if (outcome.result != mailauth::SpfResult::Pass)
                                return wrong("SPF says " + std::string(mailauth::spfResultName(outcome.result)) +
                                             " for " + a);
                            }
                            return c;
                          }});

  const std::string signing = cfg.get("dkim_signing_maps");
  const std::string configDir = cfg.get("config_directory");
  std::vector<std::string> seen;  // selectors of dom with a record already
  auto addDkim = [&](const std::string& selector, const std::string& value, const std::string& comment) {
    seen.push_back(selector);
    const std::string name = selector + "._domainkey." + dom;
    plan.records.push_back({comment, dkimRecordLine(selector, dom, value),
                            // Every TXT record at the name: v=DKIM1 is
                            // optional (RFC 6376 3.6.1), "k=rsa; p=..." is a key.
                            oneTxt(name, "", [=](const std::string& found) {
                              std::string p = mailauth::tagValue(found, "p");
                              std::erase_if(p, [](char c) { return c == ' ' || c == '\t'; });  // folded base64
                              if (p == mailauth::tagValue(value, "p")) return ok();
                              if (p.empty())
                                return wrong("no key (an empty p= revokes it, none is an error): " + found);
                              // The end: RSA keys of one size begin alike.
                              const std::size_t tail = std::min<std::size_t>(p.size(), 24);
                              return wrong("another key: p=..." + p.substr(p.size() - tail));
                            })});
  };
  bool anyKey = false;
  if (!signing.empty()) {
    const auto table = mailauth::DkimSigningTable::load(signing, configDir);
    for (const auto& entry : table.entries()) {
      for (const auto& key : entry.keys) {
        if (key->domain != dom) continue;
        if (std::find(seen.begin(), seen.end(), key->selector) != seen.end()) continue;
        anyKey = true;
        addDkim(key->selector, dkimRecordValueOfPem(key->pem), "DKIM: the public half of " + key->file);
      }
    }
  }
  // Keys made but not signing yet (the new half of `posthorn dkim
  // rotate`): their records must be visible before the table names them.
  for (const std::string& file : keyFilesOf(configDir + "/dkim/" + dom)) {
    const std::string selector = file.substr(0, file.size() - 4);
    if (std::find(seen.begin(), seen.end(), selector) != seen.end()) continue;
    const std::string path = configDir + "/dkim/" + dom + "/" + file;
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    try {
      addDkim(selector, dkimRecordValueOfPem(text.str()),
              "DKIM: the public half of " + path + ", not in dkim_signing_maps yet (publish it before it signs)");
    } catch (const std::exception& e) {
      plan.notes.push_back(path + ": " + e.what() + " (not readable here?)");
    }
  }
  if (!anyKey)
    plan.notes.push_back("no DKIM key signs mail from " + dom + ": run `posthorn dkim keygen " + dom +
                         "` and name it in dkim_signing_maps");

  const std::string dmarc = "v=DMARC1; p=quarantine; rua=mailto:" + report + "; adkim=r; aspf=r";
  plan.records.push_back({"DMARC: what receivers do with mail that fails, and where they report",
                          "_dmarc." + dom + ". IN TXT " + quoted(dmarc),
                          oneTxt("_dmarc." + dom, "v=DMARC1", [=](const std::string& found) {
                            const std::string p = mailauth::tagValue(found, "p");
                            if (p != "none" && p != "quarantine" && p != "reject")
                              return wrong("no valid p= tag: " + found);
                            if (mailauth::tagValue(found, "rua").empty()) return wrong("no rua= (no reports reach you): " + found);
                            return ok();
                          })});
  for (const std::string& a : addresses) {
    plan.records.push_back({"reverse DNS of " + a + " (set by whoever runs the address block, often the provider)",
                            dns::reverseName(a) + ". IN PTR " + host + ".",
                            [=](dns::Resolver& r) {
                              const dns::TextResult t = r.lookupPtr(a);
                              if (t.status == dns::Status::TempFail) return unknown("lookup failed: " + t.error);
                              if (t.status == dns::Status::NotFound || t.values.empty()) return missing();
                              if (std::find(t.values.begin(), t.values.end(), host) != t.values.end()) return ok();
                              return wrong("PTR " + joined(t.values));
                            }});
  }

  const std::string policy = "version: STSv1\nmode: testing\nmx: " + host + "\nmax_age: 604800\n";
  std::size_t h = std::hash<std::string>{}(policy);
  char id[20];
  std::snprintf(id, sizeof id, "%016zx", h);
  plan.records.push_back({"MTA-STS (RFC 8461), with the policy https://mta-sts." + dom +
                              "/.well-known/mta-sts.txt served over HTTPS: " + [&] {
                                std::string p = policy;
                                std::replace(p.begin(), p.end(), '\n', ' ');
                                return p;
                              }(),
                          "_mta-sts." + dom + ". IN TXT " + quoted(std::string("v=STSv1; id=") + id),
                          oneTxt("_mta-sts." + dom, "v=STSv1", [](const std::string& found) {
                            return mailauth::tagValue(found, "id").empty() ? wrong("no id=: " + found) : ok();
                          })});
  plan.records.push_back({"TLS-RPT (RFC 8460): where senders report TLS failures",
                          "_smtp._tls." + dom + ". IN TXT " + quoted("v=TLSRPTv1; rua=mailto:" + report),
                          oneTxt("_smtp._tls." + dom, "v=TLSRPTv1", [](const std::string& found) {
                            return mailauth::tagValue(found, "rua").empty() ? wrong("no rua=: " + found) : ok();
                          })});

  struct Srv {
    const char* service;
    int port;
    const char* what;
  };
  for (const Srv& s : {Srv{"_submission._tcp", 587, "submission with STARTTLS"},
                       Srv{"_submissions._tcp", 465, "submission over TLS"}, Srv{"_imaps._tcp", 993, "IMAP over TLS"},
                       Srv{"_pop3s._tcp", 995, "POP3 over TLS"}}) {
    const std::string name = std::string(s.service) + "." + dom;
    const int port = s.port;
    plan.records.push_back({std::string("mail clients find ") + s.what + " (RFC 6186)",
                            name + ". IN SRV 0 1 " + std::to_string(port) + " " + host + ".",
                            [=](dns::Resolver& r) {
                              const dns::QueryResult q = r.query(name, dns::RrType::SRV);
                              if (q.status == dns::Status::TempFail) return unknown("lookup failed: " + q.error);
                              if (q.status == dns::Status::NotFound || q.records.empty()) return missing();
                              std::vector<std::string> found;
                              for (const auto& rec : q.records) {
                                if (rec.target == host && rec.port == port) return ok();
                                found.push_back(std::to_string(rec.port) + " " + rec.target);
                              }
                              return wrong("SRV " + joined(found));
                            }});
  }
  return plan;
}

}  // namespace posthorn::tools
