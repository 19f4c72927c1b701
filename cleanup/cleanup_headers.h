// cleanup_headers - cleanup's pass over a message as it streams in
//
//   HeaderFilter f(policy, [&](std::string_view out) { writer.appendContent(out); });
//   f.feed(chunk); ...; f.finish();
//   if (f.rejected()) reply(f.rejectReason()...);
//
// Line ends: CRLF becomes LF, a bare LF stays, a bare CR inside a line is
// kept, and a last line without an end gets an LF (see proto_cleanup.h).
//
// The header section is every line from the start up to the first empty
// line; a header field starts with a name of printable ASCII other than
// ':' followed by ':' (obsolete "Name :" too), and continues on lines that
// start with a space or tab. The first line that is neither ends the header
// section without the empty line RFC 5322 requires: the filter inserts one,
// so that the line is body, not a broken header. At the end of the header
// section the filter appends, when the message has none, Message-ID:,
// Date: and (for local submissions) From:, as Postfix does. It drops Bcc:,
// Resent-Bcc:, Return-Path: and Content-Length: (folded lines included),
// and every Authentication-Results: whose authserv-id is ours (a sender
// must not be able to forge our verdict; RFC 8601 section 5): such a field
// is held (up to headerSizeLimit) until its end, then dropped or written.
// Header names are matched case-insensitively; header values may hold any
// byte (8-bit, UTF-8) and pass through unchanged.
//
// Memory stays bounded whatever the input: the filter holds only the start
// of the current line (to classify it) and, for the few headers it reads
// (Message-ID, and recipient headers when extracting), their text up to
// headerSizeLimit. A header field longer than headerSizeLimit, or more
// Received: headers than hopcountLimit, rejects the message; after that
// the filter ignores its input and writes nothing more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::cleanup {

// The fields whose addresses canonical mapping and masquerading rewrite:
// sender fields (From, Sender, Reply-To, Errors-To, Return-Receipt-To and
// their Resent- forms) and recipient fields (To, Cc, Bcc, Apparently-To,
// Resent-To, Resent-Cc, Resent-Bcc). name in lower case.
bool isSenderAddressHeader(std::string_view name);
bool isAddressHeader(std::string_view name);

// A character of a header field's name (RFC 5322: printable ASCII but ':').
inline bool isFieldNameChar(unsigned char c) { return c >= 33 && c <= 126 && c != ':'; }

struct HeaderPolicy {
  std::size_t headerSizeLimit{};  // header_size_limit: one header field, all its lines
  int hopcountLimit{};            // hopcount_limit: Received: headers
  std::string messageId;  // Message-ID value to add when missing; "" = never add
  std::string date;       // Date value to add when missing; "" = never add
  std::string from;       // From value to add when missing; "" = never add
  bool extractRecipients = false;  // collect To/Cc/Bcc (or Resent-*) addresses
  std::string authservId;  // drop Authentication-Results: claiming it; "" = keep all
  // Address rewriting of header fields (cleanup_rewrite.h): called for each
  // field rewriteField names are given to (From:, To:, Cc: ...) with the
  // lower-case name and the whole field as received, folded lines and line
  // end included; returns the field to write instead, or nullopt to keep
  // it. Empty: no header is rewritten.
  std::function<std::optional<std::string>(std::string_view name, std::string_view field)>
      rewriteField;
};

enum class HeaderVerdict { Ok, HeaderTooLong, TooManyHops };

class HeaderFilter {
 public:
  using Sink = std::function<void(std::string_view)>;

  HeaderFilter(HeaderPolicy policy, Sink sink);

  // Any amount, split anywhere (even between CR and LF).
  void feed(std::string_view data);
  // The end of the content. Call once.
  void finish();

  HeaderVerdict verdict() const { return verdict_; }
  bool rejected() const { return verdict_ != HeaderVerdict::Ok; }
  // What was wrong, for the log: "header Received: count 51 exceeds hopcount_limit 50".
  const std::string& rejectDetail() const { return rejectDetail_; }

  // The message's Message-ID (unfolded, trimmed), or the one added; "" if none.
  const std::string& messageId() const { return messageId_; }
  bool addedMessageId() const { return addedMessageId_; }
  bool addedDate() const { return addedDate_; }
  bool addedFrom() const { return addedFrom_; }
  int receivedCount() const { return received_; }
  // Authentication-Results: fields dropped because they claimed our authserv-id.
  int removedAuthResults() const { return removedAuthResults_; }
  // Whether the header section ended at a non-header line (an empty line
  // was inserted before it).
  bool insertedSeparator() const { return insertedSeparator_; }
  // After finish(), with extractRecipients: the addresses in Resent-To,
  // Resent-Cc and Resent-Bcc when any of those exist, else in To, Cc and
  // Bcc, in order, as written (unqualified ones included).
  std::vector<std::string> extractedRecipients() const;

  // Bytes handed to the sink.
  std::uint64_t outputSize() const { return outputSize_; }

 private:
  enum class Phase { Headers, Body, Stopped };
  enum class LineState { Start, InHeaderLine };
  enum class LineKind { NeedMore, Blank, Header, Continuation, Body };

  void process(std::string_view data);
  std::size_t processHeaderBytes(std::string_view data);
  LineKind classify(std::size_t* nameLength) const;
  void startHeader(std::string_view name);
  void headerBytes(std::string_view bytes);
  void finishHeader();
  void endHeaders(bool separator);
  void reject(HeaderVerdict verdict, std::string detail);
  void emit(std::string_view bytes);

  HeaderPolicy policy_;
  Sink sink_;
  Phase phase_ = Phase::Headers;
  LineState lineState_ = LineState::Start;
  bool pendingCr_ = false;
  bool finished_ = false;
  std::string lineStart_;  // the start of a header-section line being classified
  std::string normalized_;  // scratch for feed()

  // The current header field.
  bool inHeader_ = false;
  bool dropHeader_ = false;
  bool captureHeader_ = false;
  bool holdHeader_ = false;  // an Authentication-Results: waiting for its verdict
  bool rewriteHeader_ = false;  // an address field held for policy_.rewriteField
  std::string held_;
  std::size_t headerSize_ = 0;
  std::string headerName_;  // lower case
  std::string captured_;

  bool sawMessageId_ = false, sawDate_ = false, sawFrom_ = false;
  bool addedMessageId_ = false, addedDate_ = false, addedFrom_ = false;
  bool insertedSeparator_ = false;
  int received_ = 0;
  int removedAuthResults_ = 0;
  std::string messageId_;
  std::vector<std::string> recipientValues_, resentValues_;

  HeaderVerdict verdict_ = HeaderVerdict::Ok;
  std::string rejectDetail_;
  std::uint64_t outputSize_ = 0;
  char lastByte_ = '\n';
};

}  // namespace posthorn::cleanup
