// message_source - the bytes a delivery agent stores, handed over in pieces
//
// A message is LF-terminated lines: headers, an empty line, the body. The
// writers pull it with read() so a 50 MB message never sits in memory.
// read() may throw (a queue file checksum error, say): the writer then
// removes what it had written and lets the exception through.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace posthorn::mailbox {

class MessageSource {
 public:
  virtual ~MessageSource() = default;
  // Copies up to `size` bytes into `buf`; returns 0 only at the end.
  virtual std::size_t read(char* buf, std::size_t size) = 0;
};

// A message (or a prefix such as Return-Path/Delivered-To) held in memory.
class StringSource : public MessageSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  std::size_t read(char* buf, std::size_t size) override;

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

// Several sources read one after another: prefix headers, then the queue file.
class ChainSource : public MessageSource {
 public:
  ChainSource() = default;
  // The parts are not owned and must outlive the chain.
  ChainSource(std::initializer_list<MessageSource*> parts) : parts_(parts) {}

  void add(MessageSource& part) { parts_.push_back(&part); }
  void add(std::unique_ptr<MessageSource> part);  // owned by the chain
  std::size_t read(char* buf, std::size_t size) override;

 private:
  std::vector<MessageSource*> parts_;
  std::vector<std::unique_ptr<MessageSource>> owned_;
  std::size_t current_ = 0;
};

}  // namespace posthorn::mailbox
