// smtpd_cleanup_sink - handing messages to cleanup(8)
#include "smtpd/smtpd_cleanup_sink.h"

namespace posthorn::smtpd {

namespace {

Reply toReply(const ipc::CleanupReply& r) {
  return Reply(static_cast<int>(r.code), r.status, r.text);
}

class CleanupSink : public MessageSink {
 public:
  explicit CleanupSink(cleanup::CleanupClient& client)
      : client_(client), queueId_(client.queueId()) {}
  ~CleanupSink() override { abort(); }

  const std::string& queueId() const override { return queueId_; }

  void write(std::string_view content) override {
    if (!client_.write(content))
      throw SinkError(client_.error(), toReply(cleanup::CleanupClient::unavailableReply(queueId_)));
  }

  Reply finish(const ipc::CleanupAmend& amend) override {
    done_ = true;
    const ipc::CleanupReply r = client_.finish(amend);
    if (r.code == 451 && !client_.error().empty())
      throw SinkError(client_.error(), toReply(r));
    return toReply(r);
  }

  void abort() noexcept override {
    if (done_) return;
    done_ = true;
    client_.abandon();
  }

 private:
  cleanup::CleanupClient& client_;
  std::string queueId_;
  bool done_ = false;
};

}  // namespace

ipc::CleanupEnvelope toCleanupEnvelope(const queue::Envelope& e) {
  ipc::CleanupEnvelope c;
  c.sender = e.sender;
  c.arrivalMicros = e.arrival.time_since_epoch().count();
  c.envid = e.envid;
  c.ret = e.ret;
  c.body = e.body;
  c.smtputf8 = e.smtputf8;
  c.auth = e.auth;
  c.clientAddress = e.client.address;
  c.clientName = e.client.name;
  c.helo = e.client.helo;
  c.protocol = e.client.protocol;
  c.tlsProtocol = e.client.tlsProtocol;
  c.tlsCipher = e.client.tlsCipher;
  c.saslMethod = e.client.saslMethod;
  c.saslUsername = e.client.saslUsername;
  for (const auto& [name, value] : e.attributes) c.attributes.push_back({name, value});
  for (const auto& r : e.recipients) {
    ipc::CleanupRecipient cr;
    cr.address = r.address;
    cr.orcpt = r.orcpt;
    cr.notify = r.notify;
    cr.originalAddress = r.originalAddress == r.address ? std::string() : r.originalAddress;
    c.recipients.push_back(std::move(cr));
  }
  return c;
}

CleanupSinkFactory::CleanupSinkFactory(std::string socketPath) : client_(std::move(socketPath)) {}

std::unique_ptr<MessageSink> CleanupSinkFactory::open(const queue::Envelope& envelope, bool sign) {
  if (!client_.begin(toCleanupEnvelope(envelope), sign ? ipc::cleanup_flags::kSign : 0)) {
    const std::string why = client_.error();
    const ipc::CleanupReply r = client_.finish();  // the refusal, or 451; resets the client
    throw SinkError(why.empty() ? r.line() : why, toReply(r));
  }
  return std::make_unique<CleanupSink>(client_);
}

}  // namespace posthorn::smtpd
