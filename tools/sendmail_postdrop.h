// sendmail_postdrop - runs postdrop(1) and streams one message to it
//
//   PostdropPipe p(settings);
//   if (!p.start(header)) ...           // fork + exec $command_directory/postdrop
//   p.write(content) ...                // the maildrop stream (maildrop_file.h)
//   PostdropResult r = p.finish();      // end marker, close, wait
//
// postdrop prints the new queue ID on its stdout and its errors on the
// stderr it shares with us. A message that is not finished (abandon(), or
// the object destroyed) reaches postdrop without its end marker, and
// postdrop removes its temporary file.
#pragma once

#include <sys/types.h>
#include <sysexits.h>

#include <memory>
#include <string>
#include <string_view>

#include "lib/queue/maildrop_file.h"

namespace posthorn::sendmail {

struct PostdropSettings {
  std::string program;    // $command_directory/postdrop
  std::string configDir;  // passed as -c when not empty
  bool verbose = false;
};

struct PostdropResult {
  int exitCode = EX_OK;  // postdrop's exit status (sysexits.h); EX_TEMPFAIL when killed
  std::string queueId;   // what postdrop printed on success
  std::string error;     // our own trouble (exec, pipe), "" if none
};

class PostdropPipe {
 public:
  explicit PostdropPipe(PostdropSettings settings);
  ~PostdropPipe();
  PostdropPipe(const PostdropPipe&) = delete;
  PostdropPipe& operator=(const PostdropPipe&) = delete;

  // Starts postdrop and sends the header. false: error() says why.
  bool start(const maildrop::MaildropHeader& header);
  // Content; once postdrop has gone away, the rest is dropped quietly
  // (finish() reports its exit status).
  void write(std::string_view content);
  PostdropResult finish();
  void abandon();
  const std::string& error() const { return error_; }
  std::uint64_t contentLength() const { return writer_ ? writer_->contentLength() : 0; }

 private:
  void sink(std::string_view bytes);
  void flush();
  PostdropResult wait();

  PostdropSettings settings_;
  pid_t pid_ = -1;
  int toChild_ = -1;
  int fromChild_ = -1;
  bool broken_ = false;  // postdrop stopped reading
  std::string buffer_;
  std::unique_ptr<maildrop::MaildropWriter> writer_;
  std::string error_;
};

}  // namespace posthorn::sendmail
