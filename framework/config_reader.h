// Reading JSON settings with errors a user can act on: every error names the key's full path in
// the file ("model.layers[3].kernal"), what was expected, what was found, and for an unknown key
// the nearest valid name.
#pragma once

#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gradlab {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An interval of allowed numbers, printed as "[0, 1)", "(0, inf)".
struct Range {
  double min, max;
  bool min_inclusive = true, max_inclusive = true;
  bool contains(double x) const;
  std::string describe() const;
};

Range at_least(double min);      // [min, inf)
Range greater_than(double min);  // (min, inf)

// The candidate closest to `word` by edit distance, or "" when none is close.
std::string nearest_name(const std::string& word, const std::vector<std::string>& candidates);

// "a, b, c": the valid names an error lists.
std::string join_names(const std::vector<std::string>& names);

// One JSON object at `path`. Remembers which keys were read, so `finish()` can reject the rest.
class ConfigObject {
 public:
  ConfigObject(const nlohmann::json& value, std::string path);

  const std::string& path() const { return path_; }
  std::string key_path(const std::string& key) const;
  // Whether an optional key is present; asking marks the key as a valid one for finish().
  bool has(const std::string& key) {
    read_.insert(key);
    return value_.contains(key);
  }

  // Each returns the value at key, or `fallback` when the key is absent (an error if no fallback).
  double number(const std::string& key, std::optional<double> fallback, Range range);
  long long integer(const std::string& key, std::optional<long long> fallback, long long min,
                    long long max);
  bool boolean(const std::string& key, std::optional<bool> fallback);
  std::string string(const std::string& key, std::optional<std::string> fallback,
                     const std::vector<std::string>& allowed = {});
  // A list of numbers, each in range (the key must exist).
  std::vector<double> number_list(const std::string& key, Range range);
  // A list of non-empty strings (the key must exist).
  std::vector<std::string> string_list(const std::string& key);
  ConfigObject object(const std::string& key);
  // The raw JSON at key (marked as read); the key must exist.
  const nlohmann::json& json(const std::string& key);

  // Throws for the first key present in the object that no accessor asked for, suggesting the
  // nearest of the keys that were asked for (the valid ones). Call after reading every key.
  void finish() const;

 private:
  const nlohmann::json& require(const std::string& key);
  [[noreturn]] void type_error(const std::string& key, const std::string& expected) const;

  const nlohmann::json& value_;
  std::string path_;
  std::set<std::string> read_;
};

}  // namespace gradlab
