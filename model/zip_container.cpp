#include "model/zip_container.h"

#include <cstdint>

#include "base/error.h"

namespace hat {

namespace {

constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEnd = 0x06054b50,
                   kEnd64 = 0x06064b50, kEnd64Locator = 0x07064b50;

// Little-endian fields of the archive; every read is bounds-checked by the caller's `need`.
class Bytes {
 public:
  Bytes(const std::vector<char>& b, const std::string& path) : b_(b), path_(path) {}
  uint64_t size() const { return b_.size(); }
  void need(uint64_t offset, uint64_t length, const char* what) const {
    if (offset > size() || length > size() - offset) fail(std::string(what) + " beyond the end");
  }
  uint64_t le(uint64_t offset, int width) const {
    need(offset, static_cast<uint64_t>(width), "a field");
    uint64_t v = 0;
    for (int i = width - 1; i >= 0; --i)
      v = (v << 8) | static_cast<unsigned char>(b_[static_cast<size_t>(offset) + i]);
    return v;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(path_ + ": corrupt or truncated torch.save file (zip container: " + what + ")");
  }

 private:
  const std::vector<char>& b_;
  const std::string& path_;
};

}  // namespace

std::vector<ZipEntry> check_zip_container(const std::vector<char>& bytes, const std::string& path) {
  const Bytes z(bytes, path);
  // The end record: 22 bytes and a comment of up to 64 KiB, found from the end.
  if (z.size() < 22) z.fail("too short for an end record");
  uint64_t end = z.size() - 22;
  const uint64_t lowest = z.size() > 22 + 65535 ? z.size() - 22 - 65535 : 0;
  while (z.le(end, 4) != kEnd) {
    if (end == lowest) z.fail("no end-of-central-directory record");
    --end;
  }
  uint64_t entries = z.le(end + 10, 2), dir_size = z.le(end + 12, 4), dir = z.le(end + 16, 4);
  uint64_t dir_end_limit = end;
  // zip64 (torch.save writes it): a locator just before the end record names the zip64 record,
  // whose fields replace the 16- and 32-bit ones.
  if (end >= 20 && z.le(end - 20, 4) == kEnd64Locator) {
    const uint64_t record = z.le(end - 20 + 8, 8);
    z.need(record, 56, "the zip64 end record");
    if (record > end - 20 - 56 || z.le(record, 4) != kEnd64) z.fail("a bad zip64 end record");
    entries = z.le(record + 32, 8);
    dir_size = z.le(record + 40, 8);
    dir = z.le(record + 48, 8);
    dir_end_limit = record;
  }
  if (dir > dir_end_limit || dir_size > dir_end_limit - dir)
    z.fail("the central directory lies outside the file");
  if (entries > dir_size / 46) z.fail("more entries than the central directory holds");
  std::vector<ZipEntry> listing;
  uint64_t at = dir;
  for (uint64_t i = 0; i < entries; ++i) {
    z.need(at, 46, "a central directory entry");
    if (at + 46 > dir + dir_size || z.le(at, 4) != kCentralHeader)
      z.fail("a bad central directory entry");
    const uint64_t method = z.le(at + 10, 2);
    uint64_t compressed = z.le(at + 20, 4), uncompressed = z.le(at + 24, 4);
    const uint64_t name = z.le(at + 28, 2), extra = z.le(at + 30, 2), comment = z.le(at + 32, 2);
    uint64_t local = z.le(at + 42, 4);
    const uint64_t next = at + 46 + name + extra + comment;
    if (next > dir + dir_size) z.fail("a central directory entry runs past the directory");
    // zip64 extra field (id 1): 64-bit values for the fields that hold 0xFFFFFFFF, in order.
    for (uint64_t e = at + 46 + name; e + 4 <= at + 46 + name + extra;) {
      const uint64_t id = z.le(e, 2), length = z.le(e + 2, 2);
      if (e + 4 + length > at + 46 + name + extra) z.fail("an extra field runs past its entry");
      uint64_t field = e + 4;
      for (uint64_t* value : {&uncompressed, &compressed, &local}) {
        if (id != 1 || *value != 0xFFFFFFFFu) continue;
        if (field + 8 > e + 4 + length) z.fail("a short zip64 extra field");
        *value = z.le(field, 8);
        field += 8;
      }
      e += 4 + length;
    }
    if (method == 0 ? uncompressed != compressed : uncompressed / 1032 > compressed)
      z.fail("an entry's size does not fit its data");
    z.need(local, 30, "a local header");
    if (local + 30 > dir || z.le(local, 4) != kLocalHeader) z.fail("a bad local header");
    const uint64_t data = local + 30 + z.le(local + 26, 2) + z.le(local + 28, 2);
    if (data > dir || compressed > dir - data) z.fail("an entry's data runs past the directory");
    listing.push_back({std::string(bytes.data() + at + 46, name), method == 0, data, compressed});
    at = next;
  }
  return listing;
}

}  // namespace hat
