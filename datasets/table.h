// CSV tables as classification data: a header row, a label column named by the config, feature
// columns (all others, or a list), read as RFC 4180 says (fields quoted with '"', "" inside quotes
// for a quote, CRLF or LF line ends, a newline inside quotes is part of the field).
//
// A table is read in two streaming passes, so that memory is the float matrix, not the text:
//   infer_table_schema  the training file's columns: numeric when every present value parses as a
//                       number, categorical when none does (or when listed in `categorical`); the
//                       label's values (the classes: sorted as integers when they all are, else as
//                       text); each categorical column's values (its one-hot vocabulary, sorted)
//   read_table          a file (training or test) with that schema: one float row per line, the
//                       numeric columns as they are (a missing one NaN, for imputation), each
//                       categorical column one-hot over its vocabulary (and an "other" slot when
//                       asked for; else an unseen value is an error)
// A missing value is an empty field, "NA" or "?": an error, or with impute_missing NaN in a
// numeric column (standardize() makes it the training mean) and all-0 slots in a categorical one.
// Errors name the file, line and column.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/image_dataset.h"

namespace gradlab {

struct TableColumn {
  std::string name;
  bool categorical = false;
  std::vector<std::string> values;  // categorical: the vocabulary, sorted
};

struct TableOptions {
  std::string label;                  // the label column's name
  std::vector<std::string> features;  // the feature columns by name; empty: every other column
  std::vector<std::string>
      categorical;               // columns to one-hot encode even if their values are numbers
  bool impute_missing = false;   // missing numeric values: an error, or the training mean
  bool unseen_to_other = false;  // an unseen category: an error, or an "other" slot
};

struct TableSchema {
  std::string label;
  std::vector<std::string> class_names;  // the label's values, in class order
  std::vector<TableColumn> columns;      // the features, in the order they are encoded
  bool other_slot = false;               // each categorical column has one more slot, "other"
  std::size_t rows =
      0;  // rows of the file it was inferred from (read_table reserves them); 0 if unknown
  // Encoded width: one float per numeric column, one per category (+1 with other_slot).
  std::size_t width() const;
  // The name of each encoded feature: "age", "colour=red", "colour=(other)".
  std::vector<std::string> feature_names() const;
  // Whether encoded feature f is numeric (standardised) rather than a one-hot slot.
  std::vector<bool> numeric_features() const;
};

// Pass one over the training file. Throws DataError naming file:line:column for ragged rows, a
// missing label, a missing feature value (unless impute_missing), a column mixing numbers with
// text; ConfigError for a label or feature column that does not exist (with the nearest name).
TableSchema infer_table_schema(const std::string& path, const TableOptions& options);

// A table's rows with a schema: ImageDataset::features holds count × schema.width() floats,
// sample_shape [width]. Columns are found by name (a test file may order them otherwise); a file
// without one is a DataError naming it and the column. A label not among the schema's classes is
// an error naming file:line:column. Without require_label, a
// file without the label column reads too (for predict), every label 0.
ImageDataset read_table(const std::string& path, const TableSchema& schema,
                        const TableOptions& options, bool require_label = true);

// Per encoded feature, the mean and standard deviation that standardise it: x' = (x − mean) / std.
// One-hot slots keep mean 0, std 1.
struct Standardization {
  std::vector<double> mean, std;
};
// Of the numeric features over the rows at `indices`, missing values (NaN) left out: each
// feature's own mean and std (per_column), or one mean and std of all numeric values (global: for
// columns of one scale, such as an image's pixels), repeated for each numeric feature.
Standardization table_statistics(const ImageDataset& table, const std::vector<std::size_t>& indices,
                                 const TableSchema& schema, bool per_column = true);
// Standardises every row in place; a missing value (NaN) becomes 0, the training mean.
void standardize(ImageDataset& table, const Standardization& statistics);

// Per column of a CSV file, what `gradlab data inspect` shows: name, type (numeric or
// categorical), count of missing values, range (numeric) or distinct values (categorical, up
// to 20 listed). Rows counted; ragged rows are errors.
struct ColumnSummary {
  std::string name;
  bool numeric = true;
  std::size_t present = 0, missing = 0;
  double min = 0, max = 0;
  std::vector<std::string> values;  // up to 20 distinct
  std::size_t distinct = 0;         // capped at kMaxCategories + 1
};
struct TableSummary {
  std::size_t rows = 0;
  std::vector<ColumnSummary> columns;
};
TableSummary summarize_table(const std::string& path);

// Categorical columns with more values than this are refused (an id column, or numbers with a typo
// in them): one-hot encoding them would make the feature vector as long as the table.
constexpr std::size_t kMaxCategories = 1000;

}  // namespace gradlab
