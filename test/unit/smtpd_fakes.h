// smtpd_fakes - stand-ins for what an SMTP session talks to, for unit tests
//
// FakeIo records what the session sends; FakeSinkFactory plays cleanup (it
// keeps committed messages and counts aborted ones); FakeLookups plays the
// resolver, authd's userdb and mapd, and can be told to fail.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "smtpd/smtpd_services.h"

namespace posthorn::smtpd::testing {

class FakeIo : public SessionIo {
 public:
  void send(std::string_view bytes) override { out += bytes; }
  void startTls() override { ++tlsStarts; }
  void close() override { ++closes; }
  // What was sent since the last take().
  std::string take() {
    std::string r = std::move(out);
    out.clear();
    return r;
  }
  std::string out;
  int tlsStarts = 0;
  int closes = 0;
};

struct StoredMessage {
  queue::Envelope envelope;
  std::string queueId;
  std::string content;
};

class FakeSinkFactory;

class FakeSink : public MessageSink {
 public:
  FakeSink(FakeSinkFactory& factory, queue::Envelope envelope, std::string id)
      : factory_(factory), envelope_(std::move(envelope)), id_(std::move(id)) {}
  ~FakeSink() override;
  const std::string& queueId() const override { return id_; }
  void write(std::string_view content) override;
  Reply finish(const ipc::CleanupAmend& amend) override;
  void abort() noexcept override;

 private:
  FakeSinkFactory& factory_;
  queue::Envelope envelope_;
  std::string id_;
  std::string content_;
  bool finished_ = false;
  bool aborted_ = false;
};

class FakeSinkFactory : public MessageSinkFactory {
 public:
  std::unique_ptr<MessageSink> open(const queue::Envelope& envelope, bool sign) override {
    signs.push_back(sign);
    if (failOpen) throw SinkError("cleanup unreachable", Reply(451, "4.3.0", "Error: queue file write error"));
    ++opened;
    return std::make_unique<FakeSink>(*this, envelope, "QID" + std::to_string(opened));
  }
  std::vector<StoredMessage> committed;
  std::vector<bool> signs;  // open()'s `sign`, per message
  int opened = 0;
  int aborted = 0;
  int writes = 0;
  std::size_t largestWrite = 0;
  bool failOpen = false;
  bool failWrite = false;
  std::optional<Reply> finishReply;  // instead of 250
  // Messages whose sink was neither finished nor aborted when destroyed.
  int leaked = 0;
};

inline FakeSink::~FakeSink() {
  if (!finished_ && !aborted_) ++factory_.leaked;
}

inline void FakeSink::write(std::string_view content) {
  if (aborted_ || finished_) throw std::logic_error("write after end");
  if (factory_.failWrite) throw SinkError("cleanup went away", Reply(451, "4.3.0", "Error: queue file write error"));
  ++factory_.writes;
  factory_.largestWrite = std::max(factory_.largestWrite, content.size());
  content_.append(content);
}

inline Reply FakeSink::finish(const ipc::CleanupAmend& amend) {
  if (aborted_ || finished_) throw std::logic_error("finish after end");
  finished_ = true;
  envelope_.prependedHeader = amend.prependHeader;
  for (const auto& a : amend.attributes) envelope_.attributes.emplace_back(a.name, a.value);
  if (factory_.finishReply) return *factory_.finishReply;
  factory_.committed.push_back(StoredMessage{envelope_, id_, content_});
  return Reply(250, "2.0.0", "Ok: queued as " + id_);
}

inline void FakeSink::abort() noexcept {
  if (aborted_ || finished_) return;
  aborted_ = true;
  ++factory_.aborted;
}

class FakeLookups : public Lookups {
 public:
  address::Resolution resolve(const address::Address& recipient) override {
    ++resolves;
    address::Resolution r;
    if (resolverDown) {
      r.addressClass = address::AddressClass::TempFail;
      r.reason = "table unavailable";
      return r;
    }
    auto it = domains.find(recipient.domain);
    r.addressClass = it == domains.end() ? address::AddressClass::Remote : it->second;
    return r;
  }
  bool userExists(std::string_view address) override {
    if (userdbDown) throw LookupError("authd unreachable");
    return users.count(address::foldCase(address)) > 0;
  }
  std::optional<std::string> tableLookup(std::string_view table, std::string_view key) override {
    if (mapdDown) throw LookupError("mapd unreachable");
    auto t = tables.find(std::string(table));
    if (t == tables.end()) return std::nullopt;
    auto k = t->second.find(std::string(key));
    if (k == t->second.end()) return std::nullopt;
    return k->second;
  }

  std::map<std::string, address::AddressClass> domains;
  std::set<std::string> users;  // lower case addresses
  std::map<std::string, std::map<std::string, std::string>> tables;
  bool resolverDown = false;
  bool userdbDown = false;
  bool mapdDown = false;
  int resolves = 0;
};

}  // namespace posthorn::smtpd::testing
