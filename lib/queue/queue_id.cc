// queue_id - generating and parsing queue IDs (time in µs + pid, base 62)
#include "lib/queue/queue_id.h"

#include <unistd.h>

#include <atomic>

namespace posthorn::queue {
namespace {

constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int digitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c >= 'a' && c <= 'z') return c - 'a' + 36;
  return -1;
}

void appendBase62(std::string& out, std::uint64_t value, std::size_t width) {
  std::string digits(width, '0');
  for (std::size_t i = width; i-- > 0;) {
    digits[i] = kDigits[value % 62];
    value /= 62;
  }
  out += digits;
}

std::uint64_t decodeBase62(std::string_view text) {
  std::uint64_t value = 0;
  for (char c : text) value = value * 62 + static_cast<std::uint64_t>(digitValue(c));
  return value;
}

// The last time handed out by this process, in µs since the epoch.
std::atomic<std::int64_t> lastMicros{0};

std::int64_t nextMicros() {
  using namespace std::chrono;
  const std::int64_t now =
      duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  std::int64_t last = lastMicros.load(std::memory_order_relaxed);
  for (;;) {
    const std::int64_t next = now > last ? now : last + 1;
    if (lastMicros.compare_exchange_weak(last, next, std::memory_order_relaxed)) return next;
  }
}

}  // namespace

QueueId QueueId::make(std::chrono::sys_time<std::chrono::microseconds> time, pid_t pid) {
  std::string text;
  text.reserve(kLength);
  appendBase62(text, static_cast<std::uint64_t>(time.time_since_epoch().count()), kTimeDigits);
  appendBase62(text, static_cast<std::uint64_t>(pid), kPidDigits);
  return QueueId(std::move(text));
}

QueueId QueueId::generate() {
  return make(std::chrono::sys_time<std::chrono::microseconds>(
                  std::chrono::microseconds(nextMicros())),
              getpid());
}

bool QueueId::isValid(std::string_view text) {
  if (text.size() != kLength) return false;
  for (char c : text)
    if (digitValue(c) < 0) return false;
  return true;
}

std::optional<QueueId> QueueId::parse(std::string_view text) {
  if (!isValid(text)) return std::nullopt;
  return QueueId(std::string(text));
}

std::chrono::sys_time<std::chrono::microseconds> QueueId::time() const {
  if (text_.size() != kLength) return {};
  return std::chrono::sys_time<std::chrono::microseconds>(std::chrono::microseconds(
      static_cast<std::int64_t>(decodeBase62(std::string_view(text_).substr(0, kTimeDigits)))));
}

pid_t QueueId::pid() const {
  if (text_.size() != kLength) return 0;
  return static_cast<pid_t>(decodeBase62(std::string_view(text_).substr(kTimeDigits)));
}

}  // namespace posthorn::queue
