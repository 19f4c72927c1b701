// smtpd_connection - one client socket under libevent, feeding a Session
//
// The connection owns the socket (a bufferevent; a bufferevent_openssl
// filter on top of it after STARTTLS, or from the start with
// smtpd_tls_wrappermode) and the Session. Input goes to the session as it
// arrives; the session's replies are written when it returns to the loop,
// that is once the buffered input is used up (PIPELINING). smtpd_timeout
// bounds every read and every write. A client that sends without reading
// its replies is not read from while more than kMaxOutput bytes of replies
// wait. When the session asks to close, the replies are flushed first.
// The connection deletes itself and calls server::Connection::done() when
// the client is gone. With smtpd_peername_lookup, the client's
// forward-confirmed reverse name is looked up first, through the loop
// (lib/dns/peer_name.h); the greeting waits for it, and nothing is read
// from the client meanwhile. With postscreen_greet_wait the session sends
// the greeting's first line and the connection a timer later tells it to
// send the rest; what the client sends meanwhile is read (and judged).
#pragma once

#include <memory>
#include <string>

#include "lib/dns/dns_async.h"
#include "lib/mailauth/sender_checks.h"
#include "lib/server/server.h"
#include "lib/tls/tls.h"
#include "smtpd/smtpd_session.h"

struct bufferevent;
struct event_base;
struct evbuffer;
struct evbuffer_cb_info;
struct event;

namespace posthorn::smtpd {

// What every connection of a process shares.
struct ConnectionContext {
  const Settings& settings;
  Policy& policy;
  MessageSinkFactory& sinks;
  std::shared_ptr<tls::Context> tls;  // null: no STARTTLS
  Authenticator* auth = nullptr;      // null: no AUTH
  dns::EventResolver* dns = nullptr;  // null: no client name lookups
  mailauth::SenderChecks* senderChecks = nullptr;  // null: smtpd_mailauth_checks off
  mailauth::DmarcHistory* dmarcHistory = nullptr;  // null: smtpd_dmarc_history off
  ClientLimits* limits = nullptr;                  // null: no per-client limits
};

// The client's address from server::Connection::peer ("192.0.2.7:4321",
// "[2001:db8::7]:4321"); "" when there is none ("local").
std::string peerAddress(const std::string& peer);
// Its port ("4321"), or "" when there is none.
std::string peerPort(const std::string& peer);

class SmtpConnection : public SessionIo {
 public:
  static constexpr std::size_t kMaxOutput = 256 * 1024;

  // Takes over conn (its fd and done()); never throws.
  static void serve(event_base* base, server::Connection conn, ConnectionContext& context);

  void send(std::string_view bytes) override;
  void startTls() override;
  void close() override;

 private:
  // Once the client's name is known (or not looked up): the socket, the
  // session, the greeting.
  static void begin(event_base* base, server::Connection conn, ConnectionContext& context, Peer peer);
  SmtpConnection(event_base* base, server::Connection conn, ConnectionContext& context, Peer peer);
  ~SmtpConnection() override;

  void setup(bufferevent* bev);
  void onRead();
  void onWrite();
  void onEvent(short what);
  void beginTls();
  void finish();
  void finishWhenFlushed();
  // Runs `action` from the event loop, soon (never from inside a caller
  // that may still use this object).
  enum Deferred : unsigned { kStartTls = 1, kFinish = 2 };
  void defer(Deferred action);
  void runDeferred();
  static void readCb(bufferevent* bev, void* self);
  static void writeCb(bufferevent* bev, void* self);
  static void eventCb(bufferevent* bev, short what, void* self);
  static void deferredCb(int fd, short what, void* self);
  static void greetWaitCb(int fd, short what, void* self);
  static void underlyingDrainedCb(evbuffer* buffer, const evbuffer_cb_info* info, void* self);

  event_base* base_;
  server::Connection conn_;
  ConnectionContext& context_;
  bufferevent* bev_ = nullptr;
  std::unique_ptr<Session> session_;
  bool closing_ = false;
  bool handshaking_ = false;
  bool throttled_ = false;
  bool finished_ = false;
  bool watchingUnderlying_ = false;  // waiting for the socket under TLS to drain
  unsigned deferred_ = 0;     // Deferred bits requested
  bool deferredArmed_ = false;  // a callback is scheduled: this must live until it runs
  event* greetTimer_ = nullptr;  // postscreen_greet_wait: the rest of the greeting
};

}  // namespace posthorn::smtpd
