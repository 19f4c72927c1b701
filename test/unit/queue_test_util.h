// queue_test_util - what the queue tests add to test_util: a realistic
// envelope with every field set
#pragma once

#include <string>

#include "lib/queue/queue_envelope.h"
#include "test/unit/test_util.h"

namespace posthorn::testing {

// Every envelope field set to something distinctive, `recipients` of them.
inline queue::Envelope sampleEnvelope(std::size_t recipients = 3) {
  namespace notify = queue::notify;
  queue::Envelope e;
  e.sender = "sender+tag@example.org";
  e.arrival = queue::Time(std::chrono::microseconds(1700000000123456));
  e.envid = "QQ314159";
  e.ret = queue::Ret::Headers;
  e.body = queue::BodyType::EightBitMime;
  e.smtputf8 = true;
  e.auth = "<sender@example.org>";
  e.client = {"2001:db8::25", "mail.example.org", "mail.example.org", "ESMTPSA", "TLSv1.3",
              "TLS_AES_256_GCM_SHA384", "SCRAM-SHA-256", "sender"};
  e.attributes = {{"rewrite_context", "remote"}, {"x-spam-score", "0.3"}, {"empty", ""}};
  for (std::size_t i = 0; i < recipients; ++i) {
    queue::Recipient r;
    r.address = "user" + std::to_string(i) + "@example.net";
    r.orcpt = "rfc822;User" + std::to_string(i) + "@Example.NET";
    r.notify = static_cast<std::uint8_t>(i % 2 ? notify::kSuccess | notify::kFailure : notify::kDelay);
    r.originalAddress = "User" + std::to_string(i) + "@Example.NET";
    e.recipients.push_back(r);
  }
  return e;
}

}  // namespace posthorn::testing
