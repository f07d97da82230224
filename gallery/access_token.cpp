#include "gallery/access_token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "base/error.h"
#include "base/file_io.h"

namespace hat {

std::string load_or_create_token(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if ((st.st_mode & 077) != 0)
      throw Error("token file " + path + " can be read by others (mode " +
                  std::to_string(((st.st_mode >> 6) & 7) * 100 + ((st.st_mode >> 3) & 7) * 10 +
                                 (st.st_mode & 7)) +
                  "): chmod 600 it, or delete it for a new token");
    std::string token = read_file(path);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
      token.pop_back();
    if (token.empty()) throw Error("token file " + path + " is empty");
    return token;
  }
  if (errno != ENOENT) throw Error("token file " + path + ": " + std::strerror(errno));
  unsigned char random[32];
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  if (!urandom.read(reinterpret_cast<char*>(random), sizeof random))
    throw Error("token file " + path + ": cannot read /dev/urandom");
  static const char* hex = "0123456789abcdef";
  std::string token;
  for (const unsigned char b : random) {
    token += hex[b >> 4];
    token += hex[b & 15];
  }
  // Owner-only from the first byte: the temporary file inherits the umask, so narrow it.
  const mode_t old_mask = ::umask(077);
  try {
    const std::string line = token + "\n";
    write_file_atomically(path, line.data(), line.size());
  } catch (...) {
    ::umask(old_mask);
    throw;
  }
  ::umask(old_mask);
  ::chmod(path.c_str(), 0600);
  return token;
}

bool is_loopback_address(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

}  // namespace hat
