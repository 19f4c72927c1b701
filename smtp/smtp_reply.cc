// smtp_reply - reading multi-line replies and the EHLO keyword list
#include "smtp/smtp_reply.h"

#include <cctype>
#include <sstream>

#include "lib/util/ascii.h"

namespace posthorn::smtp {

namespace {

bool isEnhanced(std::string_view word) {
  // class.subject.detail: [245].d{1,3}.d{1,3}
  if (word.size() < 5 || (word[0] != '2' && word[0] != '4' && word[0] != '5') || word[1] != '.')
    return false;
  int dots = 0, digits = 0;
  for (std::size_t i = 2; i < word.size(); ++i) {
    if (word[i] == '.') {
      if (digits == 0 || ++dots > 1) return false;
      digits = 0;
    } else if (std::isdigit(static_cast<unsigned char>(word[i])) && ++digits <= 3) {
    } else {
      return false;
    }
  }
  return dots == 1 && digits > 0;
}

}  // namespace

std::string Reply::text() const {
  std::string out;
  for (const auto& l : lines) {
    if (!out.empty()) out += ' ';
    std::string_view v = l;
    if (!out.empty() && v.size() >= 4) v.remove_prefix(4);  // continuation lines: no code again
    for (char c : v) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  }
  if (out.size() > 1000) out.resize(1000);
  return out;
}

std::string Reply::dsnStatus() const {
  if (!enhanced.empty() && enhanced[0] == static_cast<char>('0' + kind())) return enhanced;
  switch (kind()) {
    case 2: return "2.0.0";
    case 4: return "4.0.0";
    default: return "5.0.0";
  }
}

bool ReplyParser::feedLine(const std::string& line) {
  if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
      !std::isdigit(static_cast<unsigned char>(line[1])) || !std::isdigit(static_cast<unsigned char>(line[2])) ||
      line[0] < '2' || line[0] > '5' || (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
    throw StreamError("malformed reply from server: \"" + line.substr(0, 100) + "\"", false);
  const int code = std::stoi(line.substr(0, 3));
  if (reply_.lines.empty()) {
    reply_.code = code;
    if (line.size() > 4) {
      const std::string rest = line.substr(4);
      const std::string word = rest.substr(0, rest.find(' '));
      if (isEnhanced(word)) reply_.enhanced = word;
    }
  } else if (code != reply_.code) {
    throw StreamError("reply code changed inside a multi-line reply", false);
  }
  if (reply_.lines.size() < 1000) reply_.lines.push_back(line);
  return line.size() == 3 || line[3] == ' ';
}

Reply ReplyParser::take() {
  Reply r = std::move(reply_);
  reply_ = Reply{};
  return r;
}

Reply readReply(SmtpStream& stream, Deadline deadline) {
  ReplyParser parser;
  while (!parser.feedLine(stream.readLine(deadline))) {
  }
  return parser.take();
}

Capabilities Capabilities::fromEhlo(const Reply& reply) {
  Capabilities caps;
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    const std::string& l = reply.lines[i];
    if (l.size() < 5) continue;
    std::istringstream words(l.substr(4));
    std::string keyword;
    if (!(words >> keyword)) continue;
    util::upperInPlace(keyword);
    std::string params;
    std::getline(words, params);
    if (!params.empty() && params[0] == ' ') params.erase(0, 1);
    caps.keywords[keyword] = params;
    if (keyword == "SIZE") {
      try {
        caps.size = params.empty() ? 0 : std::stoull(params);
      } catch (const std::exception&) {
        caps.size = 0;
      }
    } else if (keyword == "AUTH") {
      std::istringstream mechs(params);
      std::string m;
      while (mechs >> m) caps.authMechanisms.push_back(util::upper(m));
    }
  }
  return caps;
}

}  // namespace posthorn::smtp
