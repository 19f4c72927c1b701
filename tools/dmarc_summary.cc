// dmarc_summary - report files to XML to a table
#include "tools/dmarc_summary.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <sstream>

#include "lib/mime/header_fields.h"
#include "lib/mime/mime_params.h"
#include "lib/mime/mime_part.h"
#include "lib/mime/transfer_decode.h"
#include "lib/util/ascii.h"
#include "tools/gzip.h"

namespace posthorn::tools {
namespace {

constexpr std::size_t kMaxReport = 64u << 20;  // inflated; real reports are kilobytes

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool looksXml(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t' ||
                        static_cast<unsigned char>(s.front()) >= 0x80))  // a BOM
    s.remove_prefix(1);
  return !s.empty() && s.front() == '<';
}

// The part of a message that holds the report: its type says gzip or XML,
// or its name ends so. Found with the project's MIME parser, so a text
// part's "--" lines and single-part reports are what they are.
const mime::MimePart* reportPart(const mime::MimePart& part, std::string_view text) {
  if (!part.children.empty()) {
    for (const auto& child : part.children)
      if (const auto* found = reportPart(child, text)) return found;
    return nullptr;
  }
  const std::string type = util::lower(part.type + "/" + part.subtype);
  if (type == "application/gzip" || type == "application/x-gzip" || type == "application/xml" ||
      type == "text/xml")
    return &part;
  std::string name = util::lower(mime::findMimeParam(part.params, "name").value_or(""));
  mime::forEachHeaderField(part.header(text), [&](const mime::HeaderField& f) {
    if (mime::headerNameEquals(f.name, "Content-Disposition"))
      if (auto n = mime::findMimeParam(mime::parseMimeValue(mime::unfoldHeaderValue(f.value)).params, "filename"))
        name = util::lower(*n);
    return true;
  });
  const auto endsWith = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return endsWith(".xml") || endsWith(".gz") ? &part : nullptr;
}

// The decoded report of a message, or nullopt when it carries none.
std::optional<std::string> attachment(const std::string& message) {
  const mime::MimePart tree = mime::parseMimeTree(message);
  const mime::MimePart* part = reportPart(tree, message);
  if (part == nullptr) return std::nullopt;
  std::string encoding;
  mime::forEachHeaderField(part->header(message), [&](const mime::HeaderField& f) {
    if (mime::headerNameEquals(f.name, "Content-Transfer-Encoding"))
      encoding = util::lower(mime::unfoldHeaderValue(f.value));
    return true;
  });
  std::string body = mime::decodeTransferEncoding(part->body(message), encoding);
  if (body.empty()) return std::nullopt;
  return body;
}

std::string reportXml(const std::string& path) {
  std::string data = slurp(path);
  if (!looksXml(data) && !looksGzipped(data)) {
    auto part = attachment(data);
    if (!part) throw std::runtime_error(path + ": neither XML, gzip nor a message with a report attached");
    data = std::move(*part);
  }
  if (looksGzipped(data)) {
    auto xml = gzipDecompress(data, kMaxReport);
    if (!xml) throw std::runtime_error(path + ": the gzip data is damaged or too large");
    data = std::move(*xml);
  }
  if (!looksXml(data)) throw std::runtime_error(path + ": the report is not XML (zip is not read)");
  return data;
}

const xmlNode* child(const xmlNode* n, const char* name) {
  for (const xmlNode* c = n != nullptr ? n->children : nullptr; c != nullptr; c = c->next)
    if (c->type == XML_ELEMENT_NODE && std::strcmp(reinterpret_cast<const char*>(c->name), name) == 0) return c;
  return nullptr;
}

std::string text(const xmlNode* n, std::initializer_list<const char*> path) {
  for (const char* p : path) n = child(n, p);
  if (n == nullptr) return "";
  xmlChar* t = xmlNodeGetContent(n);
  std::string s = t != nullptr ? reinterpret_cast<const char*>(t) : "";
  xmlFree(t);
  // The sender wrote it and it goes to a terminal: no control characters
  // (escape sequences), and no more than a line's worth.
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  return s;
}

std::string when(const std::string& epoch) {
  const std::time_t t = static_cast<std::time_t>(std::atoll(epoch.c_str()));
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

void summarize(const std::string& path, const std::string& xml, std::ostream& out) {
  // XML_PARSE_NONET and no XML_PARSE_NOENT: no network, no entity expansion.
  xmlDoc* doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "report.xml", nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == nullptr) throw std::runtime_error(path + ": the report is not well-formed XML");
  // Reports have no DTD; one with its own is refused rather than have
  // entities expanded into what is printed.
  if (doc->intSubset != nullptr) {
    xmlFreeDoc(doc);
    throw std::runtime_error(path + ": the report has a DOCTYPE (not a DMARC report)");
  }
  const xmlNode* root = xmlDocGetRootElement(doc);
  if (root == nullptr || std::strcmp(reinterpret_cast<const char*>(root->name), "feedback") != 0) {
    xmlFreeDoc(doc);
    throw std::runtime_error(path + ": not a DMARC aggregate report (no <feedback>)");
  }
  const xmlNode* meta = child(root, "report_metadata");
  const xmlNode* policy = child(root, "policy_published");
  out << "report from " << text(meta, {"org_name"}) << " <" << text(meta, {"email"}) << "> id "
      << text(meta, {"report_id"}) << "\n  domain " << text(policy, {"domain"}) << ", "
      << when(text(meta, {"date_range", "begin"})) << " to " << when(text(meta, {"date_range", "end"}))
      << " UTC, published p=" << text(policy, {"p"}) << " sp=" << text(policy, {"sp"})
      << " pct=" << text(policy, {"pct"}) << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %-40s %7s  %-11s %-5s %-5s %s\n", "source", "count", "disposition", "dkim",
                "spf", "header_from");
  out << line;
  long total = 0, passed = 0;
  std::map<std::string, long> failing;
  for (const xmlNode* rec = root->children; rec != nullptr; rec = rec->next) {
    if (rec->type != XML_ELEMENT_NODE || std::strcmp(reinterpret_cast<const char*>(rec->name), "record") != 0)
      continue;
    const xmlNode* row = child(rec, "row");
    const std::string source = text(row, {"source_ip"});
    const long count = std::atol(text(row, {"count"}).c_str());
    const std::string dkim = text(row, {"policy_evaluated", "dkim"});
    const std::string spf = text(row, {"policy_evaluated", "spf"});
    std::snprintf(line, sizeof line, "  %-40s %7ld  %-11s %-5s %-5s %s\n", source.c_str(), count,
                  text(row, {"policy_evaluated", "disposition"}).c_str(), dkim.c_str(), spf.c_str(),
                  text(rec, {"identifiers", "header_from"}).c_str());
    out << line;
    total += count;
    if (dkim == "pass" || spf == "pass") passed += count;
    else failing[source] += count;
  }
  out << "  " << total << " messages: " << passed << " passed DMARC, " << (total - passed) << " failed";
  if (!failing.empty()) {
    out << " (from";
    for (const auto& [source, n] : failing) out << " " << source << " x" << n;
    out << ")";
  }
  out << "\n";
  xmlFreeDoc(doc);
}

}  // namespace

int summarizeReports(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  int failed = 0;
  for (const std::string& path : files) {
    try {
      summarize(path, reportXml(path), out);
    } catch (const std::exception& e) {
      err << "posthorn dmarc: " << e.what() << "\n";
      ++failed;
    }
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace posthorn::tools
