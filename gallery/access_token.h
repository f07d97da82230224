// The HTTP service's bearer token: random, kept in an owner-only file that the service creates
// on its first start and reads on the next ones, so that a user (or a script) can read it back.
#pragma once

#include <string>

namespace hat {

// The token in `path`, created (32 random bytes as hex, mode 0600, written atomically) when the
// file is missing. hat::Error names the file when it cannot be read or created, is empty, or can
// be read by others than its owner (a leaked token is a leaked gallery).
std::string load_or_create_token(const std::string& path);

// Whether binding `address` keeps the service on this machine (127.0.0.0/8, ::1, localhost).
bool is_loopback_address(const std::string& address);

}  // namespace hat
