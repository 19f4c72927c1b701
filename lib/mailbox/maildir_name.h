// maildir_name - unique Maildir file names in Dovecot's style
//
//   <secs>.M<usecs>P<pid>Q<counter>.<hostname>
//
// The counter is per process and never repeats, the pid separates
// processes, so two deliveries never get the same name. In the host name
// '/' is written \057 and ':' \072 (both are special in Maildir names).
#pragma once

#include <cstdint>
#include <string>

namespace posthorn::mailbox {

// A fresh name; each call advances the process-wide counter.
std::string maildirUniqueName();

// The host name with '/' and ':' escaped as above.
std::string maildirHostname();

// The value of a ",<key>=<digits>" field in a Maildir file name (Dovecot's
// ,S=size and ,W=vsize); false when the name has no such field.
bool maildirNameField(const std::string& name, char key, std::uint64_t& value);

}  // namespace posthorn::mailbox
