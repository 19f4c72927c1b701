// smtpd_restrictions_maps - the restrictions that ask someone else: access
// tables (check_*_access), DNS lists (reject_rbl_client, reject_rhsbl_*)
// and policy services (check_policy_service); see smtpd_restrictions.h
#include <cctype>

#include "lib/dns/dns_record.h"
#include "lib/dns/dns_resolver.h"
#include "lib/log/log.h"
#include "lib/util/ascii.h"
#include "smtpd/smtpd_policy_service.h"
#include "smtpd/smtpd_restrictions.h"

namespace posthorn::smtpd {

namespace {

// "554 5.7.1 text" (the enhanced code optional) as a reply; nullopt when
// it does not start with a 4xx or 5xx code.
std::optional<Reply> parseReplyText(std::string_view s, std::string_view defaultEnhanced) {
  if (s.size() < 3 || (s[0] != '4' && s[0] != '5') || !std::isdigit(static_cast<unsigned char>(s[1])) ||
      !std::isdigit(static_cast<unsigned char>(s[2])) || (s.size() > 3 && s[3] != ' '))
    return std::nullopt;
  const int code = std::stoi(std::string(s.substr(0, 3)));
  AccessAction a = parseAccessAction(s);  // "5NN text" takes the enhanced code apart
  return Reply(code, a.enhanced.empty() ? withClass(code, defaultEnhanced) : withClass(code, a.enhanced),
               a.text.empty() ? std::string("Service unavailable") : a.text);
}

// Postfix's $name, ${name}, ${name?text} and ${name:text} over `vars`.
std::string expand(std::string_view tmpl, const std::map<std::string, std::string>& vars) {
  std::string out;
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '$' || i + 1 >= tmpl.size()) {
      out += tmpl[i];
      continue;
    }
    std::string name, alt;
    char op = 0;
    if (tmpl[i + 1] == '{') {
      const std::size_t close = tmpl.find('}', i + 2);
      if (close == std::string_view::npos) {
        out += tmpl.substr(i);
        break;
      }
      std::string_view inner = tmpl.substr(i + 2, close - i - 2);
      const std::size_t o = inner.find_first_of("?:");
      name = std::string(inner.substr(0, o));
      if (o != std::string_view::npos) {
        op = inner[o];
        alt = std::string(inner.substr(o + 1));
      }
      i = close;
    } else {
      std::size_t j = i + 1;
      while (j < tmpl.size() && (std::isalnum(static_cast<unsigned char>(tmpl[j])) || tmpl[j] == '_')) ++j;
      name = std::string(tmpl.substr(i + 1, j - i - 1));
      i = j - 1;
    }
    auto it = vars.find(name);
    const std::string value = it == vars.end() ? std::string() : it->second;
    if (op == '?') out += value.empty() ? std::string() : expand(alt, vars);
    else if (op == ':') out += value.empty() ? expand(alt, vars) : value;
    else out += value;
  }
  return out;
}

// "2.0.192" of 192.0.2.7 (the DNSBL query's prefix); "" for no address.
std::string rblPrefix(std::string_view address) {
  std::string r = dns::reverseName(address);
  for (std::string_view suffix : {".in-addr.arpa", ".ip6.arpa"}) {
    if (r.size() > suffix.size() && r.ends_with(suffix)) return r.substr(0, r.size() - suffix.size());
  }
  return "";
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

Restrictions::Result Restrictions::accessTable(const std::string& table, const std::vector<std::string>& keys,
                                               const std::string& what, std::string_view replyClass, Eval& ev,
                                               int depth) {
  for (const std::string& key : keys) {
    std::optional<std::string> value;
    try {
      value = lookups_.tableLookup(table, key);
    } catch (const LookupError& e) {
      log::warning("%s: table lookup of %s failed: %s", table.c_str(), key.c_str(), e.what());
      return reject(ev, Reply(451, "4.3.0", quoted(what) + ": Temporary lookup failure"));
    }
    if (value) return action(parseAccessAction(*value), what, replyClass, table, ev, depth);
  }
  return Result::Dunno;
}

Restrictions::Result Restrictions::action(const AccessAction& a, const std::string& what,
                                          std::string_view replyClass, std::string_view source, Eval& ev,
                                          int depth) {
  using K = AccessAction::Kind;
  const std::string prefix = quoted(what) + ": " + std::string(replyClass) + " rejected: ";
  auto replyOf = [&](int code, std::string_view defEnhanced, std::string_view defText) {
    if (a.code) code = a.code;
    const std::string enhanced = a.enhanced.empty() ? withClass(code, defEnhanced) : withClass(code, a.enhanced);
    return Reply(code, enhanced, prefix + (a.text.empty() ? std::string(defText) : a.text));
  };
  const std::string triggers = quoted(what) + ": " + std::string(replyClass) + " triggers ";
  switch (a.kind) {
    case K::Ok: return Result::Permit;
    case K::Dunno: return Result::Dunno;
    case K::Reject: return reject(ev, replyOf(settings_.accessMapRejectCode, "5.7.1", "Access denied"));
    case K::Defer: return reject(ev, replyOf(settings_.accessMapDeferCode, "4.7.1", "Access denied"));
    case K::DeferIfPermit:
      if (!ev.deferIfPermit) ev.deferIfPermit = replyOf(settings_.accessMapDeferCode, "4.7.1", "Service unavailable");
      return Result::Dunno;
    case K::DeferIfReject:
      if (!ev.deferIfReject) ev.deferIfReject = replyOf(settings_.accessMapDeferCode, "4.7.1", "Service unavailable");
      return Result::Dunno;
    case K::Prepend: ev.verdict.prepend.push_back(a.text); return Result::Dunno;
    case K::Discard:
      ev.verdict.discard = true;
      ev.verdict.notes.emplace_back("discard", triggers + "DISCARD action" + (a.text.empty() ? "" : ": " + a.text));
      return Result::Dunno;
    case K::Redirect:
      ev.verdict.redirect = a.text;
      ev.verdict.notes.emplace_back("redirect", triggers + "REDIRECT action: " + a.text);
      return Result::Dunno;
    case K::Warn: ev.verdict.notes.emplace_back("warn", triggers + "WARN action: " + a.text); return Result::Dunno;
    case K::Info: ev.verdict.notes.emplace_back("info", triggers + "INFO action: " + a.text); return Result::Dunno;
    case K::Hold:
    case K::Filter:
    case K::Bcc:
      // Not supported yet: the message goes on as if the action were DUNNO.
      log::warning("%s: access action %s is not supported: ignored", std::string(source).c_str(),
                   a.kind == K::Hold ? "HOLD" : a.kind == K::Filter ? "FILTER" : "BCC");
      return Result::Dunno;
    case K::Restrictions: {
      if (depth >= 4) {
        log::warning("%s: restrictions nested too deeply", std::string(source).c_str());
        return reject(ev, Reply(451, "4.3.5", "Server configuration error"));
      }
      access::RestrictionList list;
      try {
        list = access::parseRestrictions(words(a.text), source);
      } catch (const config::ConfigError& e) {
        log::warning("%s", e.what());
        return reject(ev, Reply(451, "4.3.5", "Server configuration error"));
      }
      return runList(list, ev, depth + 1);
    }
    case K::Invalid: break;
  }
  log::warning("%s: bad access action for %s", std::string(source).c_str(), what.c_str());
  return reject(ev, Reply(451, "4.3.5", "Server configuration error"));
}

std::vector<std::string> Restrictions::lookupTxt(const std::string& name) {
  const dns::TextResult t = dns_->lookupTxt(name);
  return t.status == dns::Status::Ok ? t.values : std::vector<std::string>{};
}

Restrictions::Result Restrictions::listedReply(Eval& ev, const std::string& rblArg, std::string_view rblClass,
                                               const std::string& what, const std::string& queryName) {
  const std::string domain = rblArg.substr(0, rblArg.find('='));
  const std::vector<std::string> txt = lookupTxt(queryName);
  const std::string reason = txt.empty() ? std::string() : txt.front();
  const CheckRequest& q = ev.req;
  const std::map<std::string, std::string> vars = {
      {"rbl_code", std::to_string(settings_.rblRejectCode)},
      {"rbl_domain", domain},
      {"rbl_reason", reason},
      {"rbl_txt", reason},
      {"rbl_class", std::string(rblClass)},
      {"rbl_what", what},
      {"client_address", q.clientAddress},
      {"client_name", q.clientName},
      {"reverse_client_name", q.reverseName},
      {"helo_name", q.helo},
      {"sender", q.haveSender ? q.sender.toString() : std::string()},
      {"recipient", q.haveRecipient ? q.recipient.toString() : std::string()}};
  std::string tmpl = "$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked using $rbl_domain${rbl_reason?; $rbl_reason}";
  for (const std::string& key : {rblArg, domain}) {
    bool found = false;
    for (const std::string& table : settings_.rblReplyMaps) {
      try {
        if (auto v = lookups_.tableLookup(table, key)) {
          tmpl = *v;
          found = true;
          break;
        }
      } catch (const LookupError& e) {
        log::warning("%s: rbl_reply_maps lookup failed: %s", table.c_str(), e.what());
      }
    }
    if (found) break;
  }
  std::optional<Reply> r = parseReplyText(expand(tmpl, vars), "5.7.1");
  if (!r) r = Reply(settings_.rblRejectCode, withClass(settings_.rblRejectCode, "5.7.1"), expand(tmpl, vars));
  return reject(ev, *r);
}

Restrictions::Result Restrictions::rbl(const access::Restriction& r, Eval& ev) {
  const std::string prefix = rblPrefix(ev.req.clientAddress);
  if (prefix.empty()) return Result::Dunno;
  return dnsList(r, ev, prefix, "Client host", ev.req.clientAddress);
}

Restrictions::Result Restrictions::rhsbl(const access::Restriction& r, Eval& ev) {
  const CheckRequest& q = ev.req;
  std::string domain;
  std::string_view rblClass;
  if (r.name == "reject_rhsbl_client") {
    if (q.clientName != "unknown") domain = q.clientName;
    rblClass = "Client host";
  } else if (r.name == "reject_rhsbl_reverse_client") {
    domain = q.reverseName;
    rblClass = "Unverified Client host";
  } else if (r.name == "reject_rhsbl_helo") {
    if (!q.helo.empty() && q.helo.front() != '[') domain = q.helo;
    rblClass = "Helo command";
  } else if (r.name == "reject_rhsbl_sender") {
    if (q.haveSender && !q.sender.isNull()) domain = q.sender.domain;
    rblClass = "Sender address";
  } else if (r.name == "reject_rhsbl_recipient") {
    if (q.haveRecipient) domain = q.recipient.domain;
    rblClass = "Recipient address";
  }
  domain = util::lower(domain);
  while (!domain.empty() && domain.back() == '.') domain.pop_back();
  if (domain.empty() || domain.front() == '[') return Result::Dunno;
  return dnsList(r, ev, domain, rblClass, domain);
}

Restrictions::Result Restrictions::dnsList(const access::Restriction& r, Eval& ev, const std::string& prefix,
                                           std::string_view rblClass, const std::string& what) {
  const std::size_t eq = r.arg.find('=');
  const std::string domain = r.arg.substr(0, eq);
  const std::string want = eq == std::string::npos ? std::string() : r.arg.substr(eq + 1);
  if (!dns_) {
    log::warning("%s: no resolver for DNS list lookups", domain.c_str());
    return Result::Dunno;
  }
  const std::string name = prefix + "." + domain;
  const dns::QueryResult a = dns_->query(name, dns::RrType::A);
  if (a.status == dns::Status::TempFail) {
    log::warning("%s: DNS list lookup failed: %s", name.c_str(), a.error.c_str());
    return Result::Dunno;  // Postfix: a DNSBL that does not answer lists nobody
  }
  if (a.status != dns::Status::Ok) return Result::Dunno;
  bool listed = false;
  for (const dns::Record& rec : a.records) {
    if (rec.type != dns::RrType::A) continue;
    if (want.empty() ? rec.address.starts_with("127.") : access::rblFilterMatches(want, rec.address)) listed = true;
  }
  if (!listed) return Result::Dunno;
  return listedReply(ev, r.arg, rblClass, what, name);
}

Restrictions::Result Restrictions::policyService(const std::string& endpoint, Eval& ev, int depth) {
  const CheckRequest& q = ev.req;
  auto& client = policyClients_[endpoint];
  const std::string what = q.stage == CheckStage::Rcpt ? q.recipient.toString()
                           : q.stage == CheckStage::Mail ? q.sender.toString()
                                                         : ev.clientWhat;
  const std::string_view replyClass = q.stage == CheckStage::Rcpt   ? "Recipient address"
                                      : q.stage == CheckStage::Mail ? "Sender address"
                                      : q.stage == CheckStage::Helo ? "Helo command"
                                                                    : "Client host";
  const PolicyAttributes attrs = {
      {"request", "smtpd_access_policy"},
      {"protocol_state", std::string(stageName(q.stage))},
      {"protocol_name", q.protocol},
      {"helo_name", q.helo},
      {"queue_id", q.queueId},
      {"sender", q.haveSender && !q.sender.isNull() ? q.sender.toString() : std::string()},
      {"recipient", q.haveRecipient ? q.recipient.toString() : std::string()},
      {"recipient_count", std::to_string(q.recipientCount)},
      {"client_address", q.clientAddress},
      {"client_name", q.clientName},
      {"reverse_client_name", q.reverseName.empty() ? std::string("unknown") : q.reverseName},
      {"instance", q.instance},
      {"sasl_method", q.saslMethod},
      {"sasl_username", q.saslUser},
      {"sasl_sender", ""},
      {"size", std::to_string(q.size)},
      {"ccert_subject", ""},
      {"ccert_issuer", ""},
      {"ccert_fingerprint", ""},
      {"encryption_protocol", q.encryptionProtocol},
      {"encryption_cipher", q.encryptionCipher},
      {"encryption_keysize", "0"},
      {"etrn_domain", ""},
      {"stress", ""},
      {"policy_context", ""},
      {"compatibility_level", "3.6"},
      {"mail_version", "3.7.0"}};
  std::string answer;
  for (int attempt = 0; attempt < settings_.policyTryLimit; ++attempt) {
    try {
      if (!client) client = std::make_unique<PolicyClient>(endpoint, settings_.policyTimeout);
      answer = client->ask(attrs);
      break;
    } catch (const PolicyError& e) {
      log::warning("problem talking to server %s: %s", endpoint.c_str(), e.what());
      if (attempt + 1 == settings_.policyTryLimit) answer = settings_.policyDefaultAction;
    }
  }
  return action(parseAccessAction(answer), what, replyClass, endpoint, ev, depth);
}

}  // namespace posthorn::smtpd
