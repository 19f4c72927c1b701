// cleanup_headers - line ends, the header section, added and dropped headers
#include "cleanup/cleanup_headers.h"

#include <cstring>


#include "lib/address/address_list.h"
#include "lib/mailauth/auth_results.h"
#include "lib/util/ascii.h"

namespace posthorn::cleanup {
namespace {

// A line that has not shown "name:" within this many bytes is not a
// header (RFC 5322 lines are at most 998 bytes).
constexpr std::size_t kMaxClassify = 1000;
// The longest Message-ID kept for the log.
constexpr std::size_t kMaxMessageIdLog = 998;

bool isRecipientHeader(std::string_view name) {
  return name == "to" || name == "cc" || name == "bcc";
}

bool isResentRecipientHeader(std::string_view name) {
  return name == "resent-to" || name == "resent-cc" || name == "resent-bcc";
}

}  // namespace

bool isSenderAddressHeader(std::string_view name) {
  return name == "from" || name == "sender" || name == "reply-to" || name == "errors-to" ||
         name == "return-receipt-to" || name == "resent-from" || name == "resent-sender" ||
         name == "resent-reply-to";
}

bool isAddressHeader(std::string_view name) {
  return isSenderAddressHeader(name) || isRecipientHeader(name) || isResentRecipientHeader(name) ||
         name == "apparently-to";
}

namespace {

bool isDroppedHeader(std::string_view name) {
  return name == "bcc" || name == "resent-bcc" || name == "return-path" ||
         name == "content-length";
}

// The value of a captured header field: after the first ':', line ends
// and the folding removed, trimmed.
std::string unfoldedValue(std::string_view field) {
  const auto colon = field.find(':');
  std::string out;
  if (colon == std::string_view::npos) return out;
  for (char c : field.substr(colon + 1)) {
    if (c == '\n' || c == '\r') continue;
    out += c == '\t' ? ' ' : c;
  }
  const auto first = out.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  return out.substr(first, out.find_last_not_of(' ') - first + 1);
}

}  // namespace

HeaderFilter::HeaderFilter(HeaderPolicy policy, Sink sink)
    : policy_(std::move(policy)), sink_(std::move(sink)) {}

void HeaderFilter::feed(std::string_view data) {
  if (phase_ == Phase::Stopped || data.empty()) return;
  // CRLF -> LF. A CR at the very end waits for the next byte.
  normalized_.clear();
  if (pendingCr_) {
    pendingCr_ = false;
    if (data.front() != '\n') normalized_ += '\r';
  }
  std::size_t pos = 0;
  while (pos < data.size()) {
    const void* cr = std::memchr(data.data() + pos, '\r', data.size() - pos);
    if (cr == nullptr) {
      normalized_.append(data.substr(pos));
      break;
    }
    const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(cr) - data.data());
    normalized_.append(data.substr(pos, at - pos));
    if (at + 1 == data.size()) {
      pendingCr_ = true;
    } else if (data[at + 1] != '\n') {
      normalized_ += '\r';
    }
    pos = at + 1;
  }
  process(normalized_);
}

void HeaderFilter::finish() {
  if (finished_) return;
  finished_ = true;
  if (phase_ == Phase::Stopped) return;
  if (pendingCr_) {
    pendingCr_ = false;
    process("\r");
  }
  if (phase_ == Phase::Headers) {
    // The last line has no line end: give it one, then the header section
    // ends with the content.
    if (!lineStart_.empty() || lineState_ == LineState::InHeaderLine) process("\n");
    if (phase_ == Phase::Headers) endHeaders(false);
  } else if (phase_ == Phase::Body && outputSize_ > 0 && lastByte_ != '\n') {
    emit("\n");
  }
  if (phase_ == Phase::Stopped) return;
  phase_ = Phase::Body;
}

void HeaderFilter::process(std::string_view data) {
  while (!data.empty()) {
    if (phase_ == Phase::Stopped) return;
    if (phase_ == Phase::Body) {
      emit(data);
      return;
    }
    data.remove_prefix(processHeaderBytes(data));
  }
}

// Consumes a part of data in the header section; returns how much.
std::size_t HeaderFilter::processHeaderBytes(std::string_view data) {
  const auto nl = data.find('\n');
  const std::size_t lineRest = nl == std::string_view::npos ? data.size() : nl + 1;

  if (lineState_ == LineState::InHeaderLine) {
    headerBytes(data.substr(0, lineRest));
    if (nl != std::string_view::npos) lineState_ = LineState::Start;
    return lineRest;
  }

  // LineState::Start: collect the line's start until it can be classified.
  const std::size_t take = std::min(lineRest, kMaxClassify - lineStart_.size());
  lineStart_.append(data.substr(0, take));
  std::size_t nameLength = 0;
  const LineKind kind = classify(&nameLength);
  switch (kind) {
    case LineKind::NeedMore:
      return take;
    case LineKind::Blank:
      lineStart_.clear();
      endHeaders(true);
      return take;
    case LineKind::Body: {
      const std::string line = std::move(lineStart_);
      lineStart_.clear();
      endHeaders(true);
      insertedSeparator_ = true;
      if (phase_ == Phase::Body) emit(line);
      return take;
    }
    case LineKind::Header:
      finishHeader();
      startHeader(std::string_view(lineStart_).substr(0, nameLength));
      [[fallthrough]];
    case LineKind::Continuation: {
      const std::string start = std::move(lineStart_);
      lineStart_.clear();
      lineState_ = start.back() == '\n' ? LineState::Start : LineState::InHeaderLine;
      headerBytes(start);
      return take;
    }
  }
  return take;
}

HeaderFilter::LineKind HeaderFilter::classify(std::size_t* nameLength) const {
  const std::string& s = lineStart_;
  if (s.empty()) return LineKind::NeedMore;
  const bool full = s.back() == '\n' || s.size() >= kMaxClassify;
  if (s[0] == '\n') return LineKind::Blank;
  if (s[0] == ' ' || s[0] == '\t') return inHeader_ ? LineKind::Continuation : LineKind::Body;
  std::size_t i = 0;
  while (i < s.size() && isFieldNameChar(static_cast<unsigned char>(s[i]))) ++i;
  *nameLength = i;
  if (i == s.size()) return full ? LineKind::Body : LineKind::NeedMore;
  if (i == 0) return LineKind::Body;  // ':' or a control or 8-bit character first
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  if (i == s.size()) return full ? LineKind::Body : LineKind::NeedMore;
  return s[i] == ':' ? LineKind::Header : LineKind::Body;
}

void HeaderFilter::startHeader(std::string_view name) {
  inHeader_ = true;
  headerSize_ = 0;
  captured_.clear();
  headerName_ = util::lower(name);
  dropHeader_ = isDroppedHeader(headerName_);
  captureHeader_ = false;
  holdHeader_ = headerName_ == "authentication-results" && !policy_.authservId.empty();
  rewriteHeader_ = policy_.rewriteField && !dropHeader_ && isAddressHeader(headerName_);
  holdHeader_ = holdHeader_ || rewriteHeader_;
  held_.clear();
  if (headerName_ == "message-id") {
    captureHeader_ = !sawMessageId_;
    sawMessageId_ = true;
  } else if (headerName_ == "date") {
    sawDate_ = true;
  } else if (headerName_ == "from") {
    sawFrom_ = true;
  } else if (headerName_ == "received") {
    if (++received_ > policy_.hopcountLimit)
      reject(HeaderVerdict::TooManyHops, "header Received: count " + std::to_string(received_) +
                                             " exceeds hopcount_limit " +
                                             std::to_string(policy_.hopcountLimit));
  } else if (policy_.extractRecipients &&
             (isRecipientHeader(headerName_) || isResentRecipientHeader(headerName_))) {
    captureHeader_ = true;
  }
}

void HeaderFilter::headerBytes(std::string_view bytes) {
  if (phase_ != Phase::Headers) return;
  headerSize_ += bytes.size();
  if (headerSize_ > policy_.headerSizeLimit) {
    reject(HeaderVerdict::HeaderTooLong, "header " + headerName_ + ": longer than header_size_limit " +
                                             std::to_string(policy_.headerSizeLimit));
    return;
  }
  if (captureHeader_) captured_.append(bytes);
  if (holdHeader_) held_.append(bytes);
  else if (!dropHeader_) emit(bytes);
}

void HeaderFilter::finishHeader() {
  if (!inHeader_) return;
  inHeader_ = false;
  if (rewriteHeader_) {
    holdHeader_ = rewriteHeader_ = false;
    if (phase_ == Phase::Headers) {
      const std::optional<std::string> field = policy_.rewriteField(headerName_, held_);
      emit(field ? *field : held_);
    }
    held_.clear();
  } else if (holdHeader_) {
    holdHeader_ = false;
    const auto colon = held_.find(':');
    const std::string id = mailauth::authservIdOf(std::string_view(held_).substr(colon + 1));
    if (util::equalsIgnoreCase(id, policy_.authservId)) ++removedAuthResults_;
    else if (phase_ == Phase::Headers) emit(held_);
    held_.clear();
  }
  if (!captureHeader_) return;
  std::string value = unfoldedValue(captured_);
  captured_.clear();
  if (headerName_ == "message-id") {
    if (value.size() > kMaxMessageIdLog) value.resize(kMaxMessageIdLog);
    messageId_ = std::move(value);
  } else if (isResentRecipientHeader(headerName_)) {
    resentValues_.push_back(std::move(value));
  } else {
    recipientValues_.push_back(std::move(value));
  }
}

void HeaderFilter::endHeaders(bool separator) {
  finishHeader();
  if (phase_ != Phase::Headers) return;
  if (!sawMessageId_ && !policy_.messageId.empty()) {
    emit("Message-ID: " + policy_.messageId + "\n");
    messageId_ = policy_.messageId;
    addedMessageId_ = true;
  }
  if (!sawDate_ && !policy_.date.empty()) {
    emit("Date: " + policy_.date + "\n");
    addedDate_ = true;
  }
  if (!sawFrom_ && !policy_.from.empty()) {
    emit("From: " + policy_.from + "\n");
    addedFrom_ = true;
  }
  if (separator) emit("\n");
  phase_ = Phase::Body;
}

void HeaderFilter::reject(HeaderVerdict verdict, std::string detail) {
  if (verdict_ != HeaderVerdict::Ok) return;
  verdict_ = verdict;
  rejectDetail_ = std::move(detail);
  phase_ = Phase::Stopped;
  lineStart_.clear();
  captured_.clear();
  held_.clear();
}

void HeaderFilter::emit(std::string_view bytes) {
  if (bytes.empty()) return;
  outputSize_ += bytes.size();
  lastByte_ = bytes.back();
  sink_(bytes);
}

std::vector<std::string> HeaderFilter::extractedRecipients() const {
  std::vector<std::string> out;
  for (const std::string& value : resentValues_.empty() ? recipientValues_ : resentValues_) {
    for (std::string& address : address::parseAddressList(value)) out.push_back(std::move(address));
  }
  return out;
}

}  // namespace posthorn::cleanup
