#include "datasets/table.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <unordered_map>

#include "datasets/idx.h"
#include "framework/config_reader.h"

namespace gradlab {

namespace {

// --- RFC 4180 records, streamed -------------------------------------------------------------

// Reads a CSV file record by record through a buffer of a few MiB: fields are views into the
// buffer (or, for quoted fields with "" in them, into a scratch copy), valid until the next call.
class CsvReader {
 public:
  explicit CsvReader(const std::string& path) : path_(path) {
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) throw DataError(path + ": cannot open");
    struct stat status {};
    if (::fstat(::fileno(file_), &status) == 0 && S_ISREG(status.st_mode))
      unread_ = static_cast<std::size_t>(status.st_size);
  }
  ~CsvReader() {
    if (file_) std::fclose(file_);
  }
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // The next record's fields; false at the end of the file. line() is its first line (1-based).
  bool next(std::vector<std::string_view>& fields) {
    for (;;) {
      if (parse(fields)) return true;
      if (eof_) {
        if (start_ == buffer_.size()) return false;
        throw DataError(path_ + ":" + std::to_string(next_line_) +
                        ": a quoted field is not closed before the end of the file");
      }
      refill();
    }
  }
  std::size_t line() const { return line_; }
  const std::string& path() const { return path_; }

 private:
  // Parses one record from start_; false if the buffer ends first (and the file does not).
  bool parse(std::vector<std::string_view>& fields) {
    fields.clear();
    scratch_.clear();
    scratch_views_.clear();
    const std::size_t size = buffer_.size();
    if (start_ == size) return false;
    std::size_t at = start_, newlines = 0;
    for (;;) {
      if (at < size && buffer_[at] == '"') {
        // Quoted: until a quote not followed by a quote.
        const std::size_t begin = ++at;
        bool escaped = false;
        for (;;) {
          if (at >= size) return false;
          if (buffer_[at] == '"') {
            if (at + 1 >= size && !eof_) return false;
            if (at + 1 < size && buffer_[at + 1] == '"') {
              escaped = true;
              at += 2;
              continue;
            }
            break;
          }
          if (buffer_[at] == '\n') ++newlines;
          ++at;
        }
        std::string_view field(buffer_.data() + begin, at - begin);
        ++at;  // the closing quote
        if (escaped) {
          // "" → ": kept in scratch_, referred to by index until the record is complete (scratch_
          // may move while it grows).
          std::string unescaped;
          for (std::size_t i = 0; i < field.size(); ++i) {
            unescaped += field[i];
            if (field[i] == '"') ++i;
          }
          scratch_views_.push_back({fields.size(), scratch_.size(), unescaped.size()});
          scratch_ += unescaped;
        }
        fields.push_back(field);
        if (at < size && buffer_[at] != ',' && buffer_[at] != '\n' && buffer_[at] != '\r')
          throw DataError(path_ + ":" + std::to_string(next_line_ + newlines) + ":" +
                          std::to_string(fields.size()) +
                          ": text after a quoted field's closing quote");
      } else {
        const std::size_t begin = at;
        while (at < size && buffer_[at] != ',' && buffer_[at] != '\n' && buffer_[at] != '\r') ++at;
        if (at >= size && !eof_) return false;
        fields.push_back(std::string_view(buffer_.data() + begin, at - begin));
      }
      if (at >= size) break;  // the last record, without a line end
      if (buffer_[at] == ',') {
        ++at;
        continue;
      }
      // CR LF, LF, or a lone CR: the record's end.
      if (buffer_[at] == '\r') {
        if (at + 1 >= size && !eof_) return false;
        if (at + 1 < size && buffer_[at + 1] == '\n') ++at;
      }
      ++at;
      break;
    }
    for (const ScratchView& view : scratch_views_)
      fields[view.field] = std::string_view(scratch_.data() + view.offset, view.size);
    line_ = next_line_;
    next_line_ += newlines + 1;
    start_ = at;
    return true;
  }

  void refill() {
    buffer_.erase(0, start_);
    start_ = 0;
    // A chunk, or what is left of a regular file if less (a small file costs no 4 MiB buffer);
    // one byte more, so that reading less than asked says the file has ended.
    const std::size_t old = buffer_.size(),
                      chunk = std::min(std::max<std::size_t>(kChunk, old), unread_ + 1);
    buffer_.resize(old + chunk);
    const std::size_t read = std::fread(buffer_.data() + old, 1, chunk, file_);
    buffer_.resize(old + read);
    unread_ -= std::min(unread_, read);
    // More than its size said: the file grew since it was opened; read on in chunks.
    if (read == chunk && unread_ == 0) unread_ = std::numeric_limits<std::size_t>::max() - 1;
    if (read < chunk) {
      if (std::ferror(file_)) throw DataError(path_ + ": read failed");
      eof_ = true;
    }
  }

  static constexpr std::size_t kChunk = std::size_t{4} << 20;
  struct ScratchView {
    std::size_t field, offset, size;
  };
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string buffer_, scratch_;
  std::vector<ScratchView> scratch_views_;
  std::size_t start_ = 0, line_ = 0, next_line_ = 1;
  // Bytes of the file not read yet, from its size when opened (unknown, so unbounded, for a pipe).
  std::size_t unread_ = std::numeric_limits<std::size_t>::max() - 1;
  bool eof_ = false;
};

bool is_missing(std::string_view field) {
  return field.empty() || field == "NA" || field == "?";
}

// A whole field as a finite number (surrounding spaces allowed).
bool parse_number(std::string_view field, double& value) {
  while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
  while (!field.empty() && field.back() == ' ') field.remove_suffix(1);
  if (!field.empty() && field.front() == '+') field.remove_prefix(1);
  if (field.empty()) return false;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  return error == std::errc() && end == field.data() + field.size() && std::isfinite(value);
}

// Features are floats: a number beyond float's range would become infinite in the matrix.
bool fits_float(double value) {
  return std::abs(value) <= std::numeric_limits<float>::max();
}

std::string too_large(std::string_view field) {
  return "'" + std::string(field.substr(0, 40)) + (field.size() > 40 ? "...'" : "'") +
         " is beyond the range of a float (±3.4e38)";
}

std::string where(const CsvReader& reader, std::size_t column, const std::string& name) {
  return reader.path() + ":" + std::to_string(reader.line()) + ":" + std::to_string(column + 1) +
         " (column '" + name + "')";
}

std::string shown(std::string_view field) {
  return "'" + std::string(field.substr(0, 40)) + (field.size() > 40 ? "...'" : "'");
}

// The header's names, checked: none empty, none twice.
std::vector<std::string> read_header(CsvReader& reader) {
  std::vector<std::string_view> fields;
  if (!reader.next(fields)) throw DataError(reader.path() + ": empty file (no header row)");
  std::vector<std::string> names(fields.begin(), fields.end());
  std::set<std::string> seen;
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (names[c].empty())
      throw DataError(reader.path() + ":1:" + std::to_string(c + 1) + ": empty column name");
    if (!seen.insert(names[c]).second)
      throw DataError(reader.path() + ":1:" + std::to_string(c + 1) + ": column '" + names[c] +
                      "' appears twice");
  }
  return names;
}

// A column by name. Missing, it is the config's fault when the schema is being read from the
// training file (a misspelt data.label), the file's when a schema is applied to it (a test file
// or predict's input without a column the model takes): ConfigError or DataError.
enum class Fault { config, data };
std::size_t column_index(const std::vector<std::string>& header, const std::string& name,
                         const std::string& path, const std::string& key, Fault fault) {
  const auto found = std::find(header.begin(), header.end(), name);
  if (found != header.end()) return static_cast<std::size_t>(found - header.begin());
  const std::string nearest = nearest_name(name, header);
  const std::string message = key + ": " + path + " has no column '" + name + "'" +
                              (nearest.empty() ? "" : "; did you mean '" + nearest + "'?");
  if (fault == Fault::data) throw DataError(message);
  throw ConfigError(message);
}

void check_width(const CsvReader& reader, const std::vector<std::string_view>& fields,
                 std::size_t width) {
  if (fields.size() != width)
    throw DataError(reader.path() + ":" + std::to_string(reader.line()) + ": " +
                    std::to_string(fields.size()) + " fields, the header has " +
                    std::to_string(width));
}

// The label's values as classes: numerically when every one is an integer, else as text.
std::vector<std::string> class_order(const std::set<std::string>& values) {
  std::vector<std::string> names(values.begin(), values.end());
  const bool integers = std::all_of(names.begin(), names.end(), [](const std::string& name) {
    double value;
    return parse_number(name, value) && value == std::floor(value);
  });
  if (integers)
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      return std::stod(a) < std::stod(b);
    });
  return names;
}

}  // namespace

std::size_t TableSchema::width() const {
  std::size_t width = 0;
  for (const TableColumn& column : columns)
    width += column.categorical ? column.values.size() + (other_slot ? 1 : 0) : 1;
  return width;
}

std::vector<std::string> TableSchema::feature_names() const {
  std::vector<std::string> names;
  for (const TableColumn& column : columns) {
    if (!column.categorical) {
      names.push_back(column.name);
      continue;
    }
    for (const std::string& value : column.values) names.push_back(column.name + "=" + value);
    if (other_slot) names.push_back(column.name + "=(other)");
  }
  return names;
}

std::vector<bool> TableSchema::numeric_features() const {
  std::vector<bool> numeric;
  for (const TableColumn& column : columns)
    numeric.insert(numeric.end(),
                   column.categorical ? column.values.size() + (other_slot ? 1 : 0) : 1,
                   !column.categorical);
  return numeric;
}

TableSchema infer_table_schema(const std::string& path, const TableOptions& options) {
  CsvReader reader(path);
  const std::vector<std::string> header = read_header(reader);
  const std::size_t label = column_index(header, options.label, path, "data.label", Fault::config);
  std::vector<std::size_t> feature_columns;
  if (options.features.empty()) {
    for (std::size_t c = 0; c < header.size(); ++c)
      if (c != label) feature_columns.push_back(c);
  } else {
    for (const std::string& name : options.features) {
      const std::size_t c = column_index(header, name, path, "data.features", Fault::config);
      if (c == label)
        throw ConfigError("data.features: '" + name + "' is the label column (data.label)");
      feature_columns.push_back(c);
    }
  }
  if (feature_columns.empty())
    throw ConfigError("data.features: " + path + " has no feature columns");
  std::vector<bool> forced(header.size(), false);
  for (const std::string& name : options.categorical)
    forced[column_index(header, name, path, "data.categorical", Fault::config)] = true;

  // Per column: counts of numbers and of text, the first text value's place, and the distinct
  // values while there are few enough to be categories.
  struct Seen {
    std::size_t numbers = 0, texts = 0, first_text_line = 0;
    std::string first_text;
    std::set<std::string> values;
    bool too_many = false;
  };
  std::vector<Seen> seen(header.size());
  std::set<std::string> labels;
  std::vector<std::string_view> fields;
  std::size_t rows = 0;
  while (reader.next(fields)) {
    if (fields.size() == 1 && fields[0].empty()) continue;  // a blank line
    check_width(reader, fields, header.size());
    ++rows;
    if (is_missing(fields[label]))
      throw DataError(where(reader, label, header[label]) + ": missing label");
    if (labels.size() <= kMaxCategories) labels.emplace(fields[label]);
    for (std::size_t c : feature_columns) {
      Seen& column = seen[c];
      const std::string_view field = fields[c];
      if (is_missing(field)) {
        if (!options.impute_missing)
          throw DataError(where(reader, c, header[c]) +
                          ": missing value; data.missing: \"mean\" fills numeric columns with "
                          "the training mean");
        continue;
      }
      double value;
      if (parse_number(field, value)) {
        if (!fits_float(value))
          throw DataError(where(reader, c, header[c]) + ": " + too_large(field));
        ++column.numbers;
      } else if (column.texts++ == 0) {
        column.first_text = std::string(field);
        column.first_text_line = reader.line();
      }
      if (!column.too_many) {
        column.values.emplace(field);
        if (column.values.size() > kMaxCategories) {
          column.too_many = true;
          column.values.clear();
        }
      }
    }
  }
  if (rows == 0) throw DataError(path + ": no rows after the header");
  if (labels.size() > kMaxCategories)
    throw DataError(path + ": the label column '" + options.label + "' has more than " +
                    std::to_string(kMaxCategories) + " distinct values; is it the label?");
  if (labels.size() < 2)
    throw DataError(path + ": the label column '" + options.label +
                    "' has one value; a classifier needs two or more classes");
  TableSchema schema;
  schema.rows = rows;
  schema.label = options.label;
  schema.class_names = class_order(labels);
  schema.other_slot = options.unseen_to_other;
  for (std::size_t c : feature_columns) {
    const Seen& column = seen[c];
    TableColumn out{header[c], forced[c] || (column.texts > 0 && column.numbers == 0), {}};
    if (!out.categorical && column.texts > 0)
      throw DataError(path + ":" + std::to_string(column.first_text_line) + ":" +
                      std::to_string(c + 1) + " (column '" + header[c] +
                      "'): " + shown(column.first_text) + " is not a number, but " +
                      std::to_string(column.numbers) + " of the column's values are; fix it, " +
                      "or list the column in data.categorical");
    if (out.categorical) {
      if (column.too_many)
        throw DataError(path + ": column '" + header[c] + "' has more than " +
                        std::to_string(kMaxCategories) +
                        " distinct values, too many to one-hot encode; leave it out of "
                        "data.features");
      out.values.assign(column.values.begin(), column.values.end());
    }
    schema.columns.push_back(std::move(out));
  }
  return schema;
}

ImageDataset read_table(const std::string& path, const TableSchema& schema,
                        const TableOptions& options, bool require_label) {
  CsvReader reader(path);
  const std::vector<std::string> header = read_header(reader);
  const bool has_label =
      require_label || std::find(header.begin(), header.end(), schema.label) != header.end();
  const std::size_t label =
      has_label ? column_index(header, schema.label, path, "data.label", Fault::data) : 0;
  std::vector<std::size_t> where_column;
  for (const TableColumn& column : schema.columns)
    where_column.push_back(column_index(header, column.name, path, "data.features", Fault::data));
  // Look-ups from text to class and to category slot.
  std::unordered_map<std::string, std::int32_t> classes;
  for (std::size_t k = 0; k < schema.class_names.size(); ++k)
    classes.emplace(schema.class_names[k], static_cast<std::int32_t>(k));
  std::vector<std::unordered_map<std::string, std::size_t>> slots(schema.columns.size());
  for (std::size_t j = 0; j < schema.columns.size(); ++j)
    for (std::size_t v = 0; v < schema.columns[j].values.size(); ++v)
      slots[j].emplace(schema.columns[j].values[v], v);

  const std::size_t width = schema.width();
  ImageDataset data;
  data.table = true;
  data.channels = 1;
  data.height = 1;
  data.width = width;
  data.classes = schema.class_names.size();
  std::vector<std::string_view> fields;
  std::vector<float> row(width);
  // The rows known from the schema's pass (the training file): one allocation of the matrix.
  data.features.reserve(schema.rows * width);
  while (reader.next(fields)) {
    if (fields.size() == 1 && fields[0].empty()) continue;
    check_width(reader, fields, header.size());
    const auto found = has_label ? classes.find(std::string(fields[label])) : classes.begin();
    if (found == classes.end())
      throw DataError(where(reader, label, schema.label) + ": label " + shown(fields[label]) +
                      " is not one of the " + std::to_string(classes.size()) +
                      " classes of the training file");
    std::fill(row.begin(), row.end(), 0.0f);
    std::size_t at = 0;
    for (std::size_t j = 0; j < schema.columns.size(); ++j) {
      const TableColumn& column = schema.columns[j];
      const std::size_t c = where_column[j];
      const std::string_view field = fields[c];
      if (!column.categorical) {
        double value;
        if (is_missing(field)) {
          if (!options.impute_missing)
            throw DataError(where(reader, c, column.name) +
                            ": missing value; data.missing: \"mean\" fills numeric columns with "
                            "the training mean");
          row[at] = std::numeric_limits<float>::quiet_NaN();
        } else if (parse_number(field, value)) {
          if (!fits_float(value))
            throw DataError(where(reader, c, column.name) + ": " + too_large(field));
          row[at] = static_cast<float>(value);
        } else {
          throw DataError(where(reader, c, column.name) + ": " + shown(field) +
                          " is not a number (the column is numeric)");
        }
        ++at;
        continue;
      }
      const auto slot = slots[j].find(std::string(field));
      if (is_missing(field)) {
        if (!options.impute_missing)
          throw DataError(where(reader, c, column.name) +
                          ": missing value; data.missing: \"mean\" "
                          "leaves a missing category's one-hot slots all 0");
      } else if (slot != slots[j].end()) {
        row[at + slot->second] = 1.0f;
      } else if (schema.other_slot) {
        row[at + column.values.size()] = 1.0f;
      } else {
        throw DataError(where(reader, c, column.name) + ": " + shown(field) +
                        " is not among the column's " + std::to_string(column.values.size()) +
                        " values in the training file; data.unseen: \"other\" maps such values "
                        "to an extra slot");
      }
      at += column.values.size() + (schema.other_slot ? 1 : 0);
    }
    data.features.insert(data.features.end(), row.begin(), row.end());
    data.labels.push_back(has_label ? found->second : 0);
    ++data.count;
  }
  if (data.count == 0) throw DataError(path + ": no rows after the header");
  return data;
}

Standardization table_statistics(const ImageDataset& table, const std::vector<std::size_t>& indices,
                                 const TableSchema& schema, bool per_column) {
  const std::vector<bool> numeric = schema.numeric_features();
  const std::size_t width = table.width;
  if (numeric.size() != width)
    throw std::invalid_argument("table_statistics: the schema encodes " +
                                std::to_string(numeric.size()) + " features, the table has " +
                                std::to_string(width));
  // Two passes, the mean and then the squared deviations from it: a column of large values with a
  // small spread (timestamps, say) keeps its precision, which the sum of squares would lose. With
  // global scaling every numeric column adds to one pool (slot 0 of the sums).
  const auto pool = [&](std::size_t f) { return per_column ? f : 0; };
  std::vector<double> sum(width, 0), count(width, 0), deviations(width, 0);
  for (std::size_t i : indices) {
    const float* row = table.row(i);
    for (std::size_t f = 0; f < width; ++f)
      if (numeric[f] && !std::isnan(row[f])) {
        sum[pool(f)] += row[f];
        count[pool(f)] += 1;
      }
  }
  std::vector<double> mean(width, 0);
  for (std::size_t f = 0; f < width; ++f)
    if (count[f] > 0) mean[f] = sum[f] / count[f];
  for (std::size_t i : indices) {
    const float* row = table.row(i);
    for (std::size_t f = 0; f < width; ++f)
      if (numeric[f] && !std::isnan(row[f])) {
        const double d = row[f] - mean[pool(f)];
        deviations[pool(f)] += d * d;
      }
  }
  Standardization statistics{std::vector<double>(width, 0.0), std::vector<double>(width, 1.0)};
  for (std::size_t f = 0; f < width; ++f) {
    const std::size_t p = pool(f);
    if (!numeric[f] || count[p] == 0) continue;
    const double variance = deviations[p] / count[p];
    statistics.mean[f] = mean[p];
    // A constant column has no spread to divide by: centred, not scaled.
    statistics.std[f] = variance > 0 ? std::sqrt(variance) : 1.0;
  }
  return statistics;
}

void standardize(ImageDataset& table, const Standardization& statistics) {
  const std::size_t width = table.width;
  if (statistics.mean.size() != width || statistics.std.size() != width)
    throw DataError("standardisation of " + std::to_string(statistics.mean.size()) +
                    " features for a table of " + std::to_string(width));
  for (std::size_t i = 0; i < table.count; ++i) {
    float* row = table.features.data() + i * width;
    for (std::size_t f = 0; f < width; ++f)
      row[f] = std::isnan(row[f])
                   ? 0.0f
                   : static_cast<float>((row[f] - statistics.mean[f]) / statistics.std[f]);
  }
}

TableSummary summarize_table(const std::string& path) {
  CsvReader reader(path);
  const std::vector<std::string> header = read_header(reader);
  TableSummary summary;
  std::vector<std::set<std::string>> values(header.size());
  for (const std::string& name : header) {
    ColumnSummary column;
    column.name = name;
    summary.columns.push_back(column);
  }
  std::vector<std::string_view> fields;
  std::vector<std::size_t> texts(header.size(), 0);
  while (reader.next(fields)) {
    if (fields.size() == 1 && fields[0].empty()) continue;
    check_width(reader, fields, header.size());
    ++summary.rows;
    for (std::size_t c = 0; c < header.size(); ++c) {
      ColumnSummary& column = summary.columns[c];
      if (is_missing(fields[c])) {
        ++column.missing;
        continue;
      }
      double value;
      if (parse_number(fields[c], value)) {
        column.min = column.present - texts[c] == 0 ? value : std::min(column.min, value);
        column.max = column.present - texts[c] == 0 ? value : std::max(column.max, value);
      } else {
        ++texts[c];
      }
      ++column.present;
      if (values[c].size() <= kMaxCategories) values[c].emplace(fields[c]);
    }
  }
  for (std::size_t c = 0; c < header.size(); ++c) {
    ColumnSummary& column = summary.columns[c];
    column.numeric = texts[c] == 0;
    column.distinct = values[c].size();
    for (const std::string& value : values[c]) {
      if (column.values.size() == 20) break;
      column.values.push_back(value);
    }
  }
  return summary;
}

}  // namespace gradlab
