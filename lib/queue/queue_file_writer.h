// queue_file_writer - creates a queue file durably (cleanup's job)
//
//   QueueFileWriter w("incoming");       // creates incoming/.<id>.tmp, 0600
//   log("%s: ...", w.id().str().c_str());
//   while (...) w.appendContent(chunk);  // streamed: memory stays bounded
//   w.commit(envelope);                  // only now may smtpd answer 250
//
// commit() writes the envelope after the content, fills in the header,
// fsyncs and closes the file (close checked), renames it to <dir>/<id>
// without replacing anything that exists, and fsyncs the directory. It
// returns only when all of that succeeded. Any failure, here or in
// appendContent(), removes the temporary file and throws QueueFileError
// (the caller answers 4xx). Destroying a writer that was not committed
// removes the temporary file too. The temporary name starts with a dot and
// is not a valid queue ID, so no scanner ever picks it up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/queue/queue_envelope.h"
#include "lib/queue/queue_id.h"
#include "lib/queue/queue_io.h"

namespace posthorn::queue {

class QueueFileWriter {
 public:
  // A fresh queue ID.
  explicit QueueFileWriter(std::string directory);
  // A given one (tests, tools); the file must not exist yet.
  QueueFileWriter(std::string directory, QueueId id);
  ~QueueFileWriter();
  QueueFileWriter(const QueueFileWriter&) = delete;
  QueueFileWriter& operator=(const QueueFileWriter&) = delete;

  const QueueId& id() const { return id_; }
  const std::string& tempPath() const { return tempPath_; }
  const std::string& finalPath() const { return finalPath_; }

  // Headers and body, raw, in any number of pieces. At most 4 GiB - 1.
  void appendContent(std::string_view chunk);
  std::uint64_t contentSize() const { return contentLength_; }

  // Writes the envelope (statuses and non-empty reports included) and makes
  // the file durable under its final name. Returns finalPath().
  const std::string& commit(const Envelope& envelope);
  // Gives up: removes the temporary file. Harmless after commit().
  void abort() noexcept;

  static std::string tempName(const QueueId& id) { return "." + id.str() + ".tmp"; }

 private:
  void create(bool idGiven);
  void flush();
  void publish();

  std::string directory_;
  QueueId id_;
  std::string tempPath_, finalPath_;
  FileHandle dir_, file_;
  std::string buffer_;
  std::uint64_t contentLength_ = 0;
  std::uint32_t contentCrc_ = 0;
  bool committed_ = false;
};

}  // namespace posthorn::queue
