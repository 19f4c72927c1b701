// proto_passdb - the authd passdb protocol: a SASL conversation for a password check
//
// A client (smtpd submission; later the popd and imapd login stages)
// connects to authd's private socket ($queue_directory/private/authd-passdb,
// /private/authd-passdb inside the chroot) and holds one conversation at a
// time on it:
//
//   client: PassdbAuth {mechanism, initial response, service, client, TLS}
//   authd:  PassdbReply Continue {challenge}      (zero or more times,
//   client: PassdbContinue {response}              one response each)
//   authd:  PassdbReply Ok {user} | Fail | Locked | TempFail
//
// The SASL mechanism runs in authd (PLAIN, LOGIN, SCRAM-SHA-256: see
// kPassdbMechanisms), so that no secret and no verifier ever leaves it; the
// client only moves the (base64-decoded) bytes. A new PassdbAuth abandons a
// conversation in progress (the client's "*" cancel). authd may hold a reply
// back for a while (failure throttling): clients wait for it with a timeout
// longer than auth_failure_delay_limit. See authd(8).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/ipc/ipc.h"

namespace posthorn::ipc {

// Bump on any change to the messages below.
inline constexpr std::uint32_t kPassdbProtoVersion = 1;

// The mechanisms authd speaks, in the order a server offers them.
inline constexpr std::array<std::string_view, 3> kPassdbMechanisms = {"SCRAM-SHA-256", "PLAIN",
                                                                     "LOGIN"};

enum class PassdbStatus : std::uint32_t {
  Ok = 0,        // authenticated: user is the account
  Continue = 1,  // send challenge, answer with PassdbContinue
  Fail = 2,      // wrong credentials, unknown user, bad mechanism data
  Locked = 3,    // too many failures from this client or for this account: try later
  TempFail = 4,  // authd could not check (passwd file unreadable, PAM error)
};

std::string_view passdbStatusName(PassdbStatus status);
bool ipcEnumValid(PassdbStatus status);

struct PassdbAuth {
  static constexpr MsgType kType = MsgType::PassdbAuth;
  static constexpr std::uint32_t kVersion = kPassdbProtoVersion;
  std::string service;        // "smtpd", "imapd", ...: for the log and PAM
  std::string clientAddress;  // "192.0.2.7": throttling and the log
  bool tls = false;           // the client's connection is encrypted
  std::string mechanism;      // "PLAIN", upper case
  bool hasInitialResponse = false;
  std::string initialResponse;  // decoded bytes; may be empty
  template <class V>
  void fields(V& v) {
    v("service", service);
    v("client_address", clientAddress);
    v("tls", tls);
    v("mechanism", mechanism);
    v("has_initial_response", hasInitialResponse);
    v("initial_response", initialResponse);
  }
};

struct PassdbContinue {
  static constexpr MsgType kType = MsgType::PassdbContinue;
  static constexpr std::uint32_t kVersion = kPassdbProtoVersion;
  std::string response;  // decoded bytes
  template <class V>
  void fields(V& v) {
    v("response", response);
  }
};

struct PassdbReply {
  static constexpr MsgType kType = MsgType::PassdbReply;
  static constexpr std::uint32_t kVersion = kPassdbProtoVersion;
  PassdbStatus status = PassdbStatus::TempFail;
  std::string challenge;  // Continue: raw bytes to send (base64-encoded by the client)
  std::string user;       // Ok: the authenticated account, as the database names it
  std::string reason;     // Fail/Locked/TempFail: for the client's log only
  template <class V>
  void fields(V& v) {
    v("status", status);
    v("challenge", challenge);
    v("user", user);
    v("reason", reason);
  }
};

inline std::string_view passdbStatusName(PassdbStatus status) {
  switch (status) {
    case PassdbStatus::Ok: return "ok";
    case PassdbStatus::Continue: return "continue";
    case PassdbStatus::Fail: return "fail";
    case PassdbStatus::Locked: return "locked";
    case PassdbStatus::TempFail: return "tempfail";
  }
  return "unknown";
}

inline bool ipcEnumValid(PassdbStatus status) {
  switch (status) {
    case PassdbStatus::Ok:
    case PassdbStatus::Continue:
    case PassdbStatus::Fail:
    case PassdbStatus::Locked:
    case PassdbStatus::TempFail:
      return true;
  }
  return false;
}

}  // namespace posthorn::ipc
