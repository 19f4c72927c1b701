// smtpd_session - one SMTP conversation (RFC 5321 ESMTP), as a state machine
//
// The session is driven by its connection (smtpd_connection.h), or by a
// unit test, through five calls: start() once, receive() with whatever
// bytes arrived, timedOut() when the client kept silent for smtpd_timeout,
// tlsEstablished()/tlsFailed() after a STARTTLS handshake, and closed()
// exactly once when the connection is gone. It answers through SessionIo:
// each receive() processes every complete command in its buffer before it
// returns, and the connection sends the replies when the input is used up,
// which is what PIPELINING (RFC 2920) asks for.
//
// One file per concern: smtpd_session.cc (input, replies, lifecycle),
// smtpd_cmd_hello.cc (HELO, EHLO, STARTTLS), smtpd_cmd_envelope.cc (MAIL,
// RCPT), smtpd_cmd_content.cc (DATA, BDAT and their content),
// smtpd_cmd_misc.cc (RSET, NOOP, QUIT, VRFY, HELP), smtpd_cmd_auth.cc
// (AUTH, RFC 4954, through an Authenticator), smtpd_commands.cc (the
// command table).
//
// SASL: with smtpd_sasl_auth_enable and an Authenticator, EHLO offers AUTH
// (only inside TLS unless smtpd_tls_auth_only = no). An authenticated
// client may relay, its messages record the method and user (queue file,
// Received: "with ESMTPSA"), AUTH= on MAIL is kept, and with
// smtpd_reject_sender_login_mismatch its MAIL FROM must be an address the
// login owns (smtpd_sender_login_maps, else the login itself).
//
// Access restrictions (smtpd_restrictions.h) run at connect, HELO, MAIL,
// RCPT, DATA and the end of the content as smtpd_delay_reject says; their
// PREPEND, DISCARD and REDIRECT actions are carried out here
// (smtpd_checks.cc).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/mailauth/dmarc_history.h"
#include "lib/mailauth/sender_checks.h"
#include "lib/queue/queue_envelope.h"
#include "smtpd/data_reader.h"
#include "smtpd/esmtp_params.h"
#include "smtpd/smtp_reply.h"
#include "smtpd/smtpd_limits.h"
#include "smtpd/smtpd_policy.h"
#include "smtpd/smtpd_services.h"
#include "smtpd/smtpd_settings.h"
#include "smtpd/smtpd_stats.h"

namespace posthorn::smtpd {

// The client, as the log and the Received: header name it.
struct Peer {
  std::string address;           // "192.0.2.7", "2001:db8::7"
  std::string name = "unknown";  // a verified reverse name, or "unknown"
  std::string reverseName;       // the PTR name, verified or not; "" none (Postfix's reverse_client_name)
  std::string iprev;             // RFC 8601 iprev: pass, fail, permerror, temperror; "" not looked up
  std::string port;              // the client's port, "" unknown (the PREGREET log line)
  // "name[address]", Postfix's way of naming a client in the log.
  std::string describe() const { return name + "[" + address + "]"; }
};

// What the TLS layer reports after a handshake.
struct TlsState {
  std::string protocol;     // "TLSv1.3"
  std::string cipher;       // "TLS_AES_256_GCM_SHA384"
  std::string description;  // "TLSv1.3 with cipher ... (256/256 bits)"
};

class Session;

// One entry of the command table (smtpd_commands.cc).
struct CommandSpec {
  std::string_view verb;   // upper case
  std::string_view stat;   // counter name in the disconnect line
  void (Session::*handler)(std::string_view args);
  unsigned flags;
};
// Allowed before STARTTLS when smtpd_tls_security_level = encrypt.
inline constexpr unsigned kBeforeTls = 1;
const CommandSpec* findCommand(std::string_view verb);

class Session {
 public:
  // The longest command line kept while waiting for its end; a longer one
  // is discarded up to its LF and answered with 500 5.5.2.
  // (An AUTH line may be 12288 octets long, RFC 4954 4.)
  static constexpr std::size_t kMaxLineBuffer = 12288 + 2;
  // Content is handed to the sink in pieces of about this size.
  static constexpr std::size_t kFlushSize = 64 * 1024;

  // auth may be null: no AUTH, whatever smtpd_sasl_auth_enable says.
  Session(const Settings& settings, Policy& policy, MessageSinkFactory& sinks, SessionIo& io,
          Peer peer, bool tlsAvailable, Authenticator* auth = nullptr);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Logs "connect from" and sends the greeting; with waitForTls (implicit
  // TLS, smtpd_tls_wrappermode) the greeting waits for tlsEstablished().
  void start(bool waitForTls = false);
  // smtpd_mailauth_checks: each message's sender is checked (SPF, DKIM,
  // DMARC) at the end of its content (smtpd_mailauth.cc); null: not.
  void setSenderChecks(mailauth::SenderChecks* checks) { senderChecks_ = checks; }
  // smtpd_dmarc_history: where each DMARC evaluation is kept; null: nowhere.
  void setDmarcHistory(mailauth::DmarcHistory* history) { dmarcHistory_ = history; }
  // The per-client limits (smtpd_limits.h); null: none. Before start().
  void setLimits(ClientLimits* limits) { limits_ = limits; }
  // The pre-greeting test (postscreen_greet_wait): after start(), true
  // when only the first line of the greeting ("220-") was sent; the
  // connection then calls greetWaitOver() once the wait has passed.
  bool awaitingGreetWait() const { return mode_ == Mode::Pregreet; }
  void greetWaitOver();
  void receive(std::string_view bytes);
  void timedOut();
  void tlsEstablished(const TlsState& state);
  void tlsFailed(const std::string& why);
  void closed();

  // For the connection and for tests.
  bool closing() const { return closing_; }
  bool inTls() const { return tls_.has_value(); }
  bool inTransaction() const { return tx_.active; }
  int errorCount() const { return errors_; }
  const std::string& helo() const { return helo_; }
  const Peer& peer() const { return peer_; }
  const std::string& saslUser() const { return saslUser_; }

  // Command handlers (the table in smtpd_commands.cc points at them).
  void cmdHelo(std::string_view args);
  void cmdEhlo(std::string_view args);
  void cmdStarttls(std::string_view args);
  void cmdMail(std::string_view args);
  void cmdRcpt(std::string_view args);
  void cmdData(std::string_view args);
  void cmdBdat(std::string_view args);
  void cmdRset(std::string_view args);
  void cmdNoop(std::string_view args);
  void cmdQuit(std::string_view args);
  void cmdVrfy(std::string_view args);
  void cmdHelp(std::string_view args);
  void cmdAuth(std::string_view args);

 private:
  enum class Mode { Command, Data, Bdat, Handshake, Auth, Pregreet, Closed };

  // One mail transaction: from MAIL to the end of the content or RSET.
  struct Transaction {
    bool active = false;
    std::string sender;
    MailParams params;
    std::vector<queue::Recipient> recipients;
    std::unique_ptr<MessageSink> sink;
    std::string queueId;
    bool bdat = false;                 // content came with BDAT
    std::uint64_t size = 0;            // content bytes so far
    std::optional<Reply> failure;      // the content is refused with this
    std::unique_ptr<mailauth::SenderChecks::MessageCheck> check;  // sender checks, as content goes by
    std::size_t ownHeaderBytes = 0;    // our Received: at the start of the content, not checked
    address::Address senderAddress;    // as the restrictions see it
    std::string instance;              // the policy services' name for this transaction
    std::vector<std::string> prepend;  // header fields from PREPEND actions
    bool discard = false;              // DISCARD: accepted, then dropped
    std::string redirect;              // REDIRECT: the only recipient
  };

  // input
  void process();
  bool commandStep();
  void dataStep();
  void bdatStep();
  void handleLine(std::string_view line, bool crlf);
  bool nonSmtpCommand(std::string_view line, std::string_view verb) const;

  // replies
  void reply(const Reply& r);
  void intermediate(const Reply& r);
  void greet();
  void pregreet(std::string_view bytes);
  void tooManyErrors();
  void closeSession();

  // transactions
  void resetTransaction();
  bool openSink();
  void failContent(const Reply& r);
  void flushPending(bool force);
  void finishContent();
  void endBdatChunk();
  // Sender authentication (smtpd_mailauth.cc).
  void startSenderChecks();
  // The verdict at the end of the content: a refusal, or what goes into
  // the queue file with the message (Authentication-Results, junk).
  std::optional<Reply> judgeSender(ipc::CleanupAmend& amend);
  bool heloRefused(std::string_view name);
  std::optional<Reply> endOfDataRefusal(ipc::CleanupAmend& amend);
  void logReject(std::string_view stage, const Reply& r, std::string_view recipient) const;
  // "NOQUEUE: warn: RCPT from host[addr]: text; from=<> to=<> proto=ESMTP helo=<>"
  void logAction(std::string_view action, std::string_view stage, std::string_view text,
                 std::string_view recipient) const;
  // Access restrictions (smtpd_checks.cc): the request for a stage, the
  // verdict (logged), and what an accepted verdict asks for.
  CheckRequest checkRequest(CheckStage stage) const;
  CheckVerdict runChecks(const CheckRequest& request, std::string_view logRecipient);
  void applyVerdict(CheckVerdict& verdict);
  void amendWithActions(ipc::CleanupAmend& amend) const;
  std::string protocol() const;
  std::optional<Reply> contentStateError() const;
  Offered offered() const;
  bool trusted();
  bool authOffered() const;
  void authLine(std::string_view line);
  void authStep(const ipc::PassdbReply& reply);
  void authUnavailable(const std::string& why);
  std::optional<Reply> checkSenderLogin(const address::Address& sender);

  const Settings& settings_;
  Policy& policy_;
  MessageSinkFactory& sinks_;
  SessionIo& io_;
  Peer peer_;
  bool tlsAvailable_;
  Authenticator* auth_;
  mailauth::SenderChecks* senderChecks_ = nullptr;
  mailauth::DmarcHistory* dmarcHistory_ = nullptr;
  ClientLimits* limits_ = nullptr;
  std::chrono::steady_clock::time_point greetStart_;  // the "220-" line went out
  bool pregreeted_ = false;  // the client talked before the greeting's last line

  Mode mode_ = Mode::Command;
  std::string in_;
  std::size_t inPos_ = 0;
  bool discardingLine_ = false;  // inside an overlong command line
  bool greeted_ = false;
  bool closing_ = false;
  bool closedCalled_ = false;

  std::string helo_;
  bool esmtp_ = false;
  std::optional<TlsState> tls_;
  std::string saslMethod_;       // authenticated: "PLAIN", ...
  std::string saslUser_;         // authenticated: the account
  std::string authMechanism_;    // the AUTH in progress (Mode::Auth)
  std::optional<bool> trusted_;   // in mynetworks, looked up once
  std::optional<Reply> clientRefusal_;  // smtpd_client_restrictions at connect (smtpd_delay_reject = no)
  std::vector<std::string> sessionPrepend_;  // PREPEND actions of the connect and HELO checks
  unsigned transactions_ = 0;
  std::optional<bool> bareLfExcluded_;
  int errors_ = 0;
  std::string lastCommand_ = "CONNECT";
  std::string_view pendingStat_;  // the command whose reply is awaited
  CommandStats stats_;

  Transaction tx_;
  std::unique_ptr<DataReader> dataReader_;
  std::string pending_;  // content not yet handed to the sink
  std::uint64_t bdatRemaining_ = 0;
  std::uint64_t bdatChunkSize_ = 0;
  bool bdatLast_ = false;
  std::optional<Reply> bdatStateError_;  // the chunk is consumed, then this
};

}  // namespace posthorn::smtpd
