// sendmail_postdrop - fork/exec of postdrop and the stream to its stdin
#include "tools/sendmail_postdrop.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace posthorn::sendmail {
namespace {

constexpr std::size_t kBuffer = 64 * 1024;

std::string errnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

PostdropPipe::PostdropPipe(PostdropSettings settings) : settings_(std::move(settings)) {}

PostdropPipe::~PostdropPipe() {
  if (pid_ > 0) abandon();
}

bool PostdropPipe::start(const maildrop::MaildropHeader& header) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) {
    error_ = errnoText("pipe");
    return false;
  }
  if (::pipe2(out, O_CLOEXEC) != 0) {
    error_ = errnoText("pipe");
    ::close(in[0]);
    ::close(in[1]);
    return false;
  }
  std::vector<std::string> args = {settings_.program, "-r"};
  if (!settings_.configDir.empty()) {
    args.push_back("-c");
    args.push_back(settings_.configDir);
  }
  if (settings_.verbose) args.push_back("-v");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) {
    error_ = errnoText("fork");
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return false;
  }
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::execv(argv[0], argv.data());
    const std::string msg = "sendmail: fatal: execv " + settings_.program + ": " +
                            std::strerror(errno) + "\n";
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(EX_OSERR);
  }
  ::close(in[0]);
  ::close(out[1]);
  toChild_ = in[1];
  fromChild_ = out[0];
  try {
    writer_ = std::make_unique<maildrop::MaildropWriter>(
        [this](std::string_view b) { sink(b); }, header);
  } catch (const maildrop::MaildropError& e) {
    error_ = e.what();
    abandon();
    return false;
  }
  return true;
}

void PostdropPipe::sink(std::string_view bytes) {
  buffer_.append(bytes);
  if (buffer_.size() >= kBuffer) flush();
}

void PostdropPipe::flush() {
  std::size_t done = 0;
  while (!broken_ && done < buffer_.size()) {
    const ssize_t n = ::write(toChild_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      broken_ = true;  // EPIPE: postdrop refused the message and said why
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

void PostdropPipe::write(std::string_view content) {
  if (writer_) writer_->write(content);
}

PostdropResult PostdropPipe::finish() {
  if (writer_) writer_->finish();
  flush();
  return wait();
}

void PostdropPipe::abandon() {
  buffer_.clear();
  writer_.reset();
  wait();
}

PostdropResult PostdropPipe::wait() {
  PostdropResult r;
  if (toChild_ >= 0) ::close(toChild_);
  toChild_ = -1;
  std::string out;
  if (fromChild_ >= 0) {
    char buf[256];
    for (;;) {
      const ssize_t n = ::read(fromChild_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (out.size() < 4096) out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fromChild_);
    fromChild_ = -1;
  }
  if (pid_ <= 0) {
    r.exitCode = EX_OSERR;
    r.error = error_;
    return r;
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  writer_.reset();
  if (WIFEXITED(status)) {
    r.exitCode = WEXITSTATUS(status);
  } else {
    r.exitCode = EX_TEMPFAIL;
    r.error = "postdrop was killed by signal " + std::to_string(WTERMSIG(status));
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (r.exitCode == EX_OK) r.queueId = out;
  return r;
}

}  // namespace posthorn::sendmail
