// proto_cleanup - how smtpd and pickup hand a message to cleanup(8)
//
// cleanup is the only writer of new queue files. A client (smtpd, pickup;
// lib/proto/cleanup_client.h does all of this) connects to the cleanup service
// ($queue_directory/public/cleanup) and, per message:
//
//   client                              cleanup
//   CleanupOpen {flags}         --->
//                               <---    CleanupOpened {queueId}
//                                       (or CleanupReply 4xx: no queue file)
//   CleanupEnvelope {...}       --->
//   ContentChunk {data} ...     --->    (ipc_stream.h: at most kContentChunk
//                                        bytes per frame; memory stays bounded)
//   CleanupAmend {...}          --->    (optional, at most once: what the
//                                        client learned at the end of the content)
//   ContentEnd {size}           --->
//                               <---    CleanupReply {code, status, text, queueId}
//
// After the reply the client may open the next message on the same
// connection or close it. Closing at any point before the reply (or any
// malformed frame, which makes cleanup drop the connection) abandons the
// message: no queue file is left behind. A 250 reply means the queue file
// is on disk (fsync, rename into incoming/, fsync of the directory); only
// then may smtpd say 250 to its own client. Any other code is the SMTP
// reply to pass on: 451 4.3.0 (write error: try again), 552 5.3.4
// (message_size_limit), 552 5.6.0 (a header longer than header_size_limit),
// 554 5.4.6 (too many Received: headers: a mail loop), 554 5.5.1 (no
// recipients), 554 5.5.4 (an unusable envelope).
//
// Content: the message as the client has it, header section, empty line,
// body, with CRLF or LF line ends (smtpd has already removed the
// dot-stuffing). cleanup stores every line with a bare LF end (CRLF becomes
// LF; a bare CR inside a line is kept; a last line without an end gets an
// LF), so the queue file's content is LF-terminated lines: local delivery
// writes it as is, the smtp client turns LF into CRLF. BODY=BINARYMIME is
// therefore not supported (smtpd must not offer it).
//
// cleanup adds Message-ID: and Date: when the message has none, a From:
// for local submissions without one, and removes Bcc:, Resent-Bcc:,
// Return-Path: and Content-Length:, and every Authentication-Results:
// that claims to be ours (authserv_id; RFC 8601 section 5), unless the
// message is one posthorn already accepted (kReinjected). See cleanup(8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/ipc/ipc.h"
#include "lib/queue/queue_envelope.h"

namespace posthorn::ipc {

// The version of every message below; bump it on any change to one of them
// (maildrop files hold CleanupOpen and CleanupEnvelope too: see
// lib/queue/maildrop_file.cc).
inline constexpr std::uint32_t kCleanupProtoVersion = 1;

// CleanupOpen::flags
namespace cleanup_flags {
// The message comes from a local user (sendmail/postdrop/pickup): a
// missing From: is added (from the sender and fullName).
inline constexpr std::uint32_t kLocalSubmission = 1u << 0;
// sendmail -t: the recipients in To:, Cc: and Bcc: (or, when the message
// has any Resent- recipient headers, in Resent-To:, Resent-Cc: and
// Resent-Bcc:) are added to the envelope's. Unqualified addresses get
// @$myorigin.
inline constexpr std::uint32_t kExtractRecipients = 1u << 1;
// A message posthorn accepted before, sent on by local delivery (.forward,
// aliases): its Authentication-Results fields are ours and stay.
inline constexpr std::uint32_t kReinjected = 1u << 2;
// Mail our users send (SASL-authenticated, mynetworks, sendmail(1)):
// DKIM-signed when dkim_signing_maps has a key for its From domain.
inline constexpr std::uint32_t kSign = 1u << 3;
// A message local(8) forwards to another domain: it gets an ARC set
// (RFC 8617) with our inbound results, sealed with the rsa-sha256 key
// dkim_signing_maps has for arc_sealing_domain.
inline constexpr std::uint32_t kArcSeal = 1u << 4;
inline constexpr std::uint32_t kAll = kLocalSubmission | kExtractRecipients | kReinjected | kSign | kArcSeal;
}  // namespace cleanup_flags

// Starts a message. cleanup creates the queue file's temporary file and
// answers CleanupOpened with its queue ID (smtpd logs "QUEUEID: client=").
struct CleanupOpen {
  static constexpr MsgType kType = MsgType::CleanupOpen;
  static constexpr std::uint32_t kVersion = kCleanupProtoVersion;
  std::uint32_t flags = 0;  // cleanup_flags; unknown bits are refused
  template <class V>
  void fields(V& v) {
    v("flags", flags);
  }
};

struct CleanupOpened {
  static constexpr MsgType kType = MsgType::CleanupOpened;
  static constexpr std::uint32_t kVersion = kCleanupProtoVersion;
  std::string queueId;
  template <class V>
  void fields(V& v) {
    v("queue_id", queueId);
  }
};

// One RCPT TO (queue::Recipient without the delivery state).
struct CleanupRecipient {
  std::string address;          // as it will be delivered to
  std::string orcpt;            // ORCPT "rfc822;user@example.com", decoded; empty = none
  std::uint8_t notify = 0;      // queue::notify bits; 0 = not given
  std::string originalAddress;  // as the client gave it; empty = same as address
  template <class V>
  void fields(V& v) {
    v("address", address);
    v("orcpt", orcpt);
    v("notify", notify);
    v("original_address", originalAddress);
  }
};

struct CleanupAttribute {
  std::string name;  // non-empty
  std::string value;
  template <class V>
  void fields(V& v) {
    v("name", name);
    v("value", value);
  }
};

// The envelope, field for field what queue::Envelope stores (see
// lib/queue/queue_envelope.h for each field's meaning).
struct CleanupEnvelope {
  static constexpr MsgType kType = MsgType::CleanupEnvelope;
  static constexpr std::uint32_t kVersion = kCleanupProtoVersion;
  std::string sender;             // MAIL FROM; empty = <>
  std::int64_t arrivalMicros = 0;  // microseconds since 1970; 0 = when cleanup gets it
  std::string envid;              // ENVID, decoded
  queue::Ret ret = queue::Ret::Unspecified;
  queue::BodyType body = queue::BodyType::Unspecified;
  bool smtputf8 = false;
  std::string auth;  // AUTH= of MAIL FROM; "<>" if given as <>
  std::string clientAddress;
  std::string clientName;
  std::string helo;
  std::string protocol;  // "ESMTP", "ESMTPS", "LOCAL", ...
  std::string tlsProtocol;
  std::string tlsCipher;
  std::string saslMethod;
  std::string saslUsername;
  std::string fullName;  // sendmail -F: the From: phrase for kLocalSubmission
  std::vector<CleanupAttribute> attributes;
  std::vector<CleanupRecipient> recipients;  // may be empty only with kExtractRecipients
  template <class V>
  void fields(V& v) {
    v("sender", sender);
    v("arrival", arrivalMicros);
    v("envid", envid);
    v("ret", ret);
    v("body", body);
    v("smtputf8", smtputf8);
    v("auth", auth);
    v("client_address", clientAddress);
    v("client_name", clientName);
    v("helo", helo);
    v("protocol", protocol);
    v("tls_protocol", tlsProtocol);
    v("tls_cipher", tlsCipher);
    v("sasl_method", saslMethod);
    v("sasl_username", saslUsername);
    v("full_name", fullName);
    v("attributes", attributes);
    v("recipients", recipients);
  }
};

// What the client learned only at the end of the content (smtpd's sender
// checks): header fields that go on top of the message, and envelope
// attributes. Sent after the last ContentChunk, before ContentEnd.
// prependHeader is whole header fields, each line ended by LF or CRLF,
// continuation lines starting with a space or tab, at most
// kMaxCleanupPrepend bytes; anything else is a protocol error.
inline constexpr std::size_t kMaxCleanupPrepend = 64u << 10;
inline constexpr std::size_t kMaxCleanupAmendAttributes = 64;
struct CleanupAmend {
  static constexpr MsgType kType = MsgType::CleanupAmend;
  static constexpr std::uint32_t kVersion = kCleanupProtoVersion;
  std::string prependHeader;
  std::vector<CleanupAttribute> attributes;
  template <class V>
  void fields(V& v) {
    v("prepend_header", prependHeader);
    v("attributes", attributes);
  }
  bool empty() const { return prependHeader.empty() && attributes.empty(); }
};

// The outcome: an SMTP reply for the client's own client.
struct CleanupReply {
  static constexpr MsgType kType = MsgType::CleanupReply;
  static constexpr std::uint32_t kVersion = kCleanupProtoVersion;
  std::uint32_t code = 0;  // 250, 451, 552, 554, ...
  std::string status;      // enhanced status code, "2.0.0"
  std::string text;        // "Ok: queued as 1BvWq3ZkT0004"
  std::string queueId;     // empty when no queue ID was assigned
  template <class V>
  void fields(V& v) {
    v("code", code);
    v("status", status);
    v("text", text);
    v("queue_id", queueId);
  }
  bool ok() const { return code >= 200 && code < 300; }
  bool temporary() const { return code >= 400 && code < 500; }
  // "250 2.0.0 Ok: queued as 1BvWq3ZkT0004"
  std::string line() const { return std::to_string(code) + " " + status + " " + text; }
};

}  // namespace posthorn::ipc
