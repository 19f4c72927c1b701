// smtpd_received - the Received: header smtpd puts on top of each message
//
//   Received: from HELO (NAME [ADDR])
//   	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
//   	by MYHOSTNAME (posthorn) with ESMTPS id QUEUEID
//   	for <RCPT>; Tue,  9 Jan 2024 10:00:00 +0100 (CET)
//
// as Postfix writes it (RFC 5321 4.4): the TLS line only with TLS, "for"
// only with exactly one recipient, an IPv6 address as [IPv6:...]. Lines end
// in CRLF (the content smtpd sends to cleanup is in wire form).
#pragma once

#include <ctime>
#include <string>

namespace posthorn::smtpd {

struct ReceivedInfo {
  std::string helo;         // may be empty (no HELO/EHLO)
  std::string clientName;   // "unknown" without a verified reverse name
  std::string clientAddress;
  std::string tls;          // tls::SessionInfo::describe(); empty without TLS
  std::string myhostname;
  std::string mailName;     // "posthorn"
  std::string protocol;     // "ESMTPS", "UTF8SMTPS", ...
  std::string queueId;
  std::string recipient;    // the only recipient, or empty
  std::time_t when = 0;
};

std::string receivedHeader(const ReceivedInfo& info);

// RFC 5322 date-time in local time: "Tue,  9 Jan 2024 10:00:00 +0100 (CET)".
std::string rfc5322Date(std::time_t when);

}  // namespace posthorn::smtpd
