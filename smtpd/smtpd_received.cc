// smtpd_received - formatting the Received: header and RFC 5322 dates
#include "smtpd/smtpd_received.h"

#include <cstdio>

namespace posthorn::smtpd {

std::string rfc5322Date(std::time_t when) {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  localtime_r(&when, &tm);
  long offset = tm.tm_gmtoff / 60;
  const char sign = offset < 0 ? '-' : '+';
  if (offset < 0) offset = -offset;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s, %2d %s %d %02d:%02d:%02d %c%02ld%02ld", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec, sign, offset / 60, offset % 60);
  std::string out = buf;
  if (tm.tm_zone != nullptr && tm.tm_zone[0] != '\0') out += std::string(" (") + tm.tm_zone + ")";
  return out;
}

std::string receivedHeader(const ReceivedInfo& info) {
  const bool v6 = info.clientAddress.find(':') != std::string::npos;
  const std::string literal = "[" + std::string(v6 ? "IPv6:" : "") + info.clientAddress + "]";
  const std::string& from = info.helo.empty() ? info.clientName : info.helo;
  std::string h = "Received: from " + from + " (" + info.clientName + " " + literal + ")\r\n";
  if (!info.tls.empty()) h += "\t(using " + info.tls + ")\r\n";
  h += "\tby " + info.myhostname + " (" + info.mailName + ") with " + info.protocol + " id " +
       info.queueId;
  if (!info.recipient.empty()) h += "\r\n\tfor <" + info.recipient + ">";
  h += "; " + rfc5322Date(info.when) + "\r\n";
  return h;
}

}  // namespace posthorn::smtpd
