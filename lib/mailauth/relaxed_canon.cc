// relaxed_canon - relaxed header and body forms, base64, for ARC
#include "lib/mailauth/relaxed_canon.h"

#include <openssl/evp.h>

#include <stdexcept>


namespace posthorn::mailauth {
namespace {

bool isWsp(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::string relaxedHeaderField(std::string_view name, std::string_view rawValue) {
  std::string out;
  out.reserve(name.size() + rawValue.size() + 3);
  for (char c : name)
    if (!isWsp(c)) out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  out += ':';
  bool space = false;
  bool started = false;
  for (char c : rawValue) {
    if (c == '\r' || c == '\n') continue;  // unfold
    if (isWsp(c)) {
      space = true;
      continue;
    }
    if (space && started) out += ' ';
    space = false;
    started = true;
    out += c;
  }
  out += "\r\n";
  return out;
}

std::string withoutSignatureValue(std::string_view raw) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= raw.size()) {
    std::size_t end = raw.find(';', pos);
    if (end == std::string_view::npos) end = raw.size();
    const std::string_view tag = raw.substr(pos, end - pos);
    const std::size_t eq = tag.find('=');
    std::string name;
    if (eq != std::string_view::npos)
      for (char c : tag.substr(0, eq))
        if (!isWsp(c) && c != '\r' && c != '\n') name += c;
    if (name == "b") out.append(tag.substr(0, eq + 1));
    else out.append(tag);
    if (end == raw.size()) break;
    out += ';';
    pos = end + 1;
  }
  return out;
}

struct RelaxedBodyHash::Digest {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Digest() { EVP_MD_CTX_free(ctx); }
};

RelaxedBodyHash::RelaxedBodyHash() : digest_(std::make_unique<Digest>()) {
  if (digest_->ctx == nullptr || EVP_DigestInit_ex(digest_->ctx, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 is not available");
}

RelaxedBodyHash::~RelaxedBodyHash() = default;

void RelaxedBodyHash::emit(std::string_view bytes) {
  out_.append(bytes);
  if (out_.size() >= 16384) {
    EVP_DigestUpdate(digest_->ctx, out_.data(), out_.size());
    out_.clear();
  }
}

void RelaxedBodyHash::ordinary(char c) {
  if (!lineHasContent_)
    for (; pendingEmptyLines_ > 0; --pendingEmptyLines_) emit("\r\n");
  if (spacePending_) emit(" ");
  spacePending_ = false;
  lineHasContent_ = true;
  emit(std::string_view(&c, 1));
}

void RelaxedBodyHash::feed(std::string_view body) {
  for (char c : body) {
    if (crPending_) {
      crPending_ = false;
      if (c != '\n') ordinary('\r');  // a bare CR is an ordinary character
    }
    if (c == '\r') {
      crPending_ = true;
    } else if (c == '\n') {
      if (lineHasContent_) emit("\r\n");
      else ++pendingEmptyLines_;
      lineHasContent_ = false;
      spacePending_ = false;
    } else if (isWsp(c)) {
      spacePending_ = true;
    } else {
      ordinary(c);
    }
  }
}

std::string RelaxedBodyHash::finish() {
  if (crPending_) ordinary('\r');
  crPending_ = false;
  if (lineHasContent_) emit("\r\n");  // a last line without its line end gets one
  EVP_DigestUpdate(digest_->ctx, out_.data(), out_.size());
  out_.clear();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(digest_->ctx, md, &len);
  return base64Encode(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(n);
  return out;
}

std::string base64Decode(std::string_view text, bool* ok) {
  std::string clean;
  for (char c : text)
    if (!isWsp(c) && c != '\r' && c != '\n') clean += c;
  *ok = false;
  if (clean.size() % 4 != 0) return "";
  std::string out(clean.size() / 4 * 3 + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
  if (n < 0) return "";
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (std::size_t i = clean.size(); i > 0 && clean[i - 1] == '='; --i) --len;
  out.resize(len);
  *ok = true;
  return out;
}

}  // namespace posthorn::mailauth
