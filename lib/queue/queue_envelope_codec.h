// queue_envelope_codec - envelope <-> records (T S M C N R E, and U updates)
//
// Used by the writer, the reader and the updater; FieldError reports what is
// wrong inside one record (the caller adds path and offset).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/queue/queue_envelope.h"
#include "lib/queue/queue_record.h"

namespace posthorn::queue {

// Throws FieldError when the envelope cannot be written (no recipients,
// an empty attribute name, NOTIFY bits that do not exist, ...).
void validateEnvelope(const Envelope& envelope);

struct EncodedEnvelope {
  std::string bytes;                       // records T S M C N* R* E
  std::vector<std::uint64_t> slotOffsets;  // file offset of each recipient's slots
};
// `offset` is where bytes[0] will be in the file.
EncodedEnvelope encodeEnvelope(const Envelope& envelope, std::uint64_t offset);

SlotImage toSlotImage(const RecipientStatus& status, std::uint32_t seq);
RecipientStatus fromSlotImage(const SlotImage& image);  // FieldError: unknown state

// One recipient's change in an 'U' record: the whole new status image (with
// its sequence number) and the report recorded with it.
struct UpdateEntry {
  std::uint32_t index = 0;
  SlotImage image;
  bool hasReport = false;  // otherwise the recipient's last report stands
  DeliveryReport report;
};
std::string encodeUpdate(Time time, const std::vector<UpdateEntry>& entries);
std::vector<UpdateEntry> decodeUpdate(std::string_view data, bool tolerateTrailing);

// Builds an Envelope from the records between 'X' and 'E', in file order.
class EnvelopeDecoder {
 public:
  struct Slots {
    std::uint64_t offset = 0;                       // of the first copy, in the file
    std::array<std::optional<SlotImage>, 2> copies;  // nullopt: CRC does not match
  };

  explicit EnvelopeDecoder(bool tolerateTrailing) : tolerateTrailing_(tolerateTrailing) {}
  void add(const RawRecord& record);  // throws FieldError
  // Throws FieldError if a required record is missing. Recipients' status
  // comes from their slots (the caller applies update records on top).
  Envelope finish();
  const std::vector<Slots>& slots() const { return slots_; }

 private:
  bool tolerateTrailing_;
  Envelope envelope_;
  std::vector<Slots> slots_;
  int times_ = 0, senders_ = 0, params_ = 0, clients_ = 0, prepends_ = 0;
};

}  // namespace posthorn::queue
