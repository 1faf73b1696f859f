// CSV tables: RFC 4180 parsing (quotes, "" escapes, newlines in quotes, CRLF), column types and
// vocabularies, one-hot encoding, missing and unseen values, standardisation, errors naming
// file:line:column, streaming past the reader's buffer, and training on a table end to end.
#include "datasets/table.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "datasets/idx.h"
#include "framework/config_reader.h"
#include "tests/support.h"
#include "train/config.h"
#include "train/trainer.h"

namespace gradlab::testing {
namespace {

namespace fs = std::filesystem;

std::string write_csv(const std::string& name, const std::string& text) {
  const fs::path path = temp_folder("table_" + name) / (name + ".csv");
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

TableOptions label_column(const std::string& label) {
  TableOptions options;
  options.label = label;
  return options;
}

TEST_CASE("CSV: quoted fields, escaped quotes, newlines in quotes, CRLF; types and classes",
          "[data][table]") {
  const std::string path =
      write_csv("quotes",
                "size,colour,\"note, with comma\",label\r\n"
                "1.5,red,\"a \"\"quoted\"\" word\",10\r\n"
                "2,\"blue\",\"two\nlines\",9\r\n"
                "\r\n"  // a blank line is skipped
                "-3e2,red,plain,10\n"
                " 4 ,green,x,9");  // the last record without a line end; spaces around a number
  TableOptions options = label_column("label");
  options.features = {"size", "colour"};
  const TableSchema schema = infer_table_schema(path, options);
  // Labels that are all integers sort as numbers: 9 before 10.
  CHECK(schema.class_names == std::vector<std::string>{"9", "10"});
  REQUIRE(schema.columns.size() == 2);
  CHECK(!schema.columns[0].categorical);
  CHECK(schema.columns[1].categorical);
  CHECK(schema.columns[1].values == std::vector<std::string>{"blue", "green", "red"});
  CHECK(schema.width() == 4);
  CHECK(schema.feature_names() ==
        std::vector<std::string>{"size", "colour=blue", "colour=green", "colour=red"});

  const ImageDataset table = read_table(path, schema, options);
  REQUIRE(table.count == 4);
  CHECK(table.sample_shape() == Shape{4});
  CHECK(table.labels == Labels{1, 0, 1, 0});
  const std::vector<float> expected{1.5f,      0, 0, 1, /**/ 2, 1, 0, 0,
                                    /**/ -300, 0, 0, 1, /**/ 4, 0, 1, 0};
  CHECK(table.features == expected);

  // The quoted note column as a categorical feature: its values unescaped, the newline kept.
  options.features = {"note, with comma"};
  const TableSchema notes = infer_table_schema(path, options);
  CHECK(notes.columns[0].values ==
        std::vector<std::string>{"a \"quoted\" word", "plain", "two\nlines", "x"});
}

TEST_CASE("CSV errors name the file, line and column", "[data][table][errors]") {
  const TableOptions options = label_column("label");
  const std::string ragged = write_csv("ragged", "a,b,label\n1,2,x\n3,y\n");
  CHECK_THROWS_WITH(infer_table_schema(ragged, options), ragged + ":3: 2 fields, the header has 3");
  const std::string typo = write_csv("typo", "age,label\n1,x\n2,y\n3O,x\n4,y\n");
  CHECK_THROWS_WITH(infer_table_schema(typo, options),
                    typo +
                        ":4:1 (column 'age'): '3O' is not a number, but 3 of the column's "
                        "values are; fix it, or list the column in data.categorical");
  CHECK_THROWS_WITH(infer_table_schema(typo, label_column("lable")),
                    "data.label: " + typo + " has no column 'lable'; did you mean 'label'?");
  const std::string missing = write_csv("missing", "age,label\n1,x\n,y\n");
  CHECK_THROWS_WITH(infer_table_schema(missing, options),
                    Catch::StartsWith(missing + ":3:1 (column 'age'): missing value"));
  const std::string unclosed = write_csv("unclosed", "a,label\n\"open,x\n");
  CHECK_THROWS_WITH(infer_table_schema(unclosed, options),
                    unclosed + ":2: a quoted field is not closed before the end of the file");
  const std::string one_class = write_csv("one_class", "a,label\n1,x\n2,x\n");
  CHECK_THROWS_WITH(infer_table_schema(one_class, options), Catch::Contains("has one value"));
  std::string ids = "id,label\n";
  for (int i = 0; i <= 1000; ++i)
    ids += "id" + std::to_string(i) + "," + (i % 2 ? "a" : "b") + "\n";
  const std::string many = write_csv("many", ids);
  CHECK_THROWS_WITH(infer_table_schema(many, options),
                    Catch::Contains("column 'id' has more than 1000 distinct values"));

  // The test file: an unseen category, a label the training file lacks, text in a number column.
  const std::string train = write_csv("train", "colour,size,label\nred,1,x\nblue,2,y\n");
  const TableSchema schema = infer_table_schema(train, options);
  const std::string test = write_csv("test", "size,label,colour\n1,x,red\n2,y,green\n");
  CHECK_THROWS_WITH(read_table(test, schema, options),
                    Catch::StartsWith(test + ":3:3 (column 'colour'): 'green' is not among the "
                                             "column's 2 values in the training file"));
  const std::string bad_label = write_csv("bad_label", "size,label,colour\n1,z,red\n");
  CHECK_THROWS_WITH(read_table(bad_label, schema, options),
                    bad_label +
                        ":2:2 (column 'label'): label 'z' is not one of the 2 classes of "
                        "the training file");
  // A number a float cannot hold (found by fuzzing: it became infinite, and NaN once standardised).
  const std::string huge = write_csv("huge", "x,y,label\n1,2,a\n1,2.5e55,b\n");
  CHECK_THROWS_WITH(infer_table_schema(huge, options),
                    huge + ":3:2 (column 'y'): '2.5e55' is beyond the range of a float (±3.4e38)");
  const std::string huge_test = write_csv("huge_test", "size,label,colour\n-1e39,x,red\n");
  CHECK_THROWS_WITH(read_table(huge_test, schema, options),
                    huge_test +
                        ":2:1 (column 'size'): '-1e39' is beyond the range of a float "
                        "(±3.4e38)");
  const std::string text = write_csv("text", "size,label,colour\nbig,x,red\n");
  CHECK_THROWS_WITH(read_table(text, schema, options),
                    text + ":2:1 (column 'size'): 'big' is not a number (the column is numeric)");
}

TEST_CASE("Unseen categories to an 'other' slot; missing numbers imputed with the training mean",
          "[data][table]") {
  TableOptions options = label_column("label");
  options.unseen_to_other = true;
  options.impute_missing = true;
  const std::string train = write_csv("impute", "colour,size,label\nred,1,x\nblue,NA,y\nred,5,x\n");
  const TableSchema schema = infer_table_schema(train, options);
  CHECK(schema.feature_names() ==
        std::vector<std::string>{"colour=blue", "colour=red", "colour=(other)", "size"});
  ImageDataset table = read_table(train, schema, options);
  CHECK(std::isnan(table.row(1)[3]));
  // size: mean 3 and standard deviation 2 over the rows present (1 and 5); one-hot slots as is.
  const Standardization statistics = table_statistics(table, {0, 1, 2}, schema);
  CHECK(statistics.mean == std::vector<double>{0, 0, 0, 3});
  CHECK(statistics.std == std::vector<double>{1, 1, 1, 2});
  standardize(table, statistics);
  CHECK(table.features ==
        std::vector<float>{0, 1, 0, -1, /**/ 1, 0, 0, 0, /**/ 0, 1, 0, 1});  // NaN → the mean
  const std::string test = write_csv("impute_test", "colour,size,label\ngreen,2,y\n");
  CHECK(read_table(test, schema, options).features == std::vector<float>{0, 0, 1, 2});
}

TEST_CASE("Global scaling: one mean and std pooled over every numeric column", "[data][table]") {
  const std::string path = write_csv("global", "a,shade,b,label\n0,dark,4,x\n2,light,6,y\n");
  const TableOptions options = label_column("label");
  const TableSchema schema = infer_table_schema(path, options);
  CHECK(schema.rows == 2);
  const ImageDataset table = read_table(path, schema, options);
  // Values 0, 2, 4, 6: mean 3, variance (9 + 1 + 1 + 9) / 4 = 5; the shade slots untouched.
  const Standardization global = table_statistics(table, {0, 1}, schema, /*per_column=*/false);
  CHECK(global.mean == std::vector<double>{3, 0, 0, 3});
  CHECK(global.std[0] == Approx(std::sqrt(5.0)));
  CHECK(global.std[3] == Approx(std::sqrt(5.0)));
  CHECK(global.std[1] == 1.0);
  const Standardization own = table_statistics(table, {0, 1}, schema);
  CHECK(own.mean == std::vector<double>{1, 0, 0, 5});
  CHECK(own.std == std::vector<double>{1, 1, 1, 1});
}

TEST_CASE("Statistics of large values with a small spread keep their precision", "[data][table]") {
  // 1e6 + 0.25, 0.5, 0.75 (exact in float): mean 1e6 + 0.5, std √(2 · 0.25² / 3) = 0.2041. A sum
  // of squares (1e12 each) would leave the variance, 0.0417, only about three digits.
  const std::string path =
      write_csv("precision", "t,label\n1000000.25,a\n1000000.5,b\n1000000.75,a\n");
  const TableOptions options = label_column("label");
  const TableSchema schema = infer_table_schema(path, options);
  const Standardization statistics =
      table_statistics(read_table(path, schema, options), {0, 1, 2}, schema);
  CHECK(statistics.mean[0] == 1000000.5);
  CHECK(statistics.std[0] == Approx(std::sqrt(2 * 0.0625 / 3)).epsilon(1e-12));
}

TEST_CASE("A table longer than the reader's buffer: records across its refills read whole",
          "[data][table]") {
  // ~9 MB: two refills of the 4 MiB buffer, with quoted fields holding commas and newlines.
  std::string text = "x,note,label\n";
  const std::size_t rows = 120000;
  for (std::size_t i = 0; i < rows; ++i)
    text += std::to_string(i) + ".25,\"n," + std::to_string(i % 7) + "\nline\"\"s\"," +
            (i % 3 ? "b" : "a") + "\r\n";
  const std::string path = write_csv("long", text);
  TableOptions options = label_column("label");
  const TableSchema schema = infer_table_schema(path, options);
  REQUIRE(schema.columns[1].values.size() == 7);
  CHECK(schema.columns[1].values[3] == "n,3\nline\"s");
  const ImageDataset table = read_table(path, schema, options);
  REQUIRE(table.count == rows);
  for (std::size_t i : {std::size_t{0}, std::size_t{46000}, std::size_t{93001}, rows - 1}) {
    CHECK(table.row(i)[0] == static_cast<float>(i) + 0.25f);
    CHECK(table.row(i)[1 + i % 7] == 1.0f);
    CHECK(table.labels[i] == (i % 3 ? 1 : 0));
  }
}

TEST_CASE("Training on a CSV table: classes from the label, statistics kept in the run's config",
          "[data][table][trainer]") {
  // Three classes by the sign of x + y and the colour; z is noise; y has a few values missing.
  Rng rng(11);
  std::string train = "x,y,z,colour,kind\n", test = train;
  for (int i = 0; i < 1200; ++i) {
    const double x = rng.uniform(-1, 1) * 50 + 100, y = rng.uniform(-1, 1) * 0.01;
    const bool warm = rng.below(2) == 1;
    const std::string kind = (x - 100) / 50 + y * 100 > 0 ? (warm ? "hot" : "warm") : "cold";
    std::ostringstream line;
    line << x << "," << (i % 50 == 7 ? std::string("") : std::to_string(y)) << ","
         << rng.uniform(0, 1) << "," << (warm ? "red" : "blue") << "," << kind << "\n";
    (i < 1000 ? train : test) += line.str();
  }
  const fs::path run = temp_folder("table_train_run");
  nlohmann::json config = nlohmann::json::parse(R"({
    "seed": 5,
    "data": {"dataset": "csv", "label": "kind", "missing": "mean"},
    "model": {"name": "mlp", "hidden": [16]},
    "optimizer": {"type": "adam", "lr": 0.01},
    "epochs": 15, "batch_size": 32
  })");
  config["data"]["file"] = write_csv("kinds", train);
  config["data"]["test_file"] = write_csv("kinds_test", test);
  config["output"] = run.string();
  const ExperimentConfig experiment = parse_experiment(config, "kinds");
  CHECK(experiment.data.class_names == std::vector<std::string>{"cold", "hot", "warm"});
  std::ostringstream log;
  const TrainResult result = train_experiment(experiment, {}, log);
  CHECK_THAT(log.str(), Catch::Contains("900 training / 100 validation rows"));
  CHECK(result.final_metrics.at("test").at("accuracy").get<double>() > 0.9);
  // The written config carries the schema and the training rows' statistics, and reads back
  // without the training file.
  const nlohmann::json written = load_json_file((run / "config.json").string());
  CHECK(written["data"]["columns"].size() == 4);
  CHECK(written["data"]["columns"][3]["values"] == nlohmann::json({"blue", "red"}));
  const std::vector<double> mean = written["data"]["standardize"]["mean"];
  REQUIRE(mean.size() == 5);
  CHECK(mean[0] == Approx(100).margin(5));  // x's mean over the 900 training rows
  CHECK(mean[3] == 0.0);                    // a one-hot slot
  nlohmann::json moved = written;
  moved["data"]["file"] = "/nonexistent/train.csv";
  CHECK(parse_experiment(moved, "moved").data.schema.width() == 5);
}

}  // namespace
}  // namespace gradlab::testing
