// cleanup_send - a cleanup client for tests: one message from stdin
//
//   cleanup_send [options] SOCKET SENDER [RECIPIENT...] < message
//
// Opens a message with cleanup (lib/cleanup_client), prints
// "queue_id=ID" as soon as cleanup has assigned one, sends the envelope,
// streams stdin as the content and prints cleanup's reply line ("250 2.0.0
// Ok: queued as ID"). A RECIPIENT is ADDRESS[|ORCPT[|NOTIFY[|ORIGINAL]]],
// NOTIFY a comma list of never, success, failure, delay. Options:
//   -l             local submission (adds a missing From:)
//   -t             extract recipients from the headers (sendmail -t)
//   -F NAME        full name for the added From:
//   -e ENVID  -R full|hdrs  -B 7bit|8bitmime|binarymime  -U (SMTPUTF8)  -A AUTH
//   -a ADDRESS -n NAME -h HELO -p PROTOCOL      the client
//   -T PROTOCOL,CIPHER   -S METHOD,USERNAME     TLS and SASL
//   -x NAME=VALUE  an attribute (repeatable)
//   -r DIR -u USER  chroot to DIR and become USER first (root only; SOCKET
//                   is then a path inside DIR)
// Exit status: 0 for a 2xx reply, 1 for any other reply, 2 for bad usage.
// The cleanup client's error text, if any, goes to stderr.
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "lib/proto/cleanup_client.h"
#include "lib/proto/proto_cleanup.h"
#include "lib/queue/queue_envelope.h"

namespace {

using posthorn::ipc::CleanupEnvelope;
using posthorn::ipc::CleanupRecipient;

int usage(const char* why) {
  std::fprintf(stderr, "cleanup_send: %s\nusage: cleanup_send [options] SOCKET SENDER [RECIPIENT...]\n",
               why);
  return 2;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

bool parseNotify(const std::string& text, std::uint8_t* bits) {
  namespace n = posthorn::queue::notify;
  *bits = 0;
  if (text.empty()) return true;
  for (const auto& word : split(text, ',')) {
    if (word == "never") *bits |= n::kNever;
    else if (word == "success") *bits |= n::kSuccess;
    else if (word == "failure") *bits |= n::kFailure;
    else if (word == "delay") *bits |= n::kDelay;
    else return false;
  }
  return true;
}

bool jail(const std::string& dir, const std::string& user) {
  const passwd* pw = ::getpwnam(user.c_str());
  if (::geteuid() != 0 || pw == nullptr) {
    std::fprintf(stderr, "cleanup_send: -r/-u need root and a known user\n");
    return false;
  }
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  if (::chroot(dir.c_str()) != 0 || ::chdir("/") != 0 || ::setgroups(1, &gid) != 0 ||
      ::setgid(gid) != 0 || ::setuid(uid) != 0) {
    std::fprintf(stderr, "cleanup_send: jail: %s\n", std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  namespace ipc = posthorn::ipc;
  CleanupEnvelope env;
  std::uint32_t flags = 0;
  std::string root, user;
  int opt;
  while ((opt = ::getopt(argc, argv, "ltF:e:R:B:UA:a:n:h:p:T:S:x:r:u:")) != -1) {
    const std::string arg = optarg ? optarg : "";
    switch (opt) {
      case 'l': flags |= ipc::cleanup_flags::kLocalSubmission; break;
      case 't': flags |= ipc::cleanup_flags::kExtractRecipients; break;
      case 'F': env.fullName = arg; break;
      case 'e': env.envid = arg; break;
      case 'R':
        if (arg == "full") env.ret = posthorn::queue::Ret::Full;
        else if (arg == "hdrs") env.ret = posthorn::queue::Ret::Headers;
        else return usage("-R takes full or hdrs");
        break;
      case 'B':
        if (arg == "7bit") env.body = posthorn::queue::BodyType::SevenBit;
        else if (arg == "8bitmime") env.body = posthorn::queue::BodyType::EightBitMime;
        else if (arg == "binarymime") env.body = posthorn::queue::BodyType::BinaryMime;
        else return usage("-B takes 7bit, 8bitmime or binarymime");
        break;
      case 'U': env.smtputf8 = true; break;
      case 'A': env.auth = arg; break;
      case 'a': env.clientAddress = arg; break;
      case 'n': env.clientName = arg; break;
      case 'h': env.helo = arg; break;
      case 'p': env.protocol = arg; break;
      case 'T': {
        const auto parts = split(arg, ',');
        if (parts.size() != 2) return usage("-T takes PROTOCOL,CIPHER");
        env.tlsProtocol = parts[0];
        env.tlsCipher = parts[1];
        break;
      }
      case 'S': {
        const auto parts = split(arg, ',');
        if (parts.size() != 2) return usage("-S takes METHOD,USERNAME");
        env.saslMethod = parts[0];
        env.saslUsername = parts[1];
        break;
      }
      case 'x': {
        const auto eq = arg.find('=');
        if (eq == std::string::npos) return usage("-x takes NAME=VALUE");
        env.attributes.push_back({arg.substr(0, eq), arg.substr(eq + 1)});
        break;
      }
      case 'r': root = arg; break;
      case 'u': user = arg; break;
      default: return usage("unknown option");
    }
  }
  if (argc - optind < 2) return usage("SOCKET and SENDER are required");
  const std::string socketPath = argv[optind];
  env.sender = argv[optind + 1];
  for (int i = optind + 2; i < argc; ++i) {
    const auto parts = split(argv[i], '|');
    CleanupRecipient r;
    r.address = parts[0];
    if (parts.size() > 1) r.orcpt = parts[1];
    if (parts.size() > 2 && !parseNotify(parts[2], &r.notify)) return usage("bad NOTIFY list");
    if (parts.size() > 3) r.originalAddress = parts[3];
    env.recipients.push_back(r);
  }
  if (!root.empty() && !jail(root, user)) return 2;

  posthorn::cleanup::CleanupClient client(socketPath);
  if (client.open(flags)) {
    std::printf("queue_id=%s\n", client.queueId().c_str());
    std::fflush(stdout);
  }
  if (client.begin(env, flags)) {
    std::vector<char> buf(100000);  // not a multiple of the frame size
    for (;;) {
      const ssize_t n = ::read(0, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (!client.write(std::string_view(buf.data(), static_cast<std::size_t>(n)))) break;
    }
  }
  const ipc::CleanupReply reply = client.finish();
  if (!client.error().empty()) std::fprintf(stderr, "cleanup_send: %s\n", client.error().c_str());
  std::printf("%s\n", reply.line().c_str());
  return reply.ok() ? 0 : 1;
}
