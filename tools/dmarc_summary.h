// dmarc_summary - `posthorn dmarc report FILE...`: what the aggregate
// reports others send about our domains say
//
// Each FILE is a report as XML, gzip-compressed XML, or a whole message
// (as it lands in a mailbox) with the report attached. The XML is parsed
// with libxml2 (no network, no external entities). For each report: who
// sent it, the domain and the day, the published policy, and each source
// address with its count, disposition and DKIM/SPF alignment; then the
// totals and the sources that failed DMARC.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace posthorn::tools {

// 0 when every file was read; 1 otherwise (the others are still shown).
int summarizeReports(const std::vector<std::string>& files, std::ostream& out, std::ostream& err);

}  // namespace posthorn::tools
