// The run report: report.html, one self-contained page to look at a run (learning curves, the
// learning-rate schedule, the confusion matrix with class names, per-class precision, recall and
// F1, the most confident mistakes, timing, memory and the config), and PNG copies of its curves
// and confusion matrix for terminals and papers (train/report/gnuplot.h).
//
// A report is made of two parts:
//   - the run's history, read from its folder (train/run_folder.h): config.json, metrics.jsonl,
//     final_metrics.json; a running run's folder gives the epochs so far;
//   - an evaluation: a checkpoint's predictions on a labelled split (by default the data set's
//     test split), which gives the confusion matrix, the per-class metrics and the mistakes.
// The page draws itself from that data (train/report/page.js, with uPlot's charts; both are
// compiled into gradlab, so the page needs no network).
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "datasets/image_dataset.h"
#include "datasets/loader.h"
#include "datasets/registry.h"
#include "datasets/test_time_augmentation.h"
#include "framework/sequential.h"
#include "train/metrics.h"

namespace gradlab {

// The mistakes a gallery shows at most: the most confident ones.
inline constexpr std::size_t kReportMistakes = 100;

struct Mistake {
  std::size_t index = 0;  // in the split
  int label = 0, predicted = 0;
  double confidence = 0;  // softmax probability of the predicted class
};

// Every prediction of a model on a split, reduced to what a report shows.
struct SplitPredictions {
  ClassificationMetrics metrics{1};
  std::vector<Mistake> mistakes;  // every wrong prediction, most confident first
};

// The model's predictions on every image of `split` (in eval mode; the model is left in the mode
// it was in), normalised as in training, `batch_size` images at a time (a trained model's own
// batch size reuses its oneDNN plans); with test-time views, of the logits averaged over them.
SplitPredictions predict_split(Sequential<float>& model, const ImageDataset& split,
                               const Normalization& normalization, std::size_t classes,
                               std::size_t batch_size = 256,
                               const TestTimeAugmentation* tta = nullptr);

// Where a report's evaluation comes from, as it says it: "Test split (t10k) of data/mnist, 10000
// images; weights of best.safetensors (epoch 7)"; "weight average of" for a run's average (config
// "ema"), and "; test-time views mirror" when views are averaged.
std::string describe_test_evaluation(const DatasetSpec& dataset, const std::string& folder,
                                     std::size_t images, const std::string& weights,
                                     std::size_t epoch, bool average = false,
                                     const TestTimeAugmentation& tta = {});

// The run's history from its folder: {"config", "epochs": [...], "steps": [...], "final": ... or
// null, "status": {"state": "finished" | "running" | "stopped", "text"}}. Throws DataError naming
// the file and line of a damaged metrics.jsonl or config.json.
nlohmann::json read_run_history(const std::filesystem::path& run_dir);
// What a run's pages are titled: its folder's name ("mnist_lenet" for runs/mnist_lenet/).
std::string run_title(const std::filesystem::path& run_dir);

// What the page draws: the history, the planned learning-rate schedule, and the evaluation
// (`evaluation_note` says why there is none). `split` holds the images of the mistakes.
struct ReportContent {
  std::string title;
  nlohmann::json history;  // read_run_history's, or one with only "config" (gradlab eval)
  std::vector<std::string> class_names;
  std::size_t parameters = 0;  // 0: unknown
  std::optional<SplitPredictions> evaluation;
  const ImageDataset* split = nullptr;
  std::string evaluation_source;  // "test split (t10k) of data/mnist, 10000 images; weights of …"
  std::string split_name;         // "test"
  std::string evaluation_note;
};
nlohmann::json report_data(const ReportContent& content);

// The page: report_data's JSON with page.js, page.css and uPlot inlined.
std::string render_report_html(const nlohmann::json& data);
// gradlab watch's live page (train/watch.h): the same page without data; its script reads
// data.json from the server every interval_seconds and redraws when the run has changed.
std::string render_live_html(const std::string& title, double interval_seconds);

// Writes `html_path` atomically and, when gnuplot is installed, the PNG copies beside it
// (<stem>-curves.png, <stem>-confusion.png) and the gnuplot script that draws them. Says on
// `log` what it wrote; a missing gnuplot is a note, not an error.
void write_report(const std::filesystem::path& html_path, const nlohmann::json& data,
                  std::ostream& log);

// gradlab report RUN_DIR, and the end of every training run: the run folder's report.html from
// its history and its best checkpoint (the last one if there is no best yet) evaluated on the
// data set's test split. backend "": the run's own. trained_model: the trainer's own model,
// holding that checkpoint's weights already (no second copy of the model is built).
void write_run_report(const std::filesystem::path& run_dir, const std::string& backend,
                      std::ostream& log, Sequential<float>* trained_model = nullptr);

}  // namespace gradlab
