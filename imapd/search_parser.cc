// search_parser - turns SEARCH's argument tree into a SearchKey tree
#include "imapd/search_parser.h"

#include "imapd/flag_list.h"
#include "imapd/search_fold.h"

#include "lib/util/ascii.h"

namespace posthorn::imapd {

namespace {

using Type = SearchKey::Type;

SearchKey notKey(SearchKey k) {
  SearchKey n = SearchKey::of(Type::Not);
  n.children.push_back(std::move(k));
  return n;
}

SearchKey flagKey(mailbox::SystemFlag f) {
  SearchKey k = SearchKey::of(Type::Flag);
  k.flag = f;
  return k;
}

// Keys that take no argument.
bool simpleKey(const std::string& name, SearchKey& out) {
  struct Simple {
    const char* name;
    mailbox::SystemFlag flag;
    bool negate;
  };
  static constexpr Simple kFlags[] = {
      {"ANSWERED", mailbox::kFlagAnswered, false}, {"DELETED", mailbox::kFlagDeleted, false},
      {"DRAFT", mailbox::kFlagDraft, false},       {"FLAGGED", mailbox::kFlagFlagged, false},
      {"SEEN", mailbox::kFlagSeen, false},         {"UNANSWERED", mailbox::kFlagAnswered, true},
      {"UNDELETED", mailbox::kFlagDeleted, true},  {"UNDRAFT", mailbox::kFlagDraft, true},
      {"UNFLAGGED", mailbox::kFlagFlagged, true},  {"UNSEEN", mailbox::kFlagSeen, true},
  };
  for (const Simple& s : kFlags) {
    if (name == s.name) {
      out = s.negate ? notKey(flagKey(s.flag)) : flagKey(s.flag);
      return true;
    }
  }
  if (name == "ALL") {
    out = SearchKey::of(Type::All);
  } else if (name == "RECENT") {
    out = SearchKey::of(Type::Recent);
  } else if (name == "OLD") {
    out = notKey(SearchKey::of(Type::Recent));
  } else if (name == "NEW") {
    out = SearchKey::of(Type::And);
    out.children.push_back(SearchKey::of(Type::Recent));
    out.children.push_back(notKey(flagKey(mailbox::kFlagSeen)));
  } else {
    return false;
  }
  return true;
}

// Keys whose argument is a date.
bool dateKey(const std::string& name, Type& type) {
  struct DateName {
    const char* name;
    Type type;
  };
  static constexpr DateName kDates[] = {
      {"BEFORE", Type::Before},         {"ON", Type::On},          {"SINCE", Type::Since},
      {"SENTBEFORE", Type::SentBefore}, {"SENTON", Type::SentOn},  {"SENTSINCE", Type::SentSince},
  };
  for (const DateName& d : kDates) {
    if (name == d.name) {
      type = d.type;
      return true;
    }
  }
  return false;
}

// Keys whose argument is a string searched in a header field.
const char* addressKey(const std::string& name) {
  static constexpr const char* kFields[] = {"BCC", "CC", "FROM", "SUBJECT", "TO"};
  for (const char* f : kFields) {
    if (name == f) return f;
  }
  return nullptr;
}

std::optional<std::uint64_t> parseNumber(std::string_view s, std::uint64_t max) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

class Parser {
 public:
  Parser(std::size_t maxDepth, SearchParseResult& result) : maxDepth_(maxDepth), result_(result) {}

  // Keys items[pos..] to the end, as one key (an And of several).
  bool parseAll(const std::vector<ImapValue>& items, std::size_t pos, std::size_t depth, SearchKey& out) {
    SearchKey all = SearchKey::of(Type::And);
    while (pos < items.size()) {
      SearchKey k;
      if (!parseKey(items, pos, depth, k)) return false;
      all.children.push_back(std::move(k));
    }
    if (all.children.empty()) return fail("no search key");
    if (all.children.size() == 1) {
      out = std::move(all.children.front());
    } else {
      out = std::move(all);
    }
    return true;
  }

 private:
  bool fail(std::string message) {
    result_.error = std::move(message);
    return false;
  }

  bool deeper(std::size_t depth) {
    if (depth + 1 > maxDepth_) return fail("search keys nested too deeply");
    return true;
  }

  // An astring argument of key "what".
  bool stringArg(const std::vector<ImapValue>& items, std::size_t& pos, const std::string& what, std::string& out) {
    if (pos >= items.size()) return fail(what + " needs an argument");
    const ImapValue& v = items[pos];
    if (v.kind == ImapValue::Kind::Literal && v.sink) return fail(what + ": search string too long");
    if (!v.isString()) return fail(what + ": argument is not a string");
    out = v.text;
    ++pos;
    return true;
  }

  bool numberArg(const std::vector<ImapValue>& items, std::size_t& pos, const std::string& what, std::uint64_t max,
                 std::uint64_t& out) {
    std::string s;
    if (!stringArg(items, pos, what, s)) return false;
    const auto n = parseNumber(s, max);
    if (!n) return fail(what + ": bad number \"" + s + "\"");
    out = *n;
    return true;
  }

  bool parseKey(const std::vector<ImapValue>& items, std::size_t& pos, std::size_t depth, SearchKey& out) {
    const ImapValue& v = items[pos];
    if (v.kind == ImapValue::Kind::List) {
      if (!deeper(depth)) return false;
      if (v.items.empty()) return fail("empty search key list");
      ++pos;
      return parseAll(v.items, 0, depth + 1, out);
    }
    if (!v.isAtom()) return fail("search key expected, not a string");
    const std::string name = util::upper(v.text);
    ++pos;
    if (simpleKey(name, out)) return true;
    Type dateType;
    if (dateKey(name, dateType)) {
      std::string s;
      if (!stringArg(items, pos, name, s)) return false;
      const auto date = parseImapDate(s);
      if (!date) return fail(name + ": bad date \"" + s + "\" (expected like 1-Feb-1994)");
      out = SearchKey::of(dateType);
      out.date = *date;
      return true;
    }
    if (const char* field = addressKey(name)) {
      out = SearchKey::of(Type::Header);
      out.name = field;
      if (!stringArg(items, pos, name, out.text)) return false;
      out.text = foldCase(out.text);
      return true;
    }
    if (name == "HEADER") {
      out = SearchKey::of(Type::Header);
      if (!stringArg(items, pos, name, out.name) || !stringArg(items, pos, name, out.text)) return false;
      if (out.name.empty()) return fail("HEADER: empty field name");
      out.text = foldCase(out.text);
      return true;
    }
    if (name == "BODY" || name == "TEXT") {
      out = SearchKey::of(name == "BODY" ? Type::Body : Type::Text);
      if (!stringArg(items, pos, name, out.text)) return false;
      out.text = foldCase(out.text);
      return true;
    }
    if (name == "KEYWORD" || name == "UNKEYWORD") return keyword(items, pos, name, out);
    if (name == "LARGER" || name == "SMALLER") {
      out = SearchKey::of(name == "LARGER" ? Type::Larger : Type::Smaller);
      return numberArg(items, pos, name, UINT64_MAX, out.number);
    }
    if (name == "MODSEQ") return modseq(items, pos, out);
    if (name == "NOT" || name == "OR") {
      if (!deeper(depth)) return false;
      out = SearchKey::of(name == "NOT" ? Type::Not : Type::Or);
      const int n = name == "NOT" ? 1 : 2;
      for (int i = 0; i < n; ++i) {
        if (pos >= items.size()) return fail(name + " needs " + (n == 1 ? "a search key" : "two search keys"));
        SearchKey child;
        if (!parseKey(items, pos, depth + 1, child)) return false;
        out.children.push_back(std::move(child));
      }
      return true;
    }
    if (name == "UID") {
      std::string s;
      if (!stringArg(items, pos, name, s)) return false;
      const auto set = parseSequenceSet(s);
      if (!set) return fail("UID: bad sequence set \"" + s + "\"");
      out = SearchKey::of(Type::Uid);
      out.set = *set;
      return true;
    }
    if (const auto set = parseSequenceSet(v.text)) {
      out = SearchKey::of(Type::Sequence);
      out.set = *set;
      return true;
    }
    return fail("unknown search key " + v.text);
  }

  bool keyword(const std::vector<ImapValue>& items, std::size_t& pos, const std::string& name, SearchKey& out) {
    std::string k;
    if (!stringArg(items, pos, name, k)) return false;
    if (k.empty()) return fail(name + ": empty keyword");
    if (k[0] == '\\') {
      // A system flag given as a keyword: search the flag itself.
      if (const auto flag = parseSystemFlag(k))
        out = flagKey(*flag);
      else if (equalsIgnoreCase(k, "\\RECENT"))
        out = SearchKey::of(Type::Recent);
      else
        return fail(name + ": bad keyword " + k);
    } else {
      for (const char c : k) {
        const auto b = static_cast<unsigned char>(c);
        if (b <= ' ' || b >= 0x7f || c == '(' || c == ')' || c == '{' || c == '%' || c == '*' || c == '"' ||
            c == ']') {
          return fail(name + ": bad keyword " + k);
        }
      }
      out = SearchKey::of(Type::Keyword);
      out.text = k;
    }
    if (name == "UNKEYWORD") out = notKey(std::move(out));
    return true;
  }

  // MODSEQ [entry-name entry-type] mod-sequence-valzer (RFC 7162 3.1.5);
  // the per-flag entry is accepted and searched as the message's modseq.
  bool modseq(const std::vector<ImapValue>& items, std::size_t& pos, SearchKey& out) {
    out = SearchKey::of(Type::Modseq);
    if (pos < items.size() && items[pos].isString() && !items[pos].text.empty() &&
        (items[pos].text[0] < '0' || items[pos].text[0] > '9')) {
      std::string entry, entryType;
      if (!stringArg(items, pos, "MODSEQ", entry) || !stringArg(items, pos, "MODSEQ", entryType)) return false;
      const std::string t = util::upper(entryType);
      if (entry.rfind("/flags/", 0) != 0 || (t != "ALL" && t != "PRIV" && t != "SHARED")) {
        return fail("MODSEQ: bad entry \"" + entry + "\" " + entryType);
      }
    }
    if (!numberArg(items, pos, "MODSEQ", INT64_MAX, out.number)) return false;
    result_.usesModseq = true;
    return true;
  }

  std::size_t maxDepth_;
  SearchParseResult& result_;
};

bool parseReturn(const ImapValue& list, SearchParseResult& result) {
  SearchReturn r;
  if (list.kind != ImapValue::Kind::List) {
    result.error = "RETURN needs a list of options";
    return false;
  }
  if (list.items.empty()) r.all = true;
  for (const ImapValue& o : list.items) {
    const std::string name = o.isAtom() ? util::upper(o.text) : "";
    if (name == "MIN") {
      r.min = true;
    } else if (name == "MAX") {
      r.max = true;
    } else if (name == "COUNT") {
      r.count = true;
    } else if (name == "ALL") {
      r.all = true;
    } else if (name == "SAVE") {
      r.save = true;
    } else {
      result.error = "RETURN: unknown option " + (o.isString() ? o.text : std::string("(...)"));
      return false;
    }
  }
  result.returnOptions = r;
  return true;
}

}  // namespace

SearchParseResult parseSearch(const std::vector<ImapValue>& args, std::size_t start, std::size_t maxDepth) {
  SearchParseResult result;
  std::size_t pos = start;
  if (pos < args.size() && args[pos].isAtom() && equalsIgnoreCase(args[pos].text, "RETURN")) {
    if (pos + 1 >= args.size()) {
      result.error = "RETURN needs a list of options";
      return result;
    }
    if (!parseReturn(args[pos + 1], result)) return result;
    pos += 2;
  }
  if (pos < args.size() && args[pos].isAtom() && equalsIgnoreCase(args[pos].text, "CHARSET")) {
    if (pos + 1 >= args.size() || !args[pos + 1].isString()) {
      result.error = "CHARSET needs a charset name";
      return result;
    }
    result.charset = args[pos + 1].text;
    if (!equalsIgnoreCase(result.charset, "UTF-8") && !equalsIgnoreCase(result.charset, "US-ASCII")) {
      result.error = "unsupported charset " + result.charset;
      result.badCharset = true;
      return result;
    }
    pos += 2;
  }
  SearchKey key;
  Parser parser(maxDepth, result);
  if (!parser.parseAll(args, pos, 0, key)) {
    result.usesModseq = false;
    return result;
  }
  result.key = std::make_unique<SearchKey>(std::move(key));
  return result;
}

}  // namespace posthorn::imapd
