// libspf2 - <spf2/spf.h> with what it expects to be included before it
//
// libspf2's headers use size_t, struct in_addr and in6_addr without
// including their definitions (configure checks the header the same way),
// and declare C functions without extern "C".
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/types.h>

#include <cstddef>

extern "C" {
#include <spf2/spf.h>
}
