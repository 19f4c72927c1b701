// queue_dump - prints a queue file for tests and for people
//
//   queue_dump [-e] FILE
//
// Reads FILE with QueueFileReader (checksums and all) and prints its
// envelope as "name=value" lines, values escaped (\\, and \xHH for bytes
// outside printable ASCII), then "content.length=N", an empty line and the
// content bytes exactly (not with -e). Recipients are "rcpt.N.field=value".
// Exit status 0, or 1 with the reader's error on stderr (a damaged file).
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "lib/queue/queue_error.h"
#include "lib/queue/queue_file_reader.h"

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

void field(const std::string& name, const std::string& value) {
  std::printf("%s=%s\n", name.c_str(), escape(value).c_str());
}

void field(const std::string& name, long long value) { std::printf("%s=%lld\n", name.c_str(), value); }

}  // namespace

int main(int argc, char** argv) {
  bool envelopeOnly = false;
  int arg = 1;
  if (arg < argc && std::strcmp(argv[arg], "-e") == 0) {
    envelopeOnly = true;
    ++arg;
  }
  if (arg + 1 != argc) {
    std::fprintf(stderr, "usage: queue_dump [-e] FILE\n");
    return 2;
  }
  try {
    namespace q = posthorn::queue;
    q::QueueFileReader reader(argv[arg]);
    const q::Envelope& e = reader.envelope();
    field("sender", e.sender);
    field("arrival", static_cast<long long>(e.arrival.time_since_epoch().count()));
    field("envid", e.envid);
    field("ret", static_cast<long long>(e.ret));
    field("body", static_cast<long long>(e.body));
    field("smtputf8", e.smtputf8 ? 1 : 0);
    field("auth", e.auth);
    field("client.address", e.client.address);
    field("client.name", e.client.name);
    field("client.helo", e.client.helo);
    field("client.protocol", e.client.protocol);
    field("client.tls_protocol", e.client.tlsProtocol);
    field("client.tls_cipher", e.client.tlsCipher);
    field("client.sasl_method", e.client.saslMethod);
    field("client.sasl_username", e.client.saslUsername);
    for (const auto& [name, value] : e.attributes) field("attribute", name + "=" + value);
    field("rcpt.count", static_cast<long long>(e.recipients.size()));
    for (std::size_t i = 0; i < e.recipients.size(); ++i) {
      const q::Recipient& r = e.recipients[i];
      const std::string p = "rcpt." + std::to_string(i) + ".";
      field(p + "address", r.address);
      field(p + "orcpt", r.orcpt);
      field(p + "notify", r.notify);
      field(p + "original", r.originalAddress);
      field(p + "state", std::string(q::recipientStateName(r.status.state)));
      field(p + "attempts", r.status.attempts);
    }
    field("content.length", static_cast<long long>(reader.contentLength()));
    if (envelopeOnly) return 0;
    std::printf("\n");
    std::fflush(stdout);
    q::ContentReader content = reader.content();
    char buf[65536];
    while (const std::size_t n = content.read(buf, sizeof buf)) {
      if (std::fwrite(buf, 1, n, stdout) != n) return 1;
    }
    return std::fflush(stdout) == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "queue_dump: %s\n", e.what());
    return 1;
  }
}
