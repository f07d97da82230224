// Reading settings from JSON objects (configuration files, --set overrides): a key that is
// absent keeps its default, an unknown key or a value of the wrong type is a hat::Error that
// names the setting.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file_io.h"

namespace hat {

// hat::Error "WHAT: unknown key 'KEY'" for a key of `json` that `known` lacks; also when `json` is
// not an object.
inline void check_known_keys(const nlohmann::json& json, const nlohmann::json& known,
                             const std::string& what) {
  if (!json.is_object()) throw Error(what + " must be a JSON object");
  for (const auto& [key, value] : json.items())
    if (!known.contains(key)) throw Error(what + ": unknown key '" + key + "'");
}

// `out` = json[key] when present; hat::Error "WHAT: 'KEY' has the wrong type (VALUE)".
template <typename T>
void read_setting(const nlohmann::json& json, const char* key, T& out, const std::string& what) {
  if (!json.contains(key)) return;
  try {
    out = json.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    // replace: a --set value is any bytes, and invalid UTF-8 must not turn into another exception.
    throw Error(what + ": '" + key + "' has the wrong type (" +
                json.at(key).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ")");
  }
}

// A JSON file (a --config file): hat::Error "PATH: not valid JSON (...)" or as read_file fails.
inline nlohmann::json read_json_file(const std::string& path) {
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
}

}  // namespace hat
