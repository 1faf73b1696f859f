#include "train/report/report.h"

#include <unistd.h>

#include <fstream>
#include <memory>

#include "datasets/image_file.h"
#include "framework/files.h"
#include "framework/layers/flatten.h"
#include "framework/layers/linear.h"
#include "tests/support.h"
#include "train/report/gnuplot.h"

using namespace gradlab;
using gradlab::testing::temp_folder;

namespace {

// Four 1×1×2 images whose predictions are worked by hand: a Linear model with W = I and b = 0
// predicts the brighter pixel's class, with softmax confidence 1 / (1 + e^(−|x0 − x1|)).
ImageDataset two_pixel_images() {
  ImageDataset data;
  data.count = 4, data.channels = 1, data.height = 1, data.width = 2, data.classes = 2;
  data.pixels = {255, 0, /**/ 0, 255, /**/ 0, 51, /**/ 255, 204};
  data.labels = {0, 0, 0, 1};  // right, wrong (certain), wrong (unsure), wrong (unsure)
  return data;
}

std::unique_ptr<Sequential<float>> identity_classifier() {
  Rng rng(1);
  auto model = std::make_unique<Sequential<float>>();
  model->emplace<Flatten<float>>();
  auto& linear = model->emplace<Linear<float>>(2, 2, rng);
  float* w = linear.weight().value.data();
  w[0] = 1, w[1] = 0, w[2] = 0, w[3] = 1;
  return model;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("predict_split: the confusion matrix and every mistake, most confident first",
          "[report]") {
  const auto model = identity_classifier();
  const SplitPredictions predictions = predict_split(*model, two_pixel_images(), {}, 2);
  // Pixels / 255: (1, 0) → class 0 (right); (0, 1) → 1 (wrong, z gap 1); (0, 0.2) → 1 (wrong,
  // gap 0.2); (1, 0.8) → 0 (wrong, gap 0.2).
  const auto& confusion = predictions.metrics.confusion();
  CHECK(confusion[0][0] == 1);
  CHECK(confusion[0][1] == 2);
  CHECK(confusion[1][0] == 1);
  CHECK(confusion[1][1] == 0);
  REQUIRE(predictions.mistakes.size() == 3);
  CHECK(predictions.mistakes[0].index == 1);
  CHECK(predictions.mistakes[0].label == 0);
  CHECK(predictions.mistakes[0].predicted == 1);
  CHECK(predictions.mistakes[0].confidence == Approx(1 / (1 + std::exp(-1.0))).epsilon(1e-6));
  // The two unsure ones tie (gap 0.2 each): in index order.
  CHECK(predictions.mistakes[1].index == 2);
  CHECK(predictions.mistakes[2].index == 3);
  CHECK(predictions.mistakes[1].confidence == Approx(1 / (1 + std::exp(-0.2))).epsilon(1e-5));
  CHECK(predictions.mistakes[2].predicted == 0);
}

TEST_CASE("predict_split in batches: mistakes keep their split index, the model its mode",
          "[report]") {
  const auto model = identity_classifier();
  for (const bool training : {false, true}) {
    model->train(training);
    // Batches of 3: images 0-2, then image 3 alone.
    const SplitPredictions predictions = predict_split(*model, two_pixel_images(), {}, 2, 3);
    CHECK(model->is_training() == training);
    REQUIRE(predictions.mistakes.size() == 3);
    CHECK(predictions.mistakes[0].index == 1);
    CHECK(predictions.mistakes[1].index == 2);
    CHECK(predictions.mistakes[2].index == 3);  // the second batch's first image
    CHECK(predictions.mistakes[2].predicted == 0);
    CHECK(predictions.metrics.count() == 4);
  }
}

TEST_CASE("read_run_history: epochs, logged steps and the status of a run folder", "[report]") {
  const auto run = temp_folder("report_history");
  write_text(run / "config.json", R"({"epochs": 4, "data": {"dataset": "mnist"}})");
  write_text(run / "metrics.jsonl",
             "{\"epoch\":1,\"step\":5,\"lr\":0.1,\"train_loss\":2.0}\n"
             "{\"epoch\":1,\"step\":10,\"train_loss\":1.5,\"train_accuracy\":0.5}\n"
             "{\"epoch\":2,\"step\":15,\"lr\":0.1,\"train_loss\":1.0}\n"
             "{\"epoch\":2,\"st");  // the trainer is appending this line
  write_text(run / "run.lock", "");
  nlohmann::json history = read_run_history(run);
  CHECK(history["epochs"].size() == 1);
  CHECK(history["steps"].size() == 2);
  CHECK(history["final"].is_null());
  CHECK(history["status"]["state"] == "stopped");
  CHECK(history["status"]["text"] == "stopped after 1 of 4 epochs (resume with --resume)");

  write_text(run / "run.lock", std::to_string(::getpid()) + "\n");  // a live trainer
  CHECK(read_run_history(run)["status"]["text"] == "running: 1 of 4 epochs done");

  write_text(run / "final_metrics.json", R"({"epochs_run": 1})");
  history = read_run_history(run);
  CHECK(history["status"]["state"] == "finished");
  CHECK(history["final"]["epochs_run"] == 1);

  write_text(run / "metrics.jsonl", "{\"epoch\":1,\"train_accuracy\":0.5}\n[1, 2]\n");
  CHECK_THROWS_WITH(read_run_history(run),
                    (run / "metrics.jsonl").string() +
                        ":2: not a line of metrics.jsonl (a JSON object with \"epoch\")");
  write_text(run / "config.json", "{\"epochs\": ");
  CHECK_THROWS_WITH(read_run_history(run),
                    Catch::StartsWith((run / "config.json").string() + ": not valid JSON"));
  CHECK_THROWS_WITH(read_run_history(run / "missing"),
                    (run / "missing").string() + ": no such run folder");
}

TEST_CASE("read_run_history: damaged fields are refused with the file, line or key at fault",
          "[report]") {
  // Each of these once stopped `gradlab watch` (a division by zero) or gave a JSON library error
  // naming no file (found by the run_folder fuzz target, tests/fuzz/regressions/run_folder).
  const auto run = temp_folder("report_damaged");
  write_text(run / "config.json", R"({"epochs": 4, "data": {"dataset": "mnist"}})");
  const std::string metrics = (run / "metrics.jsonl").string();
  const auto refused = [&](const std::string& line) {
    write_text(run / "metrics.jsonl", "{\"epoch\":1,\"step\":5,\"train_accuracy\":0.5}\n" + line);
    try {
      read_run_history(run);
    } catch (const DataError& error) {
      return std::string(error.what());
    }
    return std::string("accepted");
  };
  CHECK(refused("{\"epoch\":0,\"step\":5,\"train_accuracy\":0.5}\n") ==
        metrics + ":2: \"epoch\" is 0, not a whole number from 1");
  CHECK(refused("{\"epoch\":\"two\",\"train_loss\":1}\n") ==
        metrics + ":2: \"epoch\" is \"two\", not a whole number from 1");
  CHECK(refused("{\"epoch\":2,\"step\":-3,\"train_loss\":1}\n") ==
        metrics + ":2: \"step\" is -3, not a whole number");
  CHECK(refused("{\"epoch\":2,\"seconds\":\"x\",\"train_accuracy\":1}\n") ==
        metrics + ":2: \"seconds\" is \"x\", not a number");
  CHECK(refused("{\"epoch\":2,\"step\":10,\"seconds\":\"x\",\"train_accuracy\":1}\n") ==
        metrics + ":2: \"seconds\" is \"x\", not a number");  // a good step checks on
  CHECK(refused("{\"epoch\":2,\"step\":10,\"seconds\":1.5,\"train_accuracy\":1}\n") == "accepted");

  write_text(run / "config.json", R"({"epochs": "four", "data": {"dataset": "mnist"}})");
  CHECK_THROWS_WITH(read_run_history(run), (run / "config.json").string() +
                                               ": \"epochs\" is \"four\", not a whole number");
  write_text(run / "config.json", R"({"data": {"dataset": "mnist"}})");  // epochs: not said
  write_text(run / "metrics.jsonl", "{\"epoch\":1,\"step\":5,\"train_accuracy\":0.5}\n");
  CHECK(read_run_history(run)["status"]["text"] ==
        "stopped after 1 of 0 epochs (resume with --resume)");
  write_text(run / "config.json", "[1, 2]");
  CHECK_THROWS_WITH(read_run_history(run), (run / "config.json").string() + ": not a JSON object");
  write_text(run / "config.json", R"({"epochs": 4, "data": {"dataset": "mnist"}})");
  write_text(run / "final_metrics.json", "3");
  CHECK_THROWS_WITH(read_run_history(run),
                    (run / "final_metrics.json").string() + ": not a JSON object");
}

TEST_CASE("The report page: self-contained, and its data cannot break out of its script",
          "[report]") {
  nlohmann::json data{{"title", "a <b> & c"},
                      {"class_names", {"</script><script>alert(1)</script>", "<!-- x"}}};
  const std::string html = render_report_html(data);
  // Exactly the page's own scripts end: uPlot, page.js, the data block and the call that draws.
  std::size_t ends = 0;
  for (std::size_t at = 0; (at = html.find("</script>", at)) != std::string::npos; ++at) ++ends;
  CHECK(ends == 4);
  CHECK(html.find("<title>gradlab run: a &lt;b> &amp; c</title>") != std::string::npos);
  CHECK(html.find("\\u003c/script>\\u003cscript>alert(1)") != std::string::npos);
  // Nothing to fetch: no src= or href= to anything outside the page.
  CHECK(html.find(" src=\"http") == std::string::npos);
  CHECK(html.find(" href=\"http") == std::string::npos);
  CHECK(html.find("Copyright (c) 2022 Leon Sorokin") != std::string::npos);  // uPlot's licence
}

TEST_CASE("The report's data: the planned learning-rate schedule and the mistakes' images",
          "[report]") {
  const ImageDataset images = two_pixel_images();
  const auto model = identity_classifier();
  ReportContent content;
  content.title = "run";
  content.history = {{"config",
                      {{"data", {{"dataset", "mnist"}}},
                       {"model", {{"layers", nlohmann::json::array({{{"type", "flatten"}}})}}},
                       {"optimizer", {{"type", "sgd"}, {"lr", 0.5}}},
                       {"schedule", {{"type", "cosine"}, {"warmup_epochs", 1}}},
                       {"epochs", 4}}},
                     {"epochs", {{{"epoch", 1}, {"step", 10}, {"train_accuracy", 0.5}}}}};
  content.class_names = {"left", "right"};
  content.evaluation = predict_split(*model, images, {}, 2);
  content.split = &images;
  const nlohmann::json data = report_data(content);
  CHECK(data["steps_per_epoch"] == 10);
  const nlohmann::json& schedule = data["schedule"];
  REQUIRE(schedule.size() == 41);  // steps 0..40 of 4 epochs × 10
  CHECK(schedule[0][0] == 0.0);
  CHECK(schedule[40][0] == 4.0);
  // Linear warm-up over the first epoch, then cosine down to 0 at the end.
  CHECK(schedule[10][1].get<double>() == Approx(0.5));
  CHECK(schedule[40][1].get<double>() == Approx(0.0).margin(1e-12));
  CHECK(schedule[25][1].get<double>() == Approx(0.25));  // half-way through the cosine
  CHECK(data["evaluation"]["mistakes_total"] == 3);
  // Image 1 is the pixels (0, 255): a 2×1 gray PNG, base64 in a data URI.
  const std::string uri = data["evaluation"]["mistakes"][0]["image"];
  CHECK(uri.rfind("data:image/png;base64,iVBORw0KGgo", 0) == 0);  // the PNG signature's base64
  CHECK(uri.size() % 4 == 2);  // "data:image/png;base64," is 22 characters; base64 comes in 4s
}

namespace {
std::string from_base64(const std::string& text) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  unsigned buffer = 0, bits = 0;
  for (char c : text) {
    if (c == '=') break;
    buffer = (buffer << 6) | static_cast<unsigned>(alphabet.find(c));
    if ((bits += 6) >= 8) bytes += static_cast<char>((buffer >> (bits -= 8)) & 0xff);
  }
  return bytes;
}

ReportContent mistakes_of(const ImageDataset& split, const Sequential<float>& model) {
  ReportContent content;
  content.history = {{"config", {{"epochs", 1}}}, {"epochs", nlohmann::json::array()}};
  content.class_names = {"left", "right"};
  content.evaluation = predict_split(const_cast<Sequential<float>&>(model), split, {}, 2);
  content.split = &split;
  return content;
}
}  // namespace

TEST_CASE("The report's mistakes: colour images as RGB PNGs, a table's rows as numbers",
          "[report]") {
  const auto model = identity_classifier();
  // The two-pixel images in colour: channel 0 as before, channels 1 and 2 of their own. The model
  // sees 6 inputs, so it is a Linear of 6 → 2 that reads channel 0 only.
  ImageDataset colour = two_pixel_images();
  colour.channels = 3;
  colour.pixels.clear();
  const std::vector<std::uint8_t> grey = two_pixel_images().pixels;
  for (std::size_t n = 0; n < 4; ++n)
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t x = 0; x < 2; ++x)
        colour.pixels.push_back(static_cast<std::uint8_t>(c == 0 ? grey[2 * n + x] : 10 * c + x));
  Rng rng(2);
  Sequential<float> wide;
  wide.emplace<Flatten<float>>();
  auto& linear = wide.emplace<Linear<float>>(6, 2, rng);
  std::fill(linear.weight().value.begin(), linear.weight().value.end(), 0.0f);
  std::fill(linear.bias().value.begin(), linear.bias().value.end(), 0.0f);
  linear.weight().value.data()[0] = 1;  // W is in × out: input 0 → class 0, input 1 → class 1
  linear.weight().value.data()[3] = 1;
  const nlohmann::json data = report_data(mistakes_of(colour, wide));
  const std::string uri = data["evaluation"]["mistakes"][0]["image"];
  const std::string png = from_base64(uri.substr(uri.find(',') + 1));
  const Image read = decode_image(png, "mistake.png", 3);
  const std::size_t index = data["evaluation"]["mistakes"][0]["index"];
  CHECK(read.pixels == std::vector<std::uint8_t>(colour.image(index), colour.image(index) + 6));
  CHECK(probe_image(png, "mistake.png").mode == "RGB");

  // A table of the same numbers, two features per row: rows, not images.
  ImageDataset table;
  table.table = true;
  table.count = 4, table.height = 1, table.width = 2, table.classes = 2;
  for (std::uint8_t p : grey) table.features.push_back(p / 255.0f);
  table.labels = two_pixel_images().labels;
  const nlohmann::json rows = report_data(mistakes_of(table, *model));
  const nlohmann::json& first = rows["evaluation"]["mistakes"][0];
  CHECK(!first.contains("image"));
  CHECK(first["row"] == nlohmann::json({0.0, 1.0}));  // image 1's (0, 255) as a row
  CHECK(first["features"] == 2);
}

TEST_CASE("The figures' gnuplot script holds the data and quotes names", "[report]") {
  const nlohmann::json data{
      {"title", "run"},
      {"status", {{"text", "finished"}}},
      {"class_names", {"it's", "b"}},
      {"steps_per_epoch", 10},
      {"epochs",
       {{{"epoch", 1}, {"train_loss", 1.5}, {"train_accuracy", 0.5}},
        {{"epoch", 2},
         {"train_loss", 1.0},
         {"train_accuracy", 0.75},
         {"val_loss", 0.9},
         {"ema_val_accuracy", 0.8}}}},
      {"steps", nlohmann::json::array()},
      {"schedule", nlohmann::json::array()},
      {"evaluation", {{"source", "test"}, {"metrics", {{"confusion", {{3, 1}, {0, 0}}}}}}}};
  const std::string script = report_figures_script(data, "report");
  // Missing validation values are NaN (left out by gnuplot); accuracies in percent; the weight
  // average's validation (ema_) in columns 6 and 7, plotted as a curve of its own.
  CHECK(script.find("\n1 1.5 NaN 50 NaN NaN NaN\n2 1 0.9 75 NaN NaN 80\n") != std::string::npos);
  CHECK(script.find("using 1:7 with linespoints") != std::string::npos);
  CHECK(script.find("\n0.75 0.25\n0 0\n") != std::string::npos);  // rows as shares; 0 for none
  CHECK(script.find("'it''s' 0, 'b' 1") != std::string::npos);
  CHECK(script.find("layout 1,2") != std::string::npos);  // no schedule: two panels
}
