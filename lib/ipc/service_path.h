// service_path - where a posthorn service's Unix socket is, seen from a client
//
//   ipc::servicePath("/var/spool/posthorn", false, mapd::kMapdService)
//       == "/var/spool/posthorn/private/mapd"
//   ipc::servicePath("/var/spool/posthorn", true, mapd::kMapdService)
//       == "/private/mapd"              (chrooted into the queue directory)
//
// master binds every unix service of master.conf in the queue directory's
// private/ (only posthorn's own processes may connect) or public/ (any
// local user, through setgid postdrop) folder. Each client header names
// its service once (kMapdService, kCleanupService, ...), with its folder.
#pragma once

#include <string>
#include <string_view>

namespace posthorn::ipc {

// The queue directory's folder that holds a service's socket.
enum class Visibility { Private, Public };

struct ServiceName {
  Visibility visibility;
  std::string_view name;  // master.conf's service name: "mapd", "cleanup"
};

// QUEUE_DIR/private/NAME (or public/), or /private/NAME for a process that
// is chrooted into the queue directory. Trailing slashes of queueDirectory
// do not matter; "" and "/" both mean the root.
std::string servicePath(std::string_view queueDirectory, bool chrootedIntoQueue,
                        const ServiceName& service);

}  // namespace posthorn::ipc
