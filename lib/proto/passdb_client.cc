// passdb_client - the client side of the authd passdb protocol (see passdb_client.h)
#include "lib/proto/passdb_client.h"

#include <utility>

namespace posthorn::passdb {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string encodeBase64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> decodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after padding
      v[k] = sextet(c);
      if (v[k] < 0) return std::nullopt;
    }
    const unsigned n = static_cast<unsigned>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
    out += static_cast<char>(n >> 16);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

PassdbClient::PassdbClient(std::string socketPath, std::chrono::milliseconds timeout)
    : client_(std::move(socketPath), "authd", {.connect = timeout, .io = timeout}) {}

template <class Request>
ipc::PassdbReply PassdbClient::exchange(const Request& request,
                                        ipc::RequestClient::Reconnect reconnect) {
  try {
    return client_.call<ipc::PassdbReply>(request, reconnect);
  } catch (const ipc::RequestError& e) {
    throw PassdbError(e.what());
  }
}

ipc::PassdbReply PassdbClient::start(const ipc::PassdbAuth& request) {
  return exchange(request, ipc::RequestClient::Reconnect::WhenStale);
}

ipc::PassdbReply PassdbClient::next(const std::string& response) {
  if (!client_.connected()) {
    throw PassdbError("authd at " + client_.socketPath() + ": no conversation");
  }
  ipc::PassdbContinue cont;
  cont.response = response;
  return exchange(cont, ipc::RequestClient::Reconnect::Never);
}

}  // namespace posthorn::passdb
