// Loopback TCP ports for the tests' real servers (mosquitto, PostgreSQL, hat-gallery serve).
#pragma once

namespace hat::test {

// A port that nothing listens on now (bound once by the kernel's choice, then released).
int free_port();
// Whether something accepts connections on 127.0.0.1:port.
bool accepts(int port);

}  // namespace hat::test
