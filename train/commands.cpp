#include "train/commands.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <numeric>
#include <sstream>

#include "datasets/idx.h"
#include "datasets/image_dataset.h"
#include "datasets/image_file.h"
#include "datasets/image_folder.h"
#include "datasets/registry.h"
#include "framework/files.h"
#include "framework/gradcheck.h"
#include "framework/layers/dropout.h"
#include "framework/log.h"
#include "framework/losses/softmax_cross_entropy.h"
#include "models/builder.h"
#include "models/onnx_export.h"
#include "train/checkpoint.h"
#include "train/metrics.h"
#include "train/report/report.h"
#include "train/safetensors.h"
#include "train/trainer.h"

namespace gradlab {

namespace fs = std::filesystem;

namespace {

ExperimentConfig load_experiment(const std::string& path,
                                 const std::vector<std::string>& overrides) {
  nlohmann::json config = load_json_file(path);
  for (const std::string& assignment : overrides) apply_override(config, assignment);
  try {
    ExperimentConfig experiment = parse_experiment(config, fs::path(path).stem().string());
    experiment.source = path;
    return experiment;
  } catch (const ConfigError& error) {
    throw ConfigError(path + ": " + error.what());
  }
}

// One sample's C × H × W for a config, without loading the data where the data set fixes it.
Shape sample_shape_of(const ExperimentConfig& config) {
  return sample_shape(config.data);
}

// An export's output must not land on a checkpoint: `export CK --onnx CK` would replace the
// weights and optimizer state with the ONNX graph. Refused for the checkpoint being exported
// (by any path or link to it) and for any other existing .safetensors file.
void refuse_to_overwrite_checkpoint(const std::string& output, const std::string& checkpoint) {
  std::error_code error;
  if (fs::equivalent(output, checkpoint, error))
    throw ConfigError("--onnx " + output + ": is the checkpoint being exported (" + checkpoint +
                      "); writing there would replace its weights and optimizer state; give "
                      "another path, e.g. model.onnx");
  if (fs::exists(output, error) && fs::path(output).extension() == ".safetensors")
    throw ConfigError("--onnx " + output +
                      ": is an existing checkpoint (.safetensors); writing there would replace "
                      "it; give another path, e.g. model.onnx");
}

std::size_t classes_of(const ExperimentConfig& config) {
  return config.data.class_names.size();
}

void print_probabilities(const std::string& label, const float* logits, std::size_t classes) {
  // softmax, stable: subtract the max.
  const float m = *std::max_element(logits, logits + classes);
  std::vector<double> p(classes);
  double sum = 0;
  for (std::size_t c = 0; c < classes; ++c)
    sum += (p[c] = std::exp(static_cast<double>(logits[c] - m)));
  std::size_t best = 0;
  for (std::size_t c = 0; c < classes; ++c) {
    p[c] /= sum;
    if (p[c] > p[best]) best = c;
  }
  std::printf("%s: class %zu (p=%.4f)  [", label.c_str(), best, p[best]);
  for (std::size_t c = 0; c < classes; ++c) std::printf("%s%.4f", c ? " " : "", p[c]);
  std::printf("]\n");
}

}  // namespace

int train_command(const std::string& config_path, std::vector<std::string> overrides,
                  const std::string& resume_dir, const std::string& backend,
                  const std::string& precision) {
  if (!backend.empty()) overrides.push_back("backend=" + backend);
  if (!precision.empty()) overrides.push_back("precision=" + precision);
  const std::string base =
      resume_dir.empty() ? config_path : (fs::path(resume_dir) / "config.json").string();
  ExperimentConfig config = load_experiment(base, overrides);
  if (!resume_dir.empty()) config.output = resume_dir;
  TrainOptions options;
  options.resume_dir = resume_dir;
  options.progress_bar = isatty(STDERR_FILENO);
  options.world = &world();  // several processes when mpirun started this one
  try {
    train_experiment(config, options, std::cout);
  } catch (const DivergedError& error) {
    // Every rank sees the same combined loss and gradients, so all stop here together.
    if (options.world->rank() == 0)
      error_line(std::string("gradlab: training diverged at ") + error.what());
    return 3;
  }
  return 0;
}

namespace {
// --tta: "" (the config's views), "none", or "mirror,shift_left".
TestTimeAugmentation test_time_views(const std::string& option, const ExperimentConfig& config) {
  std::vector<std::string> views = config.tta;
  if (!option.empty()) {
    views.clear();
    std::stringstream list(option == "none" ? "" : option);
    for (std::string view; std::getline(list, view, ',');) views.push_back(view);
  }
  if (!views.empty() && find_dataset(config.data.dataset).table)
    throw ConfigError("--tta: test-time views are of images; this model reads a table");
  try {
    return TestTimeAugmentation(views, config.data.normalization);
  } catch (const std::invalid_argument& error) {
    throw ConfigError(std::string("--tta: ") + error.what());
  }
}
}  // namespace

int eval_command(const std::string& checkpoint_path, const std::string& data_dir,
                 const std::string& backend, const std::string& report_path,
                 const std::string& tta_option) {
  LoadedModel loaded = load_trained_model(checkpoint_path, backend);
  DataSource source = loaded.config.data;
  const DatasetSpec& dataset = find_dataset(source.dataset);
  // --data: another folder of the data set, or for a table another test file.
  if (!data_dir.empty()) (dataset.table ? source.test_file : source.folder) = data_dir;
  const std::string& folder =
      dataset.table && !source.test_file.empty() ? source.test_file : source.folder;
  const std::size_t classes = classes_of(loaded.config);
  const ImageDataset test = load_split(source, "test");
  if (test.sample_shape() != loaded.checkpoint.sample_shape) {
    throw DataError(folder + ": samples are " + to_string(test.sample_shape()) +
                    ", the model takes " + to_string(loaded.checkpoint.sample_shape));
  }
  const TestTimeAugmentation tta = test_time_views(tta_option, loaded.config);
  const SplitPredictions predictions =
      predict_split(*loaded.model, test, loaded.config.data.normalization, classes, 256, &tta);
  const ClassificationMetrics& metrics = predictions.metrics;
  const bool average = has_weight_average(loaded.checkpoint);
  std::printf("%s%s on %s (%zu %s)%s\n", checkpoint_path.c_str(),
              average ? " (its weight average)" : "", folder.c_str(), metrics.count(),
              samples_name(test.sample_shape()),
              tta.enabled() ? (", test-time views " + tta.describe()).c_str() : "");
  std::printf("loss %.4f  accuracy %.2f%%  balanced accuracy %.2f%%  macro-F1 %.4f\n",
              metrics.loss(), 100 * metrics.accuracy(), 100 * metrics.balanced_accuracy(),
              metrics.macro_f1());
  const auto precision = metrics.precision(), recall = metrics.recall(), f1 = metrics.f1();
  const std::vector<std::string>& names = loaded.config.data.class_names;
  std::printf("class  precision  recall  f1      name\n");
  for (std::size_t c = 0; c < classes; ++c)
    std::printf("%5zu  %9.4f  %6.4f  %.4f  %s\n", c, precision[c], recall[c], f1[c],
                names[c].c_str());
  std::printf("confusion matrix (rows: true class, columns: predicted)\n%s",
              metrics.format_confusion().c_str());
  if (report_path.empty()) return 0;

  // The report: this evaluation, and the curves of the run the checkpoint comes from, if it sits
  // in a run folder (<run>/checkpoints/<name>.safetensors).
  ReportContent content;
  const fs::path run_dir = fs::absolute(checkpoint_path).parent_path().parent_path();
  if (fs::exists(run_dir / "config.json") && fs::exists(run_dir / "metrics.jsonl")) {
    content.history = read_run_history(run_dir);
    content.history["config"] = loaded.checkpoint.config;  // the weights' own
  } else {
    content.history = {{"config", loaded.checkpoint.config},
                       {"status", {{"state", "finished"}, {"text", "checkpoint evaluation"}}},
                       {"note", "No learning curves: the checkpoint is outside a run folder."}};
  }
  content.title = fs::path(checkpoint_path).filename().string() + " on " + folder;
  content.class_names = names;
  content.parameters = loaded.model->parameter_count();
  content.evaluation = predictions;
  content.split = &test;
  content.split_name = "test";
  content.evaluation_source = describe_test_evaluation(
      dataset, folder, test.count, checkpoint_path, loaded.checkpoint.progress.epoch, average, tta);
  write_report(report_path, report_data(content), std::cout);
  return 0;
}

int lr_find_command(const std::string& config_path, const std::vector<std::string>& overrides,
                    const LrFindOptions& options, const std::string& output) {
  const ExperimentConfig config = load_experiment(config_path, overrides);
  const nlohmann::json result = lr_range_test(config, options, std::cout);
  write_lr_find(output.empty() ? config.output + "_lr_find" : output, result, std::cout);
  return 0;
}

int report_command(const std::string& run_dir, const std::string& backend) {
  write_run_report(run_dir, backend, std::cout);
  return 0;
}

namespace {

// The images a predict argument names: an image file, or a folder's images (recursively, sorted).
std::vector<std::string> image_files(const std::string& path) {
  if (!fs::is_directory(path)) return {path};
  std::vector<std::string> files;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(path))
    if (entry.is_regular_file() && entry.path().filename().string()[0] != '.' &&
        is_image_file_name(entry.path().string()))
      files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw DataError(path + ": no images (.png, .jpg, .jpeg, .pgm) in the folder");
  return files;
}

// One image as the model takes it: its channels, resized as the training images were (when the
// config resized them), else refused if its size differs.
Image model_input(const std::string& path, const ExperimentConfig& config, const Shape& shape) {
  Image image = read_image(path, shape[0]);
  if (config.data.height) image = resize_image(image, config.data.height, config.data.width);
  if (image.height != shape[1] || image.width != shape[2])
    throw DataError(path + ": image is " + std::to_string(image.height) + "x" +
                    std::to_string(image.width) + ", the model takes " + std::to_string(shape[1]) +
                    "x" + std::to_string(shape[2]) + (shape[0] == 1 ? " grey" : " colour"));
  return image;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

int predict_command(const std::string& checkpoint_path, const std::vector<std::string>& inputs,
                    const std::string& backend, bool json, const std::string& csv_path) {
  LoadedModel loaded = load_trained_model(checkpoint_path, backend);
  const Shape& shape = loaded.checkpoint.sample_shape;  // C, H, W
  const std::size_t classes = classes_of(loaded.config),
                    plane = shape.size() == 3 ? shape[1] * shape[2] : 0;
  const Normalization& norm = loaded.config.data.normalization;
  const std::vector<std::string>& names = loaded.config.data.class_names;
  std::string csv = "image,class,name";
  for (const std::string& name : names) csv += ",p_" + csv_field(name);
  csv += "\n";
  const bool table = find_dataset(loaded.config.data.dataset).table;
  for (const std::string& input : inputs) {
    std::vector<std::uint8_t> pixels;
    std::vector<std::string> labels;
    ImageDataset rows;  // a table's
    if (table) {
      // Rows of a CSV file with the training schema (the label column may be absent),
      // standardised as the training rows were.
      rows = read_table(input, loaded.config.data.schema, loaded.config.data.table_options,
                        /*require_label=*/false);
      standardize(rows, loaded.config.data.standardization);
      for (std::size_t n = 0; n < rows.count; ++n)
        labels.push_back(input + "[" + std::to_string(n) + "]");
    } else if (input.find("idx3-ubyte") != std::string::npos) {
      const IdxArray idx = read_idx(input, 3);
      if (shape[0] != 1 || idx.dims[1] != shape[1] || idx.dims[2] != shape[2])
        throw DataError(input + ": images are " + std::to_string(idx.dims[1]) + "x" +
                        std::to_string(idx.dims[2]) + ", the model takes " + to_string(shape));
      pixels = idx.data;
      for (std::size_t n = 0; n < idx.dims[0]; ++n)
        labels.push_back(input + "[" + std::to_string(n) + "]");
    } else {
      for (const std::string& path : image_files(input)) {
        const Image image = model_input(path, loaded.config, shape);
        pixels.insert(pixels.end(), image.pixels.begin(), image.pixels.end());
        labels.push_back(path);
      }
    }
    // The logits of every image, in batches of at most 256.
    const std::size_t count = labels.size(),
                      sample_size = std::accumulate(shape.begin(), shape.end(), std::size_t{1},
                                                    std::multiplies<>());
    std::vector<float> logits(count * classes);
    for (std::size_t first = 0; first < count; first += 256) {
      const std::size_t n = std::min<std::size_t>(256, count - first);
      Tensor<float> batch = Tensor<float>::from_shape(batch_shape(n, shape));
      for (std::size_t i = 0; i < n * sample_size; ++i) {
        if (table) {
          batch.data()[i] = rows.features[first * sample_size + i];
          continue;
        }
        const std::size_t c = (i / plane) % shape[0];
        batch.data()[i] = static_cast<float>(
            (pixels[first * sample_size + i] / 255.0 - norm.mean_of(c)) / norm.std_of(c));
      }
      const Tensor<float>& out = loaded.model->forward(batch);
      std::copy_n(out.data(), n * classes, logits.begin() + first * classes);
    }
    for (std::size_t n = 0; n < count; ++n) {
      const float* row = logits.data() + n * classes;
      const std::size_t predicted =
          static_cast<std::size_t>(std::max_element(row, row + classes) - row);
      if (!csv_path.empty()) {
        const float top = row[predicted];
        double sum = 0;
        for (std::size_t c = 0; c < classes; ++c) sum += std::exp(double(row[c]) - top);
        csv += csv_field(labels[n]) + "," + std::to_string(predicted) + "," +
               csv_field(names[predicted]);
        for (std::size_t c = 0; c < classes; ++c) {
          char probability[32];
          std::snprintf(probability, sizeof probability, ",%.6g",
                        std::exp(double(row[c]) - top) / sum);
          csv += probability;
        }
        csv += "\n";
      }
      if (!json) {
        print_probabilities(labels[n], row, classes);
        continue;
      }
      // One JSON object per line, the logits at full float precision (for tools and tests).
      std::cout << nlohmann::json{{"image", labels[n]},
                                  {"class", predicted},
                                  {"logits", std::vector<float>(row, row + classes)}}
                       .dump()
                << "\n";
    }
  }
  if (!csv_path.empty()) write_file_atomically(csv_path, csv);
  return 0;
}

int summary_command(const std::string& config_path, const std::vector<std::string>& overrides) {
  const ExperimentConfig config = load_experiment(config_path, overrides);
  const Shape sample = sample_shape_of(config);
  auto model = build_experiment_model<float>(config, sample, classes_of(config));
  Shape shape{1};
  shape.insert(shape.end(), sample.begin(), sample.end());
  std::printf("%-12s %-56s %-18s %12s %14s\n", "layer", "module", "output shape", "parameters",
              "forward FLOPs");
  std::printf("%-12s %-56s %-18s %12s %14s\n", "", "input", to_string(shape).c_str(), "", "");
  // One row per module; a residual block's or concatenation's row (its totals) is followed by
  // the layers of each of its branches, indented, named by their path ("3.body.1").
  std::function<void(Module<float>&, const std::string&, const Shape&, std::size_t)> print_row =
      [&](Module<float>& module, const std::string& path, const Shape& input, std::size_t depth) {
        const Shape output = module.output_shape(input);
        std::printf("%-12s %-56s %-18s %12zu %14zu\n", path.c_str(),
                    (std::string(2 * depth, ' ') + module.name()).c_str(),
                    to_string(output).c_str(), module.parameter_count(),
                    module.forward_flops(input));
        // A block's branches, from its description (framework/op_spec.h): each a chain of
        // layers taking the block's input; an identity shortcut has no rows.
        const OpSpec<float> block = module.describe();
        if (block.wiring != Wiring::fan_out) return;
        for (std::size_t b = 0; b < block.children.size(); ++b) {
          if (!block.children[b]) continue;
          const OpSpec<float> branch = block.children[b]->describe();
          Shape shape_in_branch = input;
          for (std::size_t i = 0; i < branch.children.size(); ++i) {
            Module<float>& layer = *branch.children[i];
            print_row(layer, path + "." + block.child_names[b] + "." + branch.child_names[i],
                      shape_in_branch, depth + 1);
            shape_in_branch = layer.output_shape(shape_in_branch);
          }
        }
      };
  for (std::size_t i = 0; i < model->size(); ++i) {
    print_row((*model)[i], std::to_string(i), shape, 0);
    shape = (*model)[i].output_shape(shape);
  }
  std::printf("total: %zu parameters (%.2f MB as float32), %zu forward FLOPs per image\n",
              model->parameter_count(), model->parameter_count() * 4.0 / 1e6,
              model->forward_flops(batch_shape(1, sample)));
  return 0;
}

int gradcheck_command(const std::string& config_path, const std::vector<std::string>& overrides,
                      std::size_t batch, std::size_t elements) {
  const ExperimentConfig config = load_experiment(config_path, overrides);
  const Shape sample = sample_shape_of(config);
  const std::size_t classes = classes_of(config);
  auto model = build_experiment_model<double>(config, sample, classes);
  model->train();
  // Dropout would draw a new mask at every evaluation: freeze it so f is one function.
  for_each_module(*model, [](Module<double>& module) {
    if (auto* dropout = dynamic_cast<Dropout<double>*>(&module)) dropout->freeze_mask(true);
  });

  // Inputs like normalised images, drawn until the evaluation is away from every kink.
  Rng rng(config.seed);
  Tensor<double> x = Tensor<double>::from_shape(batch_shape(batch, sample));
  Labels labels(batch);
  double margin = 0;
  for (int attempt = 0; attempt < 100 && margin <= 1e-4; ++attempt) {
    for (double& v : x) v = rng.uniform(-1, 1);
    for (int& y : labels) y = static_cast<int>(rng.below(classes));
    margin = distance_to_kinks(*model, x);
  }

  const std::unique_ptr<ClassificationLoss<double>> loss =
      make_loss<double>(config.loss, nullptr, classes);
  if (config.loss.class_weights ==
      "balanced")  // they come from the training labels, which are not loaded here
    std::printf(
        "note: \"balanced\" class weights depend on the training labels; checking with unit "
        "weights\n");
  const LossHead head{[&](const Tensor<double>& logits) {
                        return static_cast<double>(loss->forward(logits, labels));
                      },
                      [&] { return loss->backward(); }};
  GradCheckOptions options;
  options.max_elements_per_variable = elements;
  options.seed = config.seed;
  model->set_needs_input_grad(true);
  const auto results = check_module_gradients(*model, x, head, options);
  std::printf("gradcheck of %s on %s random inputs, %s; distance to the nearest kink %.2e\n",
              config_path.c_str(), to_string(batch_shape(batch, sample)).c_str(),
              loss->name().c_str(), margin);
  std::printf("%s", format_results(results).c_str());
  const double worst = max_relative_error(results);
  std::printf("worst relative error %.2e: %s\n", worst,
              worst <= 1e-6 ? "PASS (<= 1e-6)" : "FAIL (> 1e-6)");
  return worst <= 1e-6 ? 0 : 1;
}

int export_command(const std::string& checkpoint_path, const std::string& onnx_path,
                   const std::string& batch, const std::string& version) {
  OnnxExportOptions options;
  if (batch != "dynamic") {
    const bool digits = !batch.empty() && batch.size() < 10 &&
                        batch.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoul(batch) == 0)
      throw ConfigError("--batch: expected \"dynamic\" or a batch size >= 1, got \"" + batch +
                        "\"");
    options.batch = std::stoul(batch);
  }
  refuse_to_overwrite_checkpoint(onnx_path, checkpoint_path);
  LoadedModel loaded = load_trained_model(checkpoint_path, "");
  const std::size_t classes = classes_of(loaded.config);
  const bool table = find_dataset(loaded.config.data.dataset).table;
  options.mean =
      table ? loaded.config.data.standardization.mean : loaded.config.data.normalization.mean;
  options.std =
      table ? loaded.config.data.standardization.std : loaded.config.data.normalization.std;
  // The run's test accuracy, where the checkpoint sits in a finished run's folder.
  std::string accuracy = "unknown";
  const fs::path final_metrics =
      fs::path(checkpoint_path).parent_path().parent_path() / "final_metrics.json";
  if (fs::exists(final_metrics)) {
    try {
      const nlohmann::json metrics = nlohmann::json::parse(std::ifstream(final_metrics));
      if (metrics.contains("test"))
        accuracy = std::to_string(metrics["test"]["accuracy"].get<double>());
    } catch (const std::exception&) {
      // A damaged metrics file does not stop the export; the accuracy is then unknown.
    }
  }
  const std::string input =
      table ? "features, N x F: each numeric column as it is, each categorical column one-hot, in "
              "the order of the metadata's 'features'; the graph standardises them"
            : "pixels / 255, N x C x H x W; the graph normalises them";
  options.metadata = {{"gradlab_version", version},
                      {"config", loaded.checkpoint.config.dump()},
                      {"test_accuracy", accuracy},
                      {"weights", has_weight_average(loaded.checkpoint) ? "ema" : "trained"},
                      {"classes", std::to_string(classes)},
                      {"class_names", nlohmann::json(loaded.config.data.class_names).dump()},
                      {"input", input}};
  if (table)
    options.metadata["features"] = nlohmann::json(loaded.config.data.schema.feature_names()).dump();
  options.doc = "gradlab " + version + " model from " + checkpoint_path +
                (has_weight_average(loaded.checkpoint) ? " (its weight average)" : "") +
                "; test accuracy " + accuracy + "; input: " + input + "; output: logits (N x " +
                std::to_string(classes) + ")";
  const std::string bytes =
      export_onnx(*loaded.model, loaded.checkpoint.sample_shape, classes, options);
  write_file_atomically(onnx_path, bytes);
  const Shape& sample = loaded.checkpoint.sample_shape;
  const std::string N = batch == "dynamic" ? "N" : batch;
  std::string dims = N;
  for (std::size_t d : sample) dims += ", " + std::to_string(d);
  std::printf("%s: ONNX opset 13, input %s [%s], output logits [%s, %zu], %zu bytes\n",
              onnx_path.c_str(), table ? "features" : "pixels", dims.c_str(), N.c_str(), classes,
              bytes.size());
  return 0;
}

}  // namespace gradlab
