#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "datasets/idx.h"
#include "datasets/registry.h"
#include "framework/losses/class_weights.h"
#include "framework/losses/focal_loss.h"
#include "framework/losses/softmax_cross_entropy.h"
#include "framework/optim/registry.h"
#include "framework/runtime.h"
#include "models/builder.h"
#include "train/checkpoint.h"
#include "train/metrics.h"

namespace gradlab {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Each epoch's shuffling draws from its own Rng, derived from the seed and the epoch number, so
// a resumed run shuffles exactly as an uninterrupted one (splitmix64-style mixing of the two).
Rng epoch_rng(std::uint64_t seed, std::size_t epoch) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (epoch + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return Rng(z ^ (z >> 31));
}

bool all_finite(const std::vector<Parameter<float>*>& parameters) {
  for (const Parameter<float>* p : parameters)
    for (float g : p->grad)
      if (!std::isfinite(g)) return false;
  return true;
}

double metric_value(const std::string& name, const ClassificationMetrics& metrics) {
  if (name == "val_loss") return metrics.loss();
  if (name == "val_macro_f1") return metrics.macro_f1();
  if (name == "val_balanced_accuracy") return metrics.balanced_accuracy();
  return metrics.accuracy();
}

bool improves(const std::string& metric, double value, double best) {
  if (std::isnan(best)) return true;
  return metric == "val_loss" ? value < best : value > best;
}

std::string format_duration(double seconds) {
  const long s = std::lround(seconds);
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  return text;
}

void append_line(const fs::path& path, const nlohmann::json& line) {
  std::ofstream out(path, std::ios::app);
  out << line.dump() << "\n";
  if (!out) throw DataError(path.string() + ": cannot append metrics");
}

// On resume, drop metric lines past the checkpoint's epoch (written after it, then lost).
void truncate_metrics(const fs::path& path, std::size_t epoch) {
  if (!fs::exists(path)) return;
  std::ifstream in(path);
  std::string kept, line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_discarded() && entry.value("epoch", std::size_t{0}) <= epoch) kept += line + "\n";
  }
  write_file_atomically(path.string(), kept);
}

}  // namespace

template <class T>
std::unique_ptr<ClassificationLoss<T>> make_loss(const LossConfig& loss, const Labels* train_labels,
                                                 std::size_t classes) {
  if (loss.type == "focal") return std::make_unique<FocalLoss<T>>(loss.gamma, loss.weights);
  std::vector<double> weights;
  if (loss.class_weights == "balanced" && train_labels)
    weights = balanced_class_weights(*train_labels, classes);
  if (loss.class_weights == "list") {
    if (loss.weights.size() != classes) {
      throw ConfigError("loss.class_weights: expected " + std::to_string(classes) +
                        " weights (one per class), got " + std::to_string(loss.weights.size()));
    }
    weights = loss.weights;
  }
  return std::make_unique<SoftmaxCrossEntropy<T>>(weights);
}

template std::unique_ptr<ClassificationLoss<float>> make_loss<float>(const LossConfig&,
                                                                     const Labels*, std::size_t);
template std::unique_ptr<ClassificationLoss<double>> make_loss<double>(const LossConfig&,
                                                                       const Labels*, std::size_t);

ClassificationMetrics evaluate(Sequential<float>& model, ClassificationLoss<float>& loss,
                               DataLoader& loader, std::size_t classes) {
  ClassificationMetrics metrics(classes);
  Tensor<float> images;
  Labels labels;
  Rng unused(0);  // evaluation loaders do not shuffle
  loader.start_epoch(unused);
  model.eval();
  while (loader.next(images, labels)) {
    const Tensor<float>& logits = model.forward(images);
    metrics.add(logits, labels, loss.forward(logits, labels));
  }
  model.train();
  return metrics;
}

TrainResult train_experiment(const ExperimentConfig& config, const TrainOptions& options,
                             std::ostream& log) {
  const Clock::time_point run_start = Clock::now();
  const DatasetSpec& dataset = find_dataset(config.data.dataset);
  const std::size_t classes = dataset.classes();

  // Data: bytes in memory; the subset, imbalance and validation split all drawn from the seed.
  const ImageDataset train_set = load_split(dataset, config.data.folder, dataset.train_split);
  std::vector<std::size_t> indices(config.data.limit ? std::min(config.data.limit, train_set.count)
                                                     : train_set.count);
  for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = i;
  Rng data_rng(config.seed + 1);
  if (!config.data.keep_fraction.empty())
    indices = keep_per_class(indices, train_set.labels, config.data.keep_fraction, data_rng);
  Split split = split_indices(indices.size(), config.data.validation_split, data_rng);
  for (std::size_t& i : split.train) i = indices[i];
  for (std::size_t& i : split.validation) i = indices[i];
  if (split.train.empty())
    throw ConfigError(
        "data: no training images left after limit, keep_fraction and validation_split");
  Labels train_labels;
  for (std::size_t i : split.train) train_labels.push_back(train_set.labels[i]);

  DataLoader train_loader(train_set, split.train, config.batch_size, true, false,
                          config.data.normalization);
  std::unique_ptr<WeightedSampler> sampler;
  if (config.data.oversample) {
    sampler = std::make_unique<WeightedSampler>(class_balancing_weights(train_labels, classes));
    train_loader.set_sampler(sampler.get());
  }
  // Evaluation uses the training batch size: each new batch size costs oneDNN plans and buffers.
  DataLoader validation_loader(train_set, split.validation, config.batch_size, false, false,
                               config.data.normalization);

  // Model, loss, optimizer, schedule: all built (and so validated) before the first step.
  const Shape sample_shape{train_set.channels, train_set.height, train_set.width};
  auto model = build_model<float>(config.model, sample_shape, classes, config.seed);
  model->set_backend(parse_backend(config.backend));
  model->set_needs_input_grad(false);
  enable_flush_to_zero();
  auto loss = make_loss<float>(config.loss, &train_labels, classes);
  auto optimizer =
      make_optimizer<float>(ConfigObject(config.optimizer, "optimizer"), model->named_parameters());
  const double base_lr = optimizer->learning_rate();
  const std::size_t steps_per_epoch = train_loader.batches_per_epoch();
  auto schedule = make_schedule(ConfigObject(config.schedule, "schedule"), base_lr, steps_per_epoch,
                                steps_per_epoch * config.epochs);

  // The run folder.
  const fs::path run_dir =
      options.resume_dir.empty() ? fs::path(config.output) : fs::path(options.resume_dir);
  const fs::path checkpoints = run_dir / "checkpoints",
                 last_path = checkpoints / "last.safetensors",
                 best_path = checkpoints / "best.safetensors",
                 metrics_path = run_dir / "metrics.jsonl";
  TrainingProgress progress;
  if (!options.resume_dir.empty()) {
    const Checkpoint checkpoint = read_checkpoint(last_path.string());
    restore_model(checkpoint, *model);
    restore_optimizer(checkpoint, *optimizer);
    progress = checkpoint.progress;
    truncate_metrics(metrics_path, progress.epoch);
    log << "resuming " << run_dir.string() << " after epoch " << progress.epoch << " (step "
        << progress.step << ")\n";
  } else if (fs::exists(last_path)) {
    throw ConfigError(run_dir.string() + " already holds a run; resume it with --resume " +
                      run_dir.string() + " or choose another output folder (--set output=...)");
  }
  fs::create_directories(checkpoints);
  write_file_atomically((run_dir / "config.json").string(), config.resolved.dump(2) + "\n");

  log << "run folder: " << run_dir.string() << "\n"
      << "data: " << config.data.folder << ", " << split.train.size() << " training / "
      << split.validation.size() << " validation images"
      << (config.data.oversample ? " (oversampled)" : "") << "\n"
      << "model: " << model->parameter_count() << " parameters, "
      << model->forward_flops(Shape{1, sample_shape[0], sample_shape[1], sample_shape[2]})
      << " forward FLOPs per image\n"
      << "loss: " << loss->name() << "; optimizer: " << optimizer->name()
      << "; schedule: " << schedule->name() << "; backend: " << config.backend << " ("
      << num_threads() << " threads)\n";

  Tensor<float> images;
  Labels labels;
  const std::vector<Parameter<float>*> parameters = model->parameters();
  nlohmann::json last_validation;
  for (std::size_t epoch = progress.epoch + 1; epoch <= config.epochs; ++epoch) {
    const Clock::time_point epoch_start = Clock::now();
    Rng rng = epoch_rng(config.seed, epoch);
    train_loader.start_epoch(rng);
    ClassificationMetrics train_metrics(classes);
    std::size_t batch = 0, seen = 0;
    double last_draw = -1;
    while (train_loader.next(images, labels)) {
      const double lr = base_lr * schedule->factor(optimizer->steps());
      optimizer->set_learning_rate(lr);
      optimizer->zero_grad();
      const Tensor<float>& logits = model->forward(images);
      const double batch_loss = loss->forward(logits, labels);
      const std::size_t step = progress.step + 1;
      if (!std::isfinite(batch_loss)) {
        throw DivergedError("step " + std::to_string(step) + " (epoch " + std::to_string(epoch) +
                            "): the loss is " + std::to_string(batch_loss) +
                            "; stopping. Lower the learning rate or clip gradients. " +
                            (progress.epoch > 0
                                 ? "The last good checkpoint is " + last_path.string()
                                 : "No checkpoint was written."));
      }
      train_metrics.add(logits, labels, batch_loss);
      model->backward(loss->backward());
      if (!all_finite(parameters)) {
        throw DivergedError("step " + std::to_string(step) + " (epoch " + std::to_string(epoch) +
                            "): a gradient is NaN or infinite; stopping. " +
                            (progress.epoch > 0
                                 ? "The last good checkpoint is " + last_path.string()
                                 : "No checkpoint was written."));
      }
      if (config.clip_max_norm > 0) clip_grad_norm(parameters, config.clip_max_norm);
      if (config.clip_max_value > 0) clip_grad_value(parameters, config.clip_max_value);
      optimizer->step();
      progress.step = step;
      ++batch;
      seen += labels.size();
      if (config.log_every_steps && step % config.log_every_steps == 0)
        append_line(metrics_path,
                    {{"epoch", epoch}, {"step", step}, {"lr", lr}, {"train_loss", batch_loss}});
      const double elapsed = seconds_since(epoch_start);
      if (options.progress_bar && (elapsed - last_draw > 0.2 || batch == steps_per_epoch)) {
        last_draw = elapsed;
        const double fraction = static_cast<double>(batch) / static_cast<double>(steps_per_epoch);
        const int filled = static_cast<int>(fraction * 30);
        std::fprintf(
            stderr, "\repoch %zu/%zu [%-30s] %3d%%  loss %.4f  %.0f img/s  left %s  ", epoch,
            config.epochs, std::string(static_cast<std::size_t>(filled), '=').c_str(),
            static_cast<int>(fraction * 100), train_metrics.loss(), seen / std::max(elapsed, 1e-9),
            format_duration(elapsed / fraction * (1 - fraction)).c_str());
      }
    }
    const double train_seconds = seconds_since(epoch_start);
    if (options.progress_bar) std::fprintf(stderr, "\n");

    nlohmann::json line{{"epoch", epoch},
                        {"step", progress.step},
                        {"lr", optimizer->learning_rate()},
                        {"train_loss", train_metrics.loss()},
                        {"train_accuracy", train_metrics.accuracy()},
                        {"seconds", train_seconds},
                        {"images_per_second", static_cast<double>(seen) / train_seconds}};
    bool improved = false;
    if (!split.validation.empty()) {
      const ClassificationMetrics validation = evaluate(*model, *loss, validation_loader, classes);
      last_validation = validation.to_json();
      line["val_loss"] = validation.loss();
      line["val_accuracy"] = validation.accuracy();
      line["val_balanced_accuracy"] = validation.balanced_accuracy();
      line["val_macro_f1"] = validation.macro_f1();
      const double value = metric_value(config.early_stopping_metric, validation);
      improved = improves(config.early_stopping_metric, value, progress.best_metric);
      if (improved) {
        progress.best_metric = value;
        progress.best_epoch = epoch;
        progress.epochs_without_improvement = 0;
      } else {
        ++progress.epochs_without_improvement;
      }
    }
    progress.epoch = epoch;
    append_line(metrics_path, line);

    char text[256];
    std::snprintf(text, sizeof text, "epoch %zu/%zu  loss %.4f  train acc %.2f%%", epoch,
                  config.epochs, train_metrics.loss(), 100 * train_metrics.accuracy());
    log << text;
    if (line.contains("val_accuracy")) {
      std::snprintf(text, sizeof text, "  val loss %.4f  val acc %.2f%%",
                    line["val_loss"].get<double>(), 100 * line["val_accuracy"].get<double>());
      log << text;
    }
    std::snprintf(text, sizeof text, "  %.1f s  %.0f img/s  lr %.3g\n", train_seconds,
                  line["images_per_second"].get<double>(), optimizer->learning_rate());
    log << text << std::flush;

    save_checkpoint(last_path.string(), *model, optimizer.get(), progress, config.resolved,
                    sample_shape);
    if (improved || split.validation.empty())
      save_checkpoint(best_path.string(), *model, optimizer.get(), progress, config.resolved,
                      sample_shape);
    if (options.stop_after_epoch == epoch && epoch < config.epochs) {
      log << "stopping after epoch " << epoch << " as asked; continue with --resume "
          << run_dir.string() << "\n";
      return {run_dir.string(),
              nlohmann::json{{"epochs_run", progress.epoch}, {"stopped_early", true}}};
    }
    if (config.patience && progress.epochs_without_improvement >= config.patience) {
      log << "early stopping: " << config.early_stopping_metric << " has not improved for "
          << config.patience << " epochs (best " << progress.best_metric << " at epoch "
          << progress.best_epoch << ")\n";
      break;
    }
  }

  // Final metrics, of the best checkpoint's weights, on the held-out test split if it exists.
  nlohmann::json final_metrics{{"epochs_run", progress.epoch},
                               {"steps", progress.step},
                               {"best_epoch", progress.best_epoch},
                               {"seed", config.seed},
                               {"wall_seconds", seconds_since(run_start)}};
  if (fs::exists(best_path)) restore_model(read_checkpoint(best_path.string()), *model);
  if (!last_validation.is_null()) {
    final_metrics["validation"] = evaluate(*model, *loss, validation_loader, classes).to_json();
  }
  try {
    const ImageDataset test_set = load_split(dataset, config.data.folder, dataset.test_split);
    std::vector<std::size_t> test_indices(test_set.count);
    for (std::size_t i = 0; i < test_set.count; ++i) test_indices[i] = i;
    DataLoader test_loader(test_set, test_indices, config.batch_size, false, false,
                           config.data.normalization);
    const ClassificationMetrics test = evaluate(*model, *loss, test_loader, classes);
    final_metrics["test"] = test.to_json();
    char text[160];
    std::snprintf(text, sizeof text,
                  "test (%zu images, weights of epoch %zu): accuracy %.2f%%  balanced %.2f%%  "
                  "macro-F1 %.4f\n",
                  test.count(), progress.best_epoch ? progress.best_epoch : progress.epoch,
                  100 * test.accuracy(), 100 * test.balanced_accuracy(), test.macro_f1());
    log << text;
  } catch (const DataError& error) {
    log << "no test split evaluated: " << error.what() << "\n";
  }
  write_file_atomically((run_dir / "final_metrics.json").string(), final_metrics.dump(2) + "\n");
  return {run_dir.string(), final_metrics};
}

}  // namespace gradlab
