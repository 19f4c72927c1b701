// search_match - SEARCH evaluation of one message, reading its file lazily
#include "imapd/search_match.h"

#include <algorithm>
#include <utility>

#include "imapd/search_fold.h"

namespace posthorn::imapd {

std::optional<CivilDate> SearchSubject::sentDate() {
  const std::vector<std::string> values = headerValues("Date");
  if (values.empty()) return std::nullopt;
  const auto d = parseMessageDate(values.front());
  if (!d) return std::nullopt;
  return d->date;
}

namespace {

using Type = SearchKey::Type;

bool inSet(const SequenceSet& set, std::uint32_t n, std::uint32_t star, std::uint32_t uid,
           const std::vector<std::uint32_t>* saved) {
  if (set.saved) return saved != nullptr && std::binary_search(saved->begin(), saved->end(), uid);
  for (const SequenceSet::Range& r : set.ranges) {
    const std::uint32_t a = r.first == SequenceSet::kStar ? star : r.first;
    const std::uint32_t b = r.last == SequenceSet::kStar ? star : r.last;
    if (n >= std::min(a, b) && n <= std::max(a, b)) return true;
  }
  return false;
}

bool hasKeyword(const mailbox::MessageFlags& flags, std::string_view k) {
  for (const std::string& have : flags.keywords) {
    if (equalsIgnoreCase(have, k)) return true;
  }
  return false;
}

// One message's evaluation; folded file contents are kept for the call.
class Evaluator {
 public:
  Evaluator(SearchSubject& subject, const SearchScope& scope) : s_(subject), scope_(scope) {}

  bool eval(const SearchKey& key) {
    switch (key.type) {
      case Type::All: return true;
      case Type::And: return evalAnd(key);
      case Type::Or: return evalOr(key);
      case Type::Not: return !eval(key.children.front());
      case Type::Sequence: return inSet(key.set, s_.sequence(), scope_.messageCount, s_.uid(), scope_.saved);
      case Type::Uid: return inSet(key.set, s_.uid(), scope_.maxUid, s_.uid(), scope_.saved);
      case Type::Flag: return s_.flags().has(key.flag);
      case Type::Keyword: return hasKeyword(s_.flags(), key.text);
      case Type::Recent: return s_.recent();
      case Type::Larger: return s_.size() > key.number;
      case Type::Smaller: return s_.size() < key.number;
      case Type::Before: return internalDay() < daysFromCivil(key.date);
      case Type::On: return internalDay() == daysFromCivil(key.date);
      case Type::Since: return internalDay() >= daysFromCivil(key.date);
      case Type::SentBefore:
      case Type::SentOn:
      case Type::SentSince: return sent(key);
      case Type::Header: return header(key);
      case Type::Body: return containsFolded(body(), key.text);
      case Type::Text: return containsFolded(headerText(), key.text) || containsFolded(body(), key.text);
      case Type::Modseq: return s_.modseq() >= key.number;
    }
    return false;
  }

 private:
  // Keys answered from the index go first, so the file is read only when
  // they leave the answer open.
  bool evalAnd(const SearchKey& key) {
    for (const int pass : {0, 1}) {
      for (const SearchKey& c : key.children) {
        if (searchNeedsMessage(c) == (pass == 1) && !eval(c)) return false;
      }
    }
    return true;
  }

  bool evalOr(const SearchKey& key) {
    for (const int pass : {0, 1}) {
      for (const SearchKey& c : key.children) {
        if (searchNeedsMessage(c) == (pass == 1) && eval(c)) return true;
      }
    }
    return false;
  }

  std::int64_t internalDay() const {
    return daysFromCivil(civilDateAt(s_.internalDate(), scope_.timezoneOffsetMinutes));
  }

  bool sent(const SearchKey& key) {
    if (!sentRead_) {
      sentDate_ = s_.sentDate();
      sentRead_ = true;
    }
    if (!sentDate_) return false;
    if (key.type == Type::SentBefore) return *sentDate_ < key.date;
    if (key.type == Type::SentOn) return *sentDate_ == key.date;
    return *sentDate_ >= key.date;
  }

  bool header(const SearchKey& key) {
    const std::vector<std::string>* values = nullptr;
    for (const auto& [name, folded] : headers_) {
      if (equalsIgnoreCase(name, key.name)) values = &folded;
    }
    if (values == nullptr) {
      std::vector<std::string> folded = s_.headerValues(key.name);
      for (std::string& v : folded) v = foldCase(v);
      headers_.emplace_back(key.name, std::move(folded));
      values = &headers_.back().second;
    }
    for (const std::string& v : *values) {
      if (containsFolded(v, key.text)) return true;
    }
    return false;
  }

  const std::string& headerText() {
    if (!headerText_) headerText_ = foldCase(s_.headerText());
    return *headerText_;
  }

  const std::string& body() {
    if (!body_) body_ = foldCase(s_.bodyText());
    return *body_;
  }

  SearchSubject& s_;
  const SearchScope& scope_;
  std::vector<std::pair<std::string, std::vector<std::string>>> headers_;
  std::optional<std::string> headerText_;
  std::optional<std::string> body_;
  bool sentRead_ = false;
  std::optional<CivilDate> sentDate_;
};

}  // namespace

bool matches(const SearchKey& key, SearchSubject& subject, const SearchScope& scope) {
  return Evaluator(subject, scope).eval(key);
}

}  // namespace posthorn::imapd
