// service_path - a service's socket path in the queue directory (see service_path.h)
#include "lib/ipc/service_path.h"

namespace posthorn::ipc {

std::string servicePath(std::string_view queueDirectory, bool chrootedIntoQueue,
                        const ServiceName& service) {
  std::string path;
  if (!chrootedIntoQueue) {
    path = queueDirectory;
    while (!path.empty() && path.back() == '/') path.pop_back();
  }
  path += service.visibility == Visibility::Private ? "/private/" : "/public/";
  path += service.name;
  return path;
}

}  // namespace posthorn::ipc
