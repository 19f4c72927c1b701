// dmarc_command - `posthorn dmarc`: DMARC aggregate reports
//
//   posthorn dmarc send [-c DIR] [-d YYYYMMDD] [-n] [-o DIR]
//   posthorn dmarc report FILE...
//
// send builds, from the evaluations smtpd kept in $queue_directory/dmarc,
// one aggregate report (RFC 7489 7.2, gzip XML) per policy domain and
// day, and mails it to each rua= address the domain's record names that
// may receive it (section 7.1's check for addresses in other domains);
// then the day's file is renamed DAY.reported. Without -d, every day
// before today that is not reported yet. -n sends nothing and renames
// nothing; -o DIR keeps a copy of each report there. report reads
// aggregate reports others sent about our domains (XML, gzip, or a whole
// message with one as attachment) and prints what passed and failed from
// which sources. See posthorn-dmarc(1).
//
// Exit status: 0 done; 1 a report could not be sent or read; 2 usage.
#pragma once

#include <iostream>
#include <string>
#include <vector>

namespace posthorn::tools {

// args exclude the program and the word "dmarc".
int runDmarc(const std::vector<std::string>& args, std::ostream& out = std::cout, std::ostream& err = std::cerr);

}  // namespace posthorn::tools
