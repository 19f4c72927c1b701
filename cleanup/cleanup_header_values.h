// cleanup_header_values - the text of the headers cleanup adds
//
//   Message-ID: <20231102143015.1BvWq3ZkT0004@mail.example.com>
//   Date: Thu, 2 Nov 2023 15:30:15 +0100 (CET)
//   From: Jane Doe <jane@example.com>
//
// The Message-ID is unique because the queue ID is unique on this host and
// myhostname names the host. The Date is in the local time zone: call
// tzset() before chroot so that the zone is known inside the jail.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace posthorn::cleanup {

// RFC 5322 date-time in local time: "Thu, 2 Nov 2023 15:30:15 +0100 (CET)".
std::string rfc5322Date(std::time_t when);

// "<YYYYMMDDhhmmss.QUEUEID@myhostname>", the time in UTC.
std::string messageIdValue(std::string_view queueId, std::time_t when, std::string_view myhostname);

// The From: value for a local submission without one: "Full Name <sender>"
// (the phrase quoted, or RFC 2047-encoded when not ASCII), or just the
// sender; MAILER-DAEMON@myhostname for the null sender.
std::string fromValue(std::string_view sender, std::string_view fullName,
                      std::string_view myhostname);

}  // namespace posthorn::cleanup
