// libopendkim - <opendkim/dkim.h> as C++ can read it
//
// dkim.h spells bool _Bool (C99) and uses u_char and size_t without
// including their definitions (configure checks the header the same way).
#pragma once

#include <sys/types.h>

#include <cstddef>

#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool
