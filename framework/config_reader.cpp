#include "framework/config_reader.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace gradlab {

namespace {
std::string format_number(double x) {
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  std::ostringstream out;
  out << x;
  return out.str();
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  // Levenshtein distance, one row at a time.
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
    }
  }
  return row[b.size()];
}

}  // namespace

std::string join_names(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

bool Range::contains(double x) const {
  const bool above = min_inclusive ? x >= min : x > min;
  const bool below = max_inclusive ? x <= max : x < max;
  return above && below;
}

std::string Range::describe() const {
  return (min_inclusive ? "[" : "(") + format_number(min) + ", " + format_number(max) +
         (max_inclusive && !std::isinf(max) ? "]" : ")");
}

Range at_least(double min) {
  return {min, INFINITY, true, false};
}
Range greater_than(double min) {
  return {min, INFINITY, false, false};
}

std::string nearest_name(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;  // "close" cut-off
  for (const std::string& candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

ConfigObject::ConfigObject(const nlohmann::json& value, std::string path)
    : value_(value), path_(std::move(path)) {
  if (!value_.is_object()) {
    throw ConfigError((path_.empty() ? "the config" : path_) + ": expected an object, got " +
                      value_.dump());
  }
}

std::string ConfigObject::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

const nlohmann::json& ConfigObject::require(const std::string& key) {
  read_.insert(key);
  if (!value_.contains(key)) throw ConfigError(key_path(key) + ": missing (required)");
  return value_.at(key);
}

void ConfigObject::type_error(const std::string& key, const std::string& expected) const {
  throw ConfigError(key_path(key) + ": expected " + expected + ", got " + value_.at(key).dump());
}

double ConfigObject::number(const std::string& key, std::optional<double> fallback, Range range) {
  read_.insert(key);
  if (!has(key) && fallback) return *fallback;
  const nlohmann::json& v = require(key);
  if (!v.is_number()) type_error(key, "a number in " + range.describe());
  const double x = v.get<double>();
  if (!range.contains(x)) {
    throw ConfigError(key_path(key) + ": must be in " + range.describe() + ", got " + v.dump());
  }
  return x;
}

long long ConfigObject::integer(const std::string& key, std::optional<long long> fallback,
                                long long min, long long max) {
  read_.insert(key);
  if (!has(key) && fallback) return *fallback;
  const nlohmann::json& v = require(key);
  const std::string allowed =
      "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  if (!v.is_number_integer()) type_error(key, allowed);
  const long long x = v.get<long long>();
  if (x < min || x > max)
    throw ConfigError(key_path(key) + ": must be " + allowed + ", got " + v.dump());
  return x;
}

bool ConfigObject::boolean(const std::string& key, std::optional<bool> fallback) {
  read_.insert(key);
  if (!has(key) && fallback) return *fallback;
  const nlohmann::json& v = require(key);
  if (!v.is_boolean()) type_error(key, "true or false");
  return v.get<bool>();
}

std::string ConfigObject::string(const std::string& key, std::optional<std::string> fallback,
                                 const std::vector<std::string>& allowed) {
  read_.insert(key);
  if (!has(key) && fallback) return *fallback;
  const nlohmann::json& v = require(key);
  if (!v.is_string())
    type_error(key, allowed.empty() ? "a string" : "one of " + join_names(allowed));
  const std::string s = v.get<std::string>();
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
    const std::string suggestion = nearest_name(s, allowed);
    throw ConfigError(key_path(key) + ": unknown value \"" + s + "\"" +
                      (suggestion.empty() ? "" : "; did you mean \"" + suggestion + "\"?") +
                      " (allowed: " + join_names(allowed) + ")");
  }
  return s;
}

std::vector<double> ConfigObject::number_list(const std::string& key, Range range) {
  const nlohmann::json& list = require(key);
  if (!list.is_array())
    throw ConfigError(key_path(key) + ": expected a list of numbers, got " + list.dump());
  std::vector<double> numbers;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_number() || !range.contains(list[i].get<double>())) {
      throw ConfigError(key_path(key) + "[" + std::to_string(i) + "]: expected a number in " +
                        range.describe() + ", got " + list[i].dump());
    }
    numbers.push_back(list[i].get<double>());
  }
  return numbers;
}

std::vector<std::string> ConfigObject::string_list(const std::string& key) {
  const nlohmann::json& list = require(key);
  if (!list.is_array())
    throw ConfigError(key_path(key) + ": expected a list of names, got " + list.dump());
  std::vector<std::string> names;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string() || list[i].get<std::string>().empty())
      throw ConfigError(key_path(key) + "[" + std::to_string(i) +
                        "]: expected a non-empty name, got " + list[i].dump());
    names.push_back(list[i].get<std::string>());
  }
  return names;
}

ConfigObject ConfigObject::object(const std::string& key) {
  return ConfigObject(require(key), key_path(key));
}

const nlohmann::json& ConfigObject::json(const std::string& key) {
  return require(key);
}

void ConfigObject::finish() const {
  const std::vector<std::string> known(read_.begin(), read_.end());
  for (const auto& item : value_.items()) {
    if (read_.count(item.key())) continue;
    const std::string suggestion = nearest_name(item.key(), known);
    throw ConfigError(key_path(item.key()) + ": unknown key" +
                      (suggestion.empty() ? "" : "; did you mean \"" + suggestion + "\"?") +
                      " (valid keys: " + join_names(known) + ")");
  }
}

}  // namespace gradlab
