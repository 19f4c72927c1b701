// spf_check - one libspf2 server per checker, one request per evaluation
#include "lib/mailauth/spf_check.h"

#include "lib/mailauth/libspf2.h"

#include <chrono>
#include <stdexcept>

#include "lib/mailauth/spf_dns.h"

namespace posthorn::mailauth {

namespace {

// RFC 7208 section 4.6.4: more than two void lookups is a permerror, and
// an evaluation should stop after at least 20 seconds (temperror).
constexpr int kVoidLookupLimit = 2;
constexpr std::chrono::seconds kEvaluationLimit{20};

SpfResult fromLibspf2(SPF_result_t r, SPF_errcode_t err) {
  if (r == SPF_RESULT_INVALID && err == SPF_E_DNS_ERROR) return SpfResult::TempError;
  switch (r) {
    case SPF_RESULT_NEUTRAL: return SpfResult::Neutral;
    case SPF_RESULT_PASS: return SpfResult::Pass;
    case SPF_RESULT_FAIL: return SpfResult::Fail;
    case SPF_RESULT_SOFTFAIL: return SpfResult::SoftFail;
    case SPF_RESULT_NONE: return SpfResult::None;
    case SPF_RESULT_TEMPERROR: return SpfResult::TempError;
    case SPF_RESULT_PERMERROR:
    case SPF_RESULT_INVALID:
    default: return SpfResult::PermError;
  }
}

// SPF_request_query_mailfrom's steps, without its first one: libspf2
// answers "pass (localhost is always allowed)" for every 127/8 and ::1
// client there. posthorn decides which clients skip the checks by its own
// configuration (its networks, authenticated submission), and evaluates
// every other address as RFC 7208 says, loopback ones included.
SPF_response_t* evaluate(SPF_server_t* server, SPF_request_t* request, SPF_errcode_t* err) {
  SPF_response_t* response = SPF_response_new(request);
  if (response == nullptr) return nullptr;
  request->cur_dom = request->use_helo ? request->helo_dom : request->env_from_dp;
  SPF_record_t* record = nullptr;
  // On failure the response holds the result (none) and why, or no
  // result at all: libspf2 leaves a failed lookup of the record itself
  // "invalid", with SPF_E_DNS_ERROR (see fromLibspf2).
  *err = SPF_server_get_record(server, request, response, &record);
  if (*err == SPF_E_SUCCESS && record != nullptr) {
    response->spf_record_exp = record;
    SPF_record_interpret(record, request, response, 0);
  }
  if (record != nullptr) SPF_record_free(record);
  return response;
}

std::string domainOf(const std::string& address) {
  const auto at = address.rfind('@');
  return at == std::string::npos ? address : address.substr(at + 1);
}

}  // namespace

std::string_view spfResultName(SpfResult r) {
  switch (r) {
    case SpfResult::None: return "none";
    case SpfResult::Neutral: return "neutral";
    case SpfResult::Pass: return "pass";
    case SpfResult::Fail: return "fail";
    case SpfResult::SoftFail: return "softfail";
    case SpfResult::TempError: return "temperror";
    case SpfResult::PermError: return "permerror";
  }
  return "permerror";
}

struct SpfChecker::Impl {
  explicit Impl(dns::Resolver& resolver) : dns(resolver) {}
  SpfDns dns;
  SPF_server_t* server = nullptr;
};

SpfChecker::SpfChecker(dns::Resolver& resolver, std::string receiver)
    : impl_(std::make_unique<Impl>(resolver)) {
  impl_->server = SPF_server_new_dns(impl_->dns.layer(), 0);
  if (impl_->server == nullptr) throw std::runtime_error("libspf2: cannot create an SPF server");
  if (!receiver.empty()) SPF_server_set_rec_dom(impl_->server, receiver.c_str());
}

SpfChecker::~SpfChecker() {
  if (impl_->server != nullptr) SPF_server_free(impl_->server);
}

SpfOutcome SpfChecker::checkMailFrom(const std::string& clientAddress, const std::string& helo,
                                     const std::string& sender) {
  if (sender.empty()) return checkHelo(clientAddress, helo);
  return check(clientAddress, helo, sender, "mailfrom");
}

SpfOutcome SpfChecker::checkHelo(const std::string& clientAddress, const std::string& helo) {
  return check(clientAddress, helo, "postmaster@" + helo, "helo");
}

SpfOutcome SpfChecker::check(const std::string& clientAddress, const std::string& helo,
                             const std::string& sender, const char* identity) {
  SpfOutcome out;
  out.identity = identity;
  out.sender = sender;
  out.domain = domainOf(sender);
  SPF_request_t* request = SPF_request_new(impl_->server);
  if (request == nullptr) throw std::runtime_error("libspf2: out of memory");
  const bool v6 = clientAddress.find(':') != std::string::npos;
  const SPF_errcode_t ipErr = v6 ? SPF_request_set_ipv6_str(request, clientAddress.c_str())
                                 : SPF_request_set_ipv4_str(request, clientAddress.c_str());
  if (ipErr != SPF_E_SUCCESS) {
    SPF_request_free(request);
    out.result = SpfResult::PermError;
    out.comment = "not an IP address: " + clientAddress;
    return out;
  }
  if (!helo.empty()) SPF_request_set_helo_dom(request, helo.c_str());
  SPF_request_set_env_from(request, sender.c_str());
  impl_->dns.startEvaluation(kEvaluationLimit);
  SPF_errcode_t err = SPF_E_SUCCESS;
  SPF_response_t* response = evaluate(impl_->server, request, &err);
  if (response == nullptr) {
    out.result = SpfResult::TempError;
    out.comment = "libspf2 gave no response";
  } else {
    out.result = fromLibspf2(SPF_response_result(response), err);
    const char* comment = SPF_response_get_header_comment(response);
    if (comment != nullptr) out.comment = comment;
    SPF_response_free(response);
  }
  SPF_request_free(request);
  if (impl_->dns.voidLookups() > kVoidLookupLimit && out.result != SpfResult::TempError) {
    out.result = SpfResult::PermError;
    out.comment = "more than " + std::to_string(kVoidLookupLimit) + " void lookups (RFC 7208 4.6.4)";
  }
  return out;
}

}  // namespace posthorn::mailauth
