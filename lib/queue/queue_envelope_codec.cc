// queue_envelope_codec - encoding and decoding the envelope records
#include "lib/queue/queue_envelope_codec.h"

namespace posthorn::queue {
namespace {

void putTime(std::string& out, Time t) { putI64(out, t.time_since_epoch().count()); }
Time getTime(FieldReader& in) { return Time(std::chrono::microseconds(in.i64())); }

std::string record(char type, const std::string& data) {
  std::string out;
  appendRecord(out, type, data);
  return out;
}

}  // namespace

void validateEnvelope(const Envelope& e) {
  if (e.recipients.empty()) throw FieldError("a queue file needs at least one recipient");
  if (static_cast<std::uint8_t>(e.ret) > 2) throw FieldError("RET value out of range");
  if (static_cast<std::uint8_t>(e.body) > 3) throw FieldError("BODY value out of range");
  for (const auto& [name, value] : e.attributes)
    if (name.empty()) throw FieldError("an attribute has an empty name");
  for (std::size_t i = 0; i < e.recipients.size(); ++i) {
    const Recipient& r = e.recipients[i];
    if (r.notify & ~notify::kAll)
      throw FieldError("recipient " + std::to_string(i) + ": unknown NOTIFY bits");
    if (static_cast<std::uint8_t>(r.status.state) > kMaxRecipientState)
      throw FieldError("recipient " + std::to_string(i) + ": unknown state");
  }
}

SlotImage toSlotImage(const RecipientStatus& status, std::uint32_t seq) {
  SlotImage s;
  s.seq = seq;
  s.state = static_cast<std::uint8_t>(status.state);
  s.flags = status.delayWarned ? kSlotFlagDelayWarned : 0;
  s.attempts = status.attempts;
  s.nextRetry = status.nextRetry.time_since_epoch().count();
  return s;
}

RecipientStatus fromSlotImage(const SlotImage& s) {
  if (s.state > kMaxRecipientState)
    throw FieldError("unknown recipient state " + std::to_string(s.state));
  RecipientStatus status;
  status.state = static_cast<RecipientState>(s.state);
  status.delayWarned = (s.flags & kSlotFlagDelayWarned) != 0;
  status.attempts = s.attempts;
  status.nextRetry = std::chrono::sys_seconds(std::chrono::seconds(s.nextRetry));
  return status;
}

EncodedEnvelope encodeEnvelope(const Envelope& e, std::uint64_t offset) {
  validateEnvelope(e);
  EncodedEnvelope out;
  std::string data;

  putTime(data, e.arrival);
  out.bytes += record(rec::kTime, data);

  out.bytes += record(rec::kSender, e.sender);

  data.clear();
  putU8(data, static_cast<std::uint8_t>(e.ret));
  putU8(data, static_cast<std::uint8_t>(e.body));
  putU8(data, e.smtputf8 ? 1 : 0);
  putString(data, e.envid);
  putString(data, e.auth);
  out.bytes += record(rec::kMailParams, data);

  data.clear();
  for (const std::string* s : {&e.client.address, &e.client.name, &e.client.helo,
                               &e.client.protocol, &e.client.tlsProtocol, &e.client.tlsCipher,
                               &e.client.saslMethod, &e.client.saslUsername})
    putString(data, *s);
  out.bytes += record(rec::kClient, data);

  if (!e.prependedHeader.empty()) out.bytes += record(rec::kPrepend, e.prependedHeader);

  for (const auto& [name, value] : e.attributes) {
    data.clear();
    putString(data, name);
    putString(data, value);
    out.bytes += record(rec::kAttribute, data);
  }

  for (const Recipient& r : e.recipients) {
    data = encodeSlot(toSlotImage(r.status, 1));  // copy A: the current state
    data += encodeSlot(toSlotImage(r.status, 0));  // copy B: same state, older seq
    putU8(data, r.notify);
    putString(data, r.address);
    putString(data, r.orcpt);
    putString(data, r.originalAddress);
    out.slotOffsets.push_back(offset + out.bytes.size() + kRecordHeaderSize);
    out.bytes += record(rec::kRecipient, data);
  }

  out.bytes += record(rec::kEnd, "");
  return out;
}

std::string encodeUpdate(Time time, const std::vector<UpdateEntry>& entries) {
  std::string data;
  putTime(data, time);
  putU32(data, static_cast<std::uint32_t>(entries.size()));
  for (const UpdateEntry& u : entries) {
    putU32(data, u.index);
    putSlotImage(data, u.image);
    putU8(data, u.hasReport ? 1 : 0);
    if (!u.hasReport) continue;
    putTime(data, u.report.time);
    putString(data, u.report.dsnStatus);
    putString(data, u.report.diagnostic);
    putString(data, u.report.remoteMta);
  }
  return data;
}

std::vector<UpdateEntry> decodeUpdate(std::string_view data, bool tolerateTrailing) {
  FieldReader in(data);
  getTime(in);  // when the record was written; informational
  const std::uint32_t count = in.u32();
  // Each entry takes at least 25 bytes: never trust count for reserve().
  if (count > in.remaining() / 25) throw FieldError("update entry count overruns the record");
  std::vector<UpdateEntry> entries(count);
  for (UpdateEntry& u : entries) {
    u.index = in.u32();
    u.image = getSlotImage(in);
    fromSlotImage(u.image);  // validates the state
    const std::uint8_t hasReport = in.u8();
    if (hasReport > 1) throw FieldError("report flag " + std::to_string(hasReport) + " out of range");
    u.hasReport = hasReport == 1;
    if (!u.hasReport) continue;
    u.report.time = getTime(in);
    u.report.dsnStatus = in.string();
    u.report.diagnostic = in.string();
    u.report.remoteMta = in.string();
  }
  in.finish(tolerateTrailing);
  return entries;
}

void EnvelopeDecoder::add(const RawRecord& r) {
  FieldReader in(r.data);
  switch (r.type) {
    case rec::kTime:
      if (times_++) throw FieldError("duplicate arrival time record");
      envelope_.arrival = getTime(in);
      break;
    case rec::kSender:
      if (senders_++) throw FieldError("duplicate sender record");
      envelope_.sender = std::string(r.data);
      in.bytes(r.data.size());
      break;
    case rec::kMailParams: {
      if (params_++) throw FieldError("duplicate mail parameters record");
      const std::uint8_t ret = in.u8(), body = in.u8(), utf8 = in.u8();
      if (ret > 2) throw FieldError("RET value " + std::to_string(ret) + " out of range");
      if (body > 3) throw FieldError("BODY value " + std::to_string(body) + " out of range");
      if (utf8 > 1) throw FieldError("SMTPUTF8 flag " + std::to_string(utf8) + " out of range");
      envelope_.ret = static_cast<Ret>(ret);
      envelope_.body = static_cast<BodyType>(body);
      envelope_.smtputf8 = utf8 != 0;
      envelope_.envid = in.string();
      envelope_.auth = in.string();
      break;
    }
    case rec::kClient: {
      if (clients_++) throw FieldError("duplicate client record");
      ClientInfo& c = envelope_.client;
      for (std::string* s : {&c.address, &c.name, &c.helo, &c.protocol, &c.tlsProtocol,
                             &c.tlsCipher, &c.saslMethod, &c.saslUsername})
        *s = in.string();
      break;
    }
    case rec::kPrepend:
      if (prepends_++) throw FieldError("duplicate prepended header record");
      envelope_.prependedHeader = std::string(r.data);
      in.bytes(r.data.size());
      break;
    case rec::kAttribute: {
      std::string name = in.string();
      if (name.empty()) throw FieldError("attribute with an empty name");
      envelope_.attributes.emplace_back(std::move(name), in.string());
      break;
    }
    case rec::kRecipient: {
      Slots slots;
      slots.offset = r.offset + kRecordHeaderSize;
      slots.copies[0] = decodeSlot(in.bytes(kSlotSize));
      slots.copies[1] = decodeSlot(in.bytes(kSlotSize));
      Recipient rcpt;
      rcpt.notify = in.u8();
      if (rcpt.notify & ~notify::kAll) throw FieldError("unknown NOTIFY bits");
      rcpt.address = in.string();
      rcpt.orcpt = in.string();
      rcpt.originalAddress = in.string();
      envelope_.recipients.push_back(std::move(rcpt));
      slots_.push_back(slots);
      break;
    }
    default:
      if (isOptionalType(r.type)) return;  // a newer writer's optional record
      throw FieldError("unknown record type " + typeName(r.type) + " in the envelope");
  }
  in.finish(tolerateTrailing_);
}

Envelope EnvelopeDecoder::finish() {
  if (times_ == 0) throw FieldError("no arrival time record");
  if (senders_ == 0) throw FieldError("no sender record");
  if (envelope_.recipients.empty()) throw FieldError("no recipient records");
  return std::move(envelope_);
}

}  // namespace posthorn::queue
