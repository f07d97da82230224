// A small command-line parser shared by the project's tools (hat-model, hat-eval, hat-train,
// hat-gallery): `--name VALUE` options, `--flag` switches and positional arguments, with
// generated --help. Malformed command lines throw UsageError; nothing is printed but --help.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace hat {

// Thrown for a malformed command line; tools print it with the usage line and exit 2.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& message) : std::runtime_error(message) {}
};

class ArgParser {
 public:
  ArgParser(std::string program, std::string summary);

  ArgParser& option(const std::string& name, const std::string& metavar, const std::string& help,
                    const std::string& default_value = "");
  ArgParser& flag(const std::string& name, const std::string& help);
  // An option that may be given several times; get_all() returns every value in order.
  ArgParser& repeated(const std::string& name, const std::string& metavar, const std::string& help);
  std::vector<std::string> get_all(const std::string& name) const;
  // `many`: takes all remaining positional arguments (at least one).
  ArgParser& positional(const std::string& name, const std::string& help, bool many = false);
  // Optional trailing arguments (zero or more), returned by rest().
  ArgParser& optional_positional(const std::string& name, const std::string& help);

  // Returns false when --help was given (the help is then printed to stdout).
  bool parse(const std::vector<std::string>& args);

  bool has(const std::string& name) const;  // given on the command line (or has a default)
  std::string get(const std::string& name) const;
  int get_int(const std::string& name, int min, int max) const;
  // UsageError naming the option when the value is not a number in [min, max].
  double get_double(const std::string& name, double min, double max) const;
  bool flag_set(const std::string& name) const;
  const std::vector<std::string>& rest() const { return rest_; }

  std::string usage() const;
  std::string help() const;

 private:
  struct Spec {
    std::string name, metavar, help, default_value;
    bool is_flag = false;
    bool repeated = false;
  };
  // Two options of one name would make one of them unreachable: a programming error, thrown.
  ArgParser& add_option(Spec spec);
  std::map<std::string, std::vector<std::string>> repeated_values_;
  std::string program_, summary_;
  std::vector<Spec> options_;
  std::vector<Spec> positionals_;
  bool many_ = false;
  bool optional_ = false;
  std::map<std::string, std::string> values_;
  std::vector<std::string> rest_;
};

}  // namespace hat
