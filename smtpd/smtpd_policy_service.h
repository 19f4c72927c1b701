// smtpd_policy_service - check_policy_service: Postfix's policy delegation
// protocol (SMTPD_POLICY_README), so that postgrey, postfix-policyd-spf-
// python and other Postfix policy servers work unchanged
//
// A request is "name=value" lines ending in an empty line; the reply is
// "action=<access(5) action>" (other attributes ignored) and an empty
// line. The connection stays open for the next request of the session and
// is opened again when the server closed it. Every step has a deadline
// (smtpd_policy_service_timeout); a server that cannot be reached or
// answers nonsense after smtpd_policy_service_try_limit tries gets
// smtpd_policy_service_default_action (451 4.3.5 by default), never an
// accept.
//
// Endpoints: inet:host:port, unix:/path (a relative path is inside the
// queue directory: smtpd is chrooted there), or host:port.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace posthorn::smtpd {

using PolicyAttributes = std::vector<std::pair<std::string, std::string>>;

// The request's bytes. Values lose CR, LF and NUL (they would end the line).
std::string encodePolicyRequest(const PolicyAttributes& attrs);

// Reads a reply: feed() bytes until it returns true (the empty line seen);
// then action() is the action= value ("" when the server sent none).
class PolicyReplyDecoder {
 public:
  // Throws PolicyError on a line that is not name=value or an oversize reply.
  bool feed(std::string_view bytes);
  const std::string& action() const { return action_; }
  const std::map<std::string, std::string>& attributes() const { return attrs_; }

 private:
  std::string buffer_;
  std::map<std::string, std::string> attrs_;
  std::string action_;
  bool done_ = false;
};

class PolicyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PolicyClient {
 public:
  // Throws PolicyError for an endpoint that is not one.
  PolicyClient(std::string endpoint, std::chrono::milliseconds timeout);
  ~PolicyClient();
  PolicyClient(const PolicyClient&) = delete;
  PolicyClient& operator=(const PolicyClient&) = delete;

  // One request, one action. Throws PolicyError (after closing the connection).
  std::string ask(const PolicyAttributes& attrs);
  const std::string& endpoint() const { return endpoint_; }

 private:
  void connect(std::chrono::steady_clock::time_point deadline);
  void close();

  std::string endpoint_;
  std::chrono::milliseconds timeout_;
  bool unix_ = false;
  std::string host_;  // inet
  std::string port_;
  std::string path_;  // unix
  int fd_ = -1;
};

}  // namespace posthorn::smtpd
