#include "base/arg_parser.h"

#include <algorithm>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace hat {

ArgParser::ArgParser(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

ArgParser& ArgParser::option(const std::string& name, const std::string& metavar,
                             const std::string& help, const std::string& default_value) {
  return add_option({name, metavar, help, default_value, false});
}

ArgParser& ArgParser::add_option(Spec spec) {
  if (std::any_of(options_.begin(), options_.end(),
                  [&](const Spec& o) { return o.name == spec.name; }))
    throw std::logic_error(program_ + ": option --" + spec.name + " declared twice");
  options_.push_back(std::move(spec));
  return *this;
}

ArgParser& ArgParser::flag(const std::string& name, const std::string& help) {
  return add_option({name, "", help, "", true});
}

ArgParser& ArgParser::repeated(const std::string& name, const std::string& metavar,
                               const std::string& help) {
  return add_option({name, metavar, help + " (repeatable)", "", false, true});
}

std::vector<std::string> ArgParser::get_all(const std::string& name) const {
  const auto it = repeated_values_.find(name);
  return it == repeated_values_.end() ? std::vector<std::string>{} : it->second;
}

ArgParser& ArgParser::positional(const std::string& name, const std::string& help, bool many) {
  positionals_.push_back({name, name, help, "", false});
  many_ = many;
  return *this;
}

ArgParser& ArgParser::optional_positional(const std::string& name, const std::string& help) {
  positionals_.push_back({name, "[" + name + "]", help, "", false});
  many_ = true;
  optional_ = true;
  return *this;
}

bool ArgParser::parse(const std::vector<std::string>& args) {
  std::vector<std::string> pos;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << help();
      return false;
    }
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      std::string name = a.substr(2), value;
      const auto eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      const Spec* spec = nullptr;
      for (const auto& o : options_)
        if (o.name == name) spec = &o;
      if (!spec) throw UsageError("unknown option --" + name);
      if (spec->is_flag) {
        if (eq != std::string::npos) throw UsageError("--" + name + " takes no value");
        values_[name] = "1";
      } else {
        if (eq == std::string::npos) {
          if (i + 1 >= args.size())
            throw UsageError("--" + name + " needs a value (" + spec->metavar + ")");
          value = args[++i];
        }
        if (spec->repeated) {
          repeated_values_[name].push_back(value);
        } else {
          values_[name] = value;
        }
      }
    } else {
      pos.push_back(a);
    }
  }
  const size_t fixed = many_ ? positionals_.size() - 1 : positionals_.size();
  const size_t required = optional_ ? fixed : positionals_.size();
  if (pos.size() < required) throw UsageError("missing " + positionals_[pos.size()].name);
  if (!many_ && pos.size() > fixed) throw UsageError("unexpected argument '" + pos[fixed] + "'");
  for (size_t i = 0; i < fixed; ++i) values_[positionals_[i].name] = pos[i];
  rest_.assign(pos.begin() + static_cast<long>(fixed), pos.end());
  for (const auto& o : options_)
    if (!values_.count(o.name) && !o.default_value.empty()) values_[o.name] = o.default_value;
  return true;
}

bool ArgParser::has(const std::string& name) const { return values_.count(name) > 0; }

std::string ArgParser::get(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) throw UsageError("--" + name + " is required");
  return it->second;
}

int ArgParser::get_int(const std::string& name, int min, int max) const {
  const std::string v = get(name);
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || value < min || value > max)
    throw UsageError("--" + name + " must be an integer in [" + std::to_string(min) + ", " +
                     std::to_string(max) + "], got '" + v + "'");
  return static_cast<int>(value);
}

double ArgParser::get_double(const std::string& name, double min, double max) const {
  const std::string v = get(name);
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || !(value >= min && value <= max)) {
    std::ostringstream range;
    range << "[" << min << ", " << max << "]";
    throw UsageError("--" + name + " must be a number in " + range.str() + ", got '" + v + "'");
  }
  return value;
}

bool ArgParser::flag_set(const std::string& name) const { return values_.count(name) > 0; }

std::string ArgParser::usage() const {
  std::ostringstream s;
  s << "usage: " << program_;
  for (const auto& o : options_) s << " [--" << o.name << (o.is_flag ? "" : " " + o.metavar) << "]";
  for (size_t i = 0; i < positionals_.size(); ++i)
    s << " " << positionals_[i].metavar << (many_ && i + 1 == positionals_.size() ? "..." : "");
  return s.str();
}

std::string ArgParser::help() const {
  std::ostringstream s;
  s << usage() << "\n\n" << summary_ << "\n";
  if (!positionals_.empty()) s << "\narguments:\n";
  for (const auto& p : positionals_) s << "  " << p.name << "\n      " << p.help << "\n";
  if (!options_.empty()) s << "\noptions:\n";
  for (const auto& o : options_) {
    s << "  --" << o.name << (o.is_flag ? "" : " " + o.metavar) << "\n      " << o.help;
    if (!o.default_value.empty()) s << " (default: " << o.default_value << ")";
    s << "\n";
  }
  return s.str();
}

}  // namespace hat
