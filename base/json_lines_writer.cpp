#include "base/json_lines_writer.h"

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace hat {

JsonLinesWriter::JsonLinesWriter(std::string path, Mode mode) : path_(std::move(path)) {
  file_ = std::fopen(path_.c_str(), mode == Mode::kAppend ? "a" : "w");
  if (file_ == nullptr) throw Error(path_ + ": cannot open for writing: " + std::strerror(errno));
}

JsonLinesWriter::~JsonLinesWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void JsonLinesWriter::write(const nlohmann::json& value) {
  // Names and labels are any bytes: invalid UTF-8 becomes U+FFFD instead of an exception.
  const std::string line =
      value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ == nullptr) return;
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0)
    throw Error(path_ + ": write failed: " + std::strerror(errno));
}

void JsonLinesWriter::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ == nullptr) return;
  const int rc = std::fclose(file_);
  file_ = nullptr;
  if (rc != 0) throw Error(path_ + ": " + std::strerror(errno));
}

}  // namespace hat
