#include "train/report/report.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>

#include "datasets/idx.h"
#include "datasets/image_file.h"
#include "datasets/registry.h"
#include "framework/files.h"
#include "framework/losses/softmax_cross_entropy.h"
#include "framework/optim/registry.h"
#include "gradlab/version.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/evaluation.h"
#include "train/report/assets.h"
#include "train/report/gnuplot.h"
#include "train/run_folder.h"
#include "train/safetensors.h"

namespace gradlab {

namespace fs = std::filesystem;

namespace {

std::string base64(const std::string& bytes) {
  static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 3; ++k)
      group = group << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) text += k <= n ? digits[(group >> (18 - 6 * k)) & 63] : '=';
  }
  return text;
}

// Image `index` of the split as a PNG data URI, grey or in colour.
std::string image_uri(const ImageDataset& split, std::size_t index) {
  const std::uint8_t* first = split.image(index);
  const Image image{split.channels, split.height, split.width,
                    std::vector<std::uint8_t>(first, first + split.image_size())};
  return "data:image/png;base64," + base64(encode_png(image));
}

// The JSON objects of a file written a line at a time, each with `key`, into `lines`; `check`
// returns what is wrong with an object (empty: nothing). A running run may be appending its last
// line: an unfinished last line (no newline yet) is left for next time.
template <class Check>
void read_json_lines(const fs::path& path, const char* key, nlohmann::json& lines, Check check) {
  const std::string text = read_file(path.string());
  std::size_t start = 0, line_number = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) break;  // being written
    ++line_number;
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    const std::string at = path.string() + ":" + std::to_string(line_number) + ": ";
    nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_discarded() || !entry.is_object() || !entry.contains(key))
      throw DataError(at + "not a line of " + path.filename().string() + " (a JSON object with \"" +
                      key + "\")");
    if (const std::string wrong = check(entry); !wrong.empty()) throw DataError(at + wrong);
    lines.push_back(std::move(entry));
  }
}

// What is wrong with `value` as the count `key` (empty: nothing): a whole number, from 1 if
// `from_one`.
std::string count_problem(const std::string& key, const nlohmann::json& value, bool from_one) {
  if (value.is_number_unsigned() && !(from_one && value.get<std::uint64_t>() == 0)) return "";
  return "\"" + key + "\" is " + value.dump() + ", not a whole number" +
         (from_one ? " from 1" : "");
}

// metrics.jsonl: epoch lines (they carry train_accuracy) and logged-step lines. The fields read
// here, not only drawn, are checked: the epoch and step counts (steps per epoch is their ratio)
// and an epoch's seconds (how long a remote trainer may stay quiet).
void read_metrics(const fs::path& path, nlohmann::json& epochs, nlohmann::json& steps) {
  nlohmann::json lines = nlohmann::json::array();
  read_json_lines(path, "epoch", lines, [](const nlohmann::json& entry) -> std::string {
    if (std::string wrong = count_problem("epoch", entry["epoch"], true); !wrong.empty())
      return wrong;
    if (entry.contains("step"))
      if (std::string wrong = count_problem("step", entry["step"], false); !wrong.empty())
        return wrong;
    if (entry.contains("seconds") && !entry["seconds"].is_number())
      return "\"seconds\" is " + entry["seconds"].dump() + ", not a number";
    return "";
  });
  for (nlohmann::json& entry : lines)
    (entry.contains("train_accuracy") ? epochs : steps).push_back(std::move(entry));
}

// A JSON object from a file of the run folder.
nlohmann::json read_json_object(const fs::path& path) {
  nlohmann::json object = nlohmann::json::parse(read_file(path.string()), nullptr, false);
  if (object.is_discarded()) throw DataError(path.string() + ": not valid JSON");
  if (!object.is_object()) throw DataError(path.string() + ": not a JSON object");
  return object;
}

// Whether the trainer named in run.lock is at work: the trainer holds that file while it trains
// (train/run_folder.h). Reading it does not take the lock, so a report never keeps a run from
// starting or resuming. On this machine, whether its process is alive; a trainer on another
// machine (a shared folder) cannot be asked, so it counts as at work while the folder keeps
// changing: metrics.jsonl or run.lock written within three of its longest epochs so far, and at
// least ten minutes. `who` is set to the other machine's name.
bool trainer_alive(const fs::path& run_dir, const nlohmann::json& epochs, std::string& who) {
  const fs::path lock = run_dir / "run.lock";
  LockHolder holder;
  try {
    holder = read_lock_holder(read_file(lock.string()));
  } catch (const DataError&) {
    return false;  // no lock file (a run before its trainer started), or one unreadable: nobody
  }
  if (holder.pid <= 0) return false;
  if (holder.host.empty() || holder.host == this_host())
    return ::kill(static_cast<pid_t>(holder.pid), 0) == 0 || errno == EPERM;
  who = holder.host;
  double longest_epoch = 0;
  for (const nlohmann::json& epoch : epochs)
    longest_epoch = std::max(longest_epoch, epoch.value("seconds", 0.0));
  const auto quiet_for = [&](const fs::path& file) {
    std::error_code error;
    const auto written = fs::last_write_time(file, error);
    if (error) return 1e300;
    return std::chrono::duration<double>(fs::file_time_type::clock::now() - written).count();
  };
  const double quiet =
      std::min(quiet_for(run_dir / "metrics.jsonl"), quiet_for(run_dir / "run.lock"));
  return quiet < std::max(600.0, 3 * longest_epoch);
}

// The planned learning rate over the whole run, at most ~400 points, x in epochs.
nlohmann::json schedule_points(const nlohmann::json& config, std::size_t steps_per_epoch) {
  nlohmann::json points = nlohmann::json::array();
  if (steps_per_epoch == 0) return points;
  const ExperimentConfig experiment = parse_experiment(config, "run");
  const std::size_t total = steps_per_epoch * experiment.epochs;
  const double lr = experiment.optimizer_spec.lr;
  const auto schedule = make_schedule(experiment.schedule_spec, lr, steps_per_epoch, total);
  const std::size_t stride = std::max<std::size_t>(1, total / 400);
  // Written so that no step count can wrap around (a damaged metrics line can claim any count).
  for (std::size_t step = 0;; step += stride) {
    points.push_back({static_cast<double>(step) / static_cast<double>(steps_per_epoch),
                      lr * schedule->factor(step)});
    if (total - step < stride) break;
  }
  return points;
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc);
  return text;
}

// For JSON inside <script>: no "</script>" or "<!--" can end or change the element.
std::string escape_for_script(std::string json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) out += c == '<' ? std::string("\\u003c") : std::string(1, c);
  return out;
}

}  // namespace

SplitPredictions predict_split(Sequential<float>& model, const ImageDataset& split,
                               const Normalization& normalization, std::size_t classes,
                               std::size_t batch_size, const TestTimeAugmentation* tta) {
  const auto loader = DataLoader::in_order(split, batch_size, normalization);
  SoftmaxCrossEntropy<float> loss;  // unweighted, as gradlab eval's
  std::vector<Mistake> mistakes;
  std::size_t index = 0;  // in the split, of the image the observer looks at next
  const auto collect_mistakes = [&](const Tensor<float>& logits, const Labels& labels) {
    for (std::size_t n = 0; n < labels.size(); ++n, ++index) {
      const float* row = logits.data() + n * classes;
      const auto best = static_cast<int>(std::max_element(row, row + classes) - row);
      if (best == labels[n]) continue;
      // softmax of the winner: 1 / Σ_c exp(z_c − z_best)
      double sum = 0;
      for (std::size_t c = 0; c < classes; ++c) sum += std::exp(double(row[c]) - row[best]);
      mistakes.push_back({index, labels[n], best, 1.0 / sum});
    }
  };
  ClassificationMetrics metrics =
      evaluate(model, loss, *loader, classes, nullptr, collect_mistakes, tta);
  SplitPredictions predictions{std::move(metrics), std::move(mistakes)};
  std::stable_sort(predictions.mistakes.begin(), predictions.mistakes.end(),
                   [](const Mistake& a, const Mistake& b) { return a.confidence > b.confidence; });
  return predictions;
}

std::string describe_test_evaluation(const DatasetSpec& dataset, const std::string& folder,
                                     std::size_t images, const std::string& weights,
                                     std::size_t epoch, bool average,
                                     const TestTimeAugmentation& tta) {
  return "Test split (" + dataset.test_split + ") of " + folder + ", " + std::to_string(images) +
         " images; " + (average ? "weight average of " : "weights of ") + weights + " (epoch " +
         std::to_string(epoch) + ")" + (tta.enabled() ? "; test-time views " + tta.describe() : "");
}

std::string run_title(const fs::path& run_dir) {
  const std::string name = fs::absolute(run_dir).lexically_normal().filename().string();
  return name.empty() ? run_dir.string() : name;
}

nlohmann::json read_run_history(const fs::path& run_dir) {
  if (!fs::is_directory(run_dir)) throw DataError(run_dir.string() + ": no such run folder");
  if (!fs::exists(run_dir / "config.json"))
    throw DataError(run_dir.string() + ": not a run folder (it has no config.json)");
  const fs::path config_path = run_dir / "config.json";
  nlohmann::json history{{"config", read_json_object(config_path)},
                         {"epochs", nlohmann::json::array()},
                         {"steps", nlohmann::json::array()},
                         {"final", nullptr}};
  if (fs::exists(run_dir / "metrics.jsonl"))
    read_metrics(run_dir / "metrics.jsonl", history["epochs"], history["steps"]);
  history["layer_stats"] = nlohmann::json::array();
  if (fs::exists(run_dir / "layer_stats.jsonl"))
    read_json_lines(run_dir / "layer_stats.jsonl", "layers", history["layer_stats"],
                    [](const nlohmann::json&) { return std::string(); });
  const std::size_t done = history["epochs"].size();
  std::size_t planned = 0;
  if (const nlohmann::json& config = history["config"]; config.contains("epochs")) {
    if (std::string wrong = count_problem("epochs", config["epochs"], false); !wrong.empty())
      throw DataError(config_path.string() + ": " + wrong);
    planned = config["epochs"].get<std::size_t>();
  }
  const std::string of = std::to_string(done) + " of " + std::to_string(planned) + " epochs";
  if (fs::exists(run_dir / "final_metrics.json")) {
    history["final"] = read_json_object(run_dir / "final_metrics.json");
    history["status"] = {{"state", "finished"}, {"text", "finished: " + of}};
  } else if (std::string host; trainer_alive(run_dir, history["epochs"], host)) {
    history["status"] = {
        {"state", "running"},
        {"text", "running" + (host.empty() ? "" : " on " + host) + ": " + of + " done"}};
  } else {
    history["status"] = {{"state", "stopped"},
                         {"text", "stopped after " + of + " (resume with --resume)"}};
  }
  return history;
}

nlohmann::json report_data(const ReportContent& content) {
  const nlohmann::json& history = content.history;
  nlohmann::json data{{"title", content.title},
                      {"generated", utc_now()},
                      {"gradlab_version", GRADLAB_VERSION},
                      {"config", history.at("config")},
                      {"class_names", content.class_names},
                      {"epochs", history.value("epochs", nlohmann::json::array())},
                      {"steps", history.value("steps", nlohmann::json::array())},
                      {"layer_stats", history.value("layer_stats", nlohmann::json::array())},
                      {"final", history.value("final", nlohmann::json())},
                      {"status", history.value("status", nlohmann::json{{"state", "finished"},
                                                                        {"text", "evaluation"}})},
                      {"model", nullptr},
                      {"evaluation", nullptr},
                      {"evaluation_note", content.evaluation_note},
                      {"history_note", history.value("note", std::string())}};
  if (content.parameters) data["model"] = {{"parameters", content.parameters}};
  // Steps per epoch from the first epoch line: its step count is the first epoch's steps.
  std::size_t steps_per_epoch = 0;
  if (!data["epochs"].empty()) {
    const nlohmann::json& first = data["epochs"][0];
    steps_per_epoch = first.value("step", std::size_t{0}) / first.value("epoch", std::size_t{1});
  }
  data["steps_per_epoch"] = steps_per_epoch;
  data["schedule"] = schedule_points(history.at("config"), steps_per_epoch);
  if (content.evaluation) {
    const SplitPredictions& predictions = *content.evaluation;
    nlohmann::json mistakes = nlohmann::json::array();
    for (std::size_t i = 0; i < std::min(kReportMistakes, predictions.mistakes.size()); ++i) {
      const Mistake& m = predictions.mistakes[i];
      mistakes.push_back({{"index", m.index},
                          {"label", m.label},
                          {"predicted", m.predicted},
                          {"confidence", m.confidence}});
      if (content.split->table) {
        // A table's row: its first standardised features (the gallery shows rows, not images).
        const float* row = content.split->row(m.index);
        mistakes.back()["row"] =
            std::vector<float>(row, row + std::min<std::size_t>(content.split->width, 12));
        mistakes.back()["features"] = content.split->width;
      } else {
        mistakes.back()["image"] = image_uri(*content.split, m.index);
      }
    }
    data["evaluation"] = {{"source", content.evaluation_source},
                          {"split", content.split_name},
                          {"metrics", predictions.metrics.to_json()},
                          {"mistakes_total", predictions.mistakes.size()},
                          {"mistakes", mistakes}};
  }
  return data;
}

namespace {

// The page around its data: uPlot, page.js and the styles inlined. `data_script` is the
// <script> that gives page.js its data (embedded JSON, or the live page's poller);
// `body_attributes` go on <body>.
std::string page_html(const std::string& title, const std::string& body_attributes,
                      const std::string& data_script) {
  std::string html =
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>gradlab run: ";
  for (char c : title) {
    if (c == '<')
      html += "&lt;";
    else if (c == '&')
      html += "&amp;";
    else
      html += c;
  }
  html += "</title>\n<style>\n";
  html += report_assets::uplot_css;
  html += "\n";
  html += report_assets::page_css;
  html += "</style>\n</head>\n<body" + body_attributes + ">\n<main></main>\n";
  html += "<!-- uPlot (https://github.com/leeoniya/uPlot), its licence:\n";
  std::string license = report_assets::uplot_license;
  // Inside an HTML comment "--" may not appear; the MIT text has none, but be sure.
  for (std::size_t at; (at = license.find("--")) != std::string::npos;)
    license.replace(at, 2, "- -");
  html += license;
  html += "-->\n<script>\n";
  html += report_assets::uplot_js;
  html += "\n</script>\n<script>\n";
  html += report_assets::page_js;
  html += "</script>\n" + data_script + "</body>\n</html>\n";
  return html;
}

}  // namespace

std::string render_report_html(const nlohmann::json& data) {
  return page_html(data.at("title").get<std::string>(), "",
                   "<script type=\"application/json\" id=\"report-data\">" +
                       escape_for_script(data.dump()) + "</script>\n<script>\n" +
                       "gradlabReport.render(JSON.parse(document.getElementById(\"report-data\")"
                       ".textContent));\n</script>\n");
}

std::string render_live_html(const std::string& title, double interval_seconds) {
  char interval[32];
  std::snprintf(interval, sizeof interval, "%g", interval_seconds);
  return page_html(title, std::string(" data-interval=\"") + interval + "\"",
                   "<p id=\"watch-status\" hidden></p>\n<script>\n" +
                       std::string(report_assets::watch_js) + "</script>\n");
}

void write_report(const fs::path& html_path, const nlohmann::json& data, std::ostream& log) {
  write_file_atomically(html_path.string(), render_report_html(data));
  log << "report: " << html_path.string();
  const std::string figures = draw_report_figures(html_path, data);
  log << (figures.empty() ? "" : "; " + figures) << "\n";
}

void write_run_report(const fs::path& run_dir, const std::string& backend, std::ostream& log,
                      Sequential<float>* trained_model) {
  ReportContent content;
  content.title = run_title(run_dir);
  content.history = read_run_history(run_dir);
  const ExperimentConfig config = parse_experiment(content.history["config"], content.title);
  content.class_names = config.data.class_names;
  // The best weights, else the last; none before the first epoch ends.
  std::string checkpoint_path;
  for (const char* name : {"best.safetensors", "last.safetensors"})
    if (checkpoint_path.empty() && fs::exists(run_dir / "checkpoints" / name))
      checkpoint_path = (run_dir / "checkpoints" / name).string();
  std::optional<ImageDataset> split;
  if (checkpoint_path.empty()) {
    content.evaluation_note =
        "No checkpoint yet: the confusion matrix and the mistakes come "
        "with the first finished epoch.";
  } else {
    const DatasetSpec& dataset = find_dataset(config.data.dataset);
    try {
      split = load_split(config.data, "test");
    } catch (const DataError& error) {
      content.evaluation_note = std::string("No test split to evaluate: ") + error.what();
    }
    if (split) {
      std::optional<LoadedModel> loaded;
      std::size_t epoch = 0;
      bool average = false;
      if (trained_model) {
        const Checkpoint checkpoint = read_checkpoint(checkpoint_path);
        epoch = checkpoint.progress.epoch;
        average = has_weight_average(checkpoint);
      } else {
        loaded = load_trained_model(checkpoint_path, backend);
        trained_model = loaded->model.get();
        epoch = loaded->checkpoint.progress.epoch;
        average = has_weight_average(loaded->checkpoint);
      }
      content.parameters = trained_model->parameter_count();
      const TestTimeAugmentation tta(config.tta, config.data.normalization);
      content.evaluation = predict_split(*trained_model, *split, config.data.normalization,
                                         config.data.class_names.size(), config.batch_size, &tta);
      content.split = &*split;
      content.split_name = "test";
      content.evaluation_source = describe_test_evaluation(
          dataset, config.data.folder, split->count, fs::path(checkpoint_path).filename().string(),
          epoch, average, tta);
    }
  }
  write_report(run_dir / "report.html", report_data(content), log);
}

}  // namespace gradlab
