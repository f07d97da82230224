// A JSON-lines file (one JSON value per line) that is written as it goes: each line is written
// whole and flushed, so a reader following the file (tail -f, an NVR's log shipper) only ever
// sees whole lines, and a full disk is reported at the line that hit it. hatevents (frames) and
// hatmatch (identity events) write through it.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace hat {

class JsonLinesWriter {
 public:
  enum class Mode {
    kReplace,  // truncate an existing file
    kAppend,   // keep what is there (a log kept across restarts)
  };

  // Opens (creating) `path`; hat::Error "<path>: cannot open for writing: <reason>".
  JsonLinesWriter(std::string path, Mode mode);
  // Closes the file; a failure then is lost: call close() first to see it.
  ~JsonLinesWriter();
  JsonLinesWriter(const JsonLinesWriter&) = delete;
  JsonLinesWriter& operator=(const JsonLinesWriter&) = delete;

  // Appends `value` as one line and flushes it. Thread-safe: lines written from several threads
  // never interleave. hat::Error "<path>: write failed: <reason>"; lines already written stay.
  void write(const nlohmann::json& value);

  // Closes the file; hat::Error "<path>: <reason>" when its last data could not be written.
  // Later calls (and write()) do nothing.
  void close();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::mutex mutex_;
  FILE* file_ = nullptr;
};

}  // namespace hat
