// trigger - what a connection to qmgr's public socket asks for
//
// cleanup connects and writes a byte when incoming/ has a new file, master
// does the same on the wakeup timer, and `posthorn queue flush` (or
// release) writes 'F' for a run over deferred/ now.
#pragma once

namespace posthorn::qmgr {

enum class Trigger { Incoming, Flush };

// Reads the trigger bytes from `fd` (waiting a moment when they are not
// there yet) and closes it. Anything but an 'F' means "look at incoming/".
Trigger readTrigger(int fd);

}  // namespace posthorn::qmgr
