#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <type_traits>

#include "datasets/idx.h"
#include "datasets/registry.h"
#include "datasets/test_time_augmentation.h"
#include "framework/distributed/data_parallel.h"
#include "framework/kernels/backend.h"
#include "framework/kernels/onednn/context.h"
#include "framework/losses/registry.h"
#include "framework/optim/registry.h"
#include "framework/optim/weight_ema.h"
#include "framework/precision.h"
#include "framework/runtime.h"
#include "models/builder.h"
#include "train/checkpoint.h"
#include "train/divergence.h"
#include "train/early_stopping.h"
#include "train/layer_stats.h"
#include "train/metrics.h"
#include "train/progress.h"
#include "train/report/report.h"
#include "train/run.h"
#include "train/run_folder.h"
#include "train/training_data.h"

namespace gradlab {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Each epoch's shuffling draws from its own Rng, derived from the seed and the epoch number, so
// a resumed run shuffles exactly as an uninterrupted one.
Rng epoch_rng(std::uint64_t seed, std::size_t epoch) {
  return Rng(derive_seed(seed, epoch + 1));
}

bool all_finite(const std::vector<Parameter<float>*>& parameters) {
  for (const Parameter<float>* p : parameters)
    for (float g : p->grad)
      if (!std::isfinite(g)) return false;
  return true;
}

// Rank 0's weight average on every rank: its buffers' averages followed each rank's own running
// statistics, and a resumed run's average was read by rank 0 alone.
void broadcast_average(DataParallel<float>& parallel, WeightEma<float>* average) {
  if (!average || parallel.world().size() == 1) return;
  for (const auto& [name, tensor] : average->named_averages()) parallel.broadcast(*tensor);
  std::uint64_t updates = average->updates();
  parallel.world().broadcast(&updates, sizeof updates, 0);
  average->set_updates(updates);
}

// The weight average in the model while it lives (evaluating the average with the model's own
// forward pass), the trained weights back after, however the scope ends.
class AverageInModel {
 public:
  explicit AverageInModel(WeightEma<float>& average) : average_(average) {
    average_.swap_with_model();
  }
  ~AverageInModel() { average_.swap_with_model(); }
  AverageInModel(const AverageInModel&) = delete;
  AverageInModel& operator=(const AverageInModel&) = delete;

 private:
  WeightEma<float>& average_;
};

// The learning rate of the optimizer's next step, lr · schedule(step), set on it and returned: the
// one place a run's rate is computed. Also the momentum, where the schedule sets it (one_cycle).
double set_scheduled_rate(const ExperimentConfig& config, Run& run) {
  const std::size_t step = run.optimizer->steps();
  const double lr = config.optimizer_spec.lr * run.schedule->factor(step);
  run.optimizer->set_learning_rate(lr);
  if (const std::optional<double> momentum = run.schedule->momentum(step))
    run.optimizer->set_momentum(*momentum);
  return lr;
}

// Refuses, before the first step, a batch size that leaves some process a training slice the model
// cannot train on (BatchNorm with one value per channel): otherwise the run would stop at the
// epoch's last batch, before any checkpoint. A slice of 0 is fine: that rank sits the batch out.
void check_training_batches(const ExperimentConfig& config, TrainingData& data,
                            const Sequential<float>& model, std::size_t ranks) {
  const Shape& s = data.sample_shape();
  const std::size_t needed = model.smallest_training_batch(batch_shape(1, s));
  if (needed <= 1) return;
  const std::size_t B = config.batch_size, images = data.train().indices().size();
  const std::string job = ranks > 1 ? " per process (" + std::to_string(ranks) + " processes)" : "";
  // A batch of b images is cut into slices of floor(b / ranks) and ceil(b / ranks).
  auto too_small = [&](std::size_t b) {
    const std::size_t low = b / ranks, high = (b + ranks - 1) / ranks;
    return (low >= 1 && low < needed) || (high >= 1 && high < needed);
  };
  const std::string advice = "; the model's BatchNorm layers need at least " +
                             std::to_string(needed) + " samples" + job +
                             " per training batch (one value per channel has no variance)";
  if (too_small(std::min(B, images)))
    throw ConfigError("batch_size: " + std::to_string(B) + " gives training batches of " +
                      std::to_string(std::min(B, images) / ranks) + " samples" + job + advice +
                      "; raise batch_size");
  const std::size_t last = images % B;
  if (images > B && last > 0 && too_small(last))
    throw ConfigError("batch_size: " + std::to_string(B) + " leaves the " + std::to_string(images) +
                      " training images a last batch of " + std::to_string(last) + " (" +
                      std::to_string(images / B) + " x " + std::to_string(B) + " + " +
                      std::to_string(last) + ")" +
                      (ranks > 1 ? ", " + std::to_string(last / ranks) + " per process" : "") +
                      advice + "; change batch_size, or data.limit or data.validation_split");
}

// The progress so far: none for a new run; for a resumed one, the model and optimizer restored
// from its last checkpoint (by rank 0, which holds the folder) and the checkpoint's progress.
// Then every rank's weights, buffers and optimizer state become rank 0's.
TrainingProgress open_run(const ExperimentConfig& config, const TrainOptions& options, Run& run,
                          const RunFolder* folder, DataParallel<float>& parallel,
                          std::ostream& log) {
  TrainingProgress progress;
  if (!options.resume_dir.empty() && folder) {
    const Checkpoint checkpoint = read_checkpoint(folder->last_checkpoint());
    restore_model(checkpoint, *run.model);
    restore_optimizer(checkpoint, *run.optimizer);
    if (run.average && has_weight_average(checkpoint)) {
      restore_weight_average(checkpoint, *run.average);
    } else if (run.average) {
      run.average = make_average(config, *run.model);
      log << "the checkpoint has no weight average (ema was off): it starts at the resumed "
             "weights\n";
    }
    folder->truncate_metrics(checkpoint.progress.epoch);
    log << "resuming " << folder->path().string() << " after epoch " << checkpoint.progress.epoch
        << " (step " << checkpoint.progress.step << ")\n";
    progress = checkpoint.progress;
  }
  static_assert(std::is_trivially_copyable_v<TrainingProgress>);
  parallel.world().broadcast(&progress, sizeof progress, 0);
  parallel.broadcast_from_root(run.optimizer.get());
  broadcast_average(parallel, run.average.get());
  parallel.separate_random_streams();
  return progress;
}

void log_header(std::ostream& log, const ExperimentConfig& config, const std::string& run_path,
                TrainingData& data, Run& run, Communicator& world) {
  const Shape& s = data.sample_shape();
  log << "run folder: " << run_path << "\n";
  if (world.size() > 1)
    log << "data-parallel: " << world.size() << " processes, batch " << config.batch_size
        << " split " << config.batch_size / world.size() << "-"
        << (config.batch_size + world.size() - 1) / world.size() << " images per rank\n";
  log << "data: " << config.data.folder << ", " << data.train_count() << " training / "
      << data.validation_count() << " validation " << samples_name(s)
      << (config.data.oversample ? " (oversampled)" : "") << "\n"
      << "model: " << run.model->parameter_count() << " parameters, "
      << run.model->forward_flops(batch_shape(1, s)) << " forward FLOPs per sample\n"
      << "loss: " << run.loss->name() << "; optimizer: " << run.optimizer->name()
      << "; schedule: " << run.schedule->name()
      << (run.average ? "; weight average: " + run.average->name() : "")
      << "; backend: " << config.backend
      << (config.precision == "f32"
              ? ""
              : ", precision " + config.precision + " on " + onednn::cpu_isa())
      << " (" << num_threads() << " threads)\n";
  if (config.precision == "bf16" && onednn::bf16_slower_than_f32())
    log << "note: bf16 on an Intel CPU without AMX trains slower than f32 (0.6x measured, "
           "docs/benchmarks.md): bf16 pays on AMX and on AMD Zen 4\n";
}

// The error that stops a diverged run, naming the step and the checkpoint left to resume from.
DivergedError diverged(std::size_t step, std::size_t epoch, const std::string& what,
                       const std::string& advice, bool has_checkpoint,
                       const std::string& last_checkpoint) {
  return DivergedError("step " + std::to_string(step) + " (epoch " + std::to_string(epoch) +
                       "): " + what + "; stopping. " + advice +
                       (has_checkpoint ? "The last good checkpoint is " + last_checkpoint
                                       : "No checkpoint was written."));
}

// One optimizer step on a batch: forward, loss, backward, the ranks' gradients combined,
// clipping, update. images and labels are this rank's slice of the batch (all of it in a job of
// one), batch_labels the whole batch's. Returns the batch's loss; throws DivergedError, naming
// the step, on a NaN or infinite loss or gradient.
// stats: on a step the layer statistics read (train/layer_stats.h), the layers' outputs are read
// and the weights and gradients the update starts from kept; the caller reads the update after.
double train_step(const ExperimentConfig& config, Run& run, DataParallel<float>& parallel,
                  const Tensor<float>& images, const Labels& labels, const Labels& batch_labels,
                  ClassificationMetrics& metrics, std::size_t step, std::size_t epoch,
                  bool has_checkpoint, const std::string& last_checkpoint,
                  LayerStats* stats = nullptr) {
  auto diverged = [&](const std::string& what, const std::string& advice) {
    return gradlab::diverged(step, epoch, what, advice, has_checkpoint, last_checkpoint);
  };
  run.optimizer->zero_grad();
  double loss = 0;
  // A rank whose slice is empty (a last batch smaller than the job) adds a zero gradient.
  if (!labels.empty()) {
    if (stats) stats->before_forward();
    const Tensor<float>& logits = run.model->forward(images);
    loss = run.loss->forward(logits, labels);
    if (!std::isfinite(loss))
      throw diverged("the loss is " + std::to_string(loss),
                     "Lower the learning rate or clip gradients. ");
    metrics.add(logits, labels, loss);
    run.model->backward(run.loss->backward());
  }
  // This rank's share of the batch's loss normaliser (data_parallel.h); exactly 1 alone.
  const double batch_normalizer = run.loss->normalizer(batch_labels);
  const double share = batch_normalizer > 0 ? run.loss->normalizer(labels) / batch_normalizer : 0.0;
  std::vector<double> batch_loss{share * loss};
  parallel.reduce_gradients(share, batch_loss);
  if (parallel.world().size() > 1) loss = batch_loss[0];
  if (!all_finite(run.parameters)) throw diverged("a gradient is NaN or infinite", "");
  if (config.clip_max_norm > 0) clip_grad_norm(run.parameters, config.clip_max_norm);
  if (config.clip_max_value > 0) clip_grad_value(run.parameters, config.clip_max_value);
  if (stats) stats->before_step();
  run.optimizer->step();
  if (run.average) run.average->update();
  return loss;
}

// The epoch's line of metrics.jsonl, with its validation metrics if there is a validation split.
nlohmann::json epoch_line(std::size_t epoch, const TrainingProgress& progress, const Run& run,
                          const ClassificationMetrics& train, std::size_t images, double seconds) {
  return {{"epoch", epoch},
          {"step", progress.step},
          {"lr", run.optimizer->learning_rate()},
          {"train_loss", train.loss()},
          {"train_accuracy", train.accuracy()},
          {"seconds", seconds},
          {"images_per_second", static_cast<double>(images) / seconds},
          {"peak_memory_bytes", peak_memory_bytes()}};
}

// prefix: "" for the trained weights, "ema_" for the weight average.
void add_validation(nlohmann::json& line, const ClassificationMetrics& validation,
                    const std::string& prefix = "") {
  line[prefix + "val_loss"] = validation.loss();
  line[prefix + "val_accuracy"] = validation.accuracy();
  line[prefix + "val_balanced_accuracy"] = validation.balanced_accuracy();
  line[prefix + "val_macro_f1"] = validation.macro_f1();
}

}  // namespace

namespace {

// The model's metrics on the validation split (if the run validated in this process: a resumed
// run with no epoch left did not) and on the test split (if there is one), as final_metrics.json
// holds them; logs the test line, naming the `weights`, with its time. With test-time views, the
// metrics are those of the averaged logits, the plain ones beside them under "without_tta" (from
// the same passes: the plain image is the first view).
nlohmann::json evaluate_splits(Run& run, TrainingData& data, TrainingData::Test* test_split,
                               bool validated, Communicator& world, const std::string& weights,
                               const TestTimeAugmentation& tta, std::ostream& log) {
  const TestTimeAugmentation* views = tta.enabled() ? &tta : nullptr;
  nlohmann::json plain = nlohmann::json::object(), with_views = nlohmann::json::object();
  const auto both = [&](DataLoader& loader, const char* split) {
    ClassificationMetrics without_views(data.classes());
    const ClassificationMetrics metrics =
        evaluate(*run.model, *run.loss, loader, data.classes(), &world, {}, views, &without_views);
    plain[split] = without_views.to_json();
    with_views[split] = metrics.to_json();
    return std::make_pair(without_views, metrics);
  };
  if (validated) both(data.validation(), "validation");
  if (test_split) {
    const Clock::time_point start = Clock::now();
    const auto [test, test_with_views] = both(*test_split->loader, "test");
    const double seconds = seconds_since(start);
    const auto line = [&](const ClassificationMetrics& metrics, const std::string& how,
                          const std::string& time) {
      char text[300];
      std::snprintf(text, sizeof text,
                    "test (%zu %s, %s): accuracy %.2f%%  balanced %.2f%%  macro-F1 %.4f  (%s)\n",
                    metrics.count(), samples_name(data.sample_shape()), how.c_str(),
                    100 * metrics.accuracy(), 100 * metrics.balanced_accuracy(), metrics.macro_f1(),
                    time.c_str());
      log << text;
    };
    char time[32];
    std::snprintf(time, sizeof time, "%.1f s", seconds);
    if (!views) {
      line(test, weights, time);
    } else {
      line(test, weights, "in the views' passes");
      line(test_with_views,
           weights + ", test-time views " + tta.describe() + ": " +
               std::to_string(1 + tta.views().size()) + " passes per image",
           time);
    }
  }
  if (!views) return plain;
  with_views["without_tta"] = plain;
  return with_views;
}

// The final metrics: of the best checkpoint's weights, on validation and, if the data set has
// one, on the test split; of its weight average where the run keeps one (the trained weights'
// then under "trained_weights").
nlohmann::json final_metrics(const ExperimentConfig& config, TrainingData& data, Run& run,
                             const RunFolder* folder, DataParallel<float>& parallel,
                             const TrainingProgress& progress, bool validated, double seconds,
                             std::ostream& log) {
  nlohmann::json metrics{
      {"epochs_run", progress.epoch},      {"steps", progress.step},
      {"best_epoch", progress.best_epoch}, {"seed", config.seed},
      {"wall_seconds", seconds},           {"peak_memory_bytes", peak_memory_bytes()}};
  if (parallel.world().size() > 1) {
    // What combining the gradients cost: the benchmark's figure (bench/distributed.sh).
    const double per_step = parallel.reduce_seconds() /
                            static_cast<double>(std::max<std::size_t>(1, parallel.reductions()));
    metrics["processes"] = parallel.world().size();
    metrics["allreduce_seconds_per_step"] = per_step;
    log << "data-parallel: " << parallel.world().size() << " processes; gradient allreduce "
        << per_step * 1e3 << " ms per step\n";
  }
  if (folder && fs::exists(folder->best_checkpoint())) {
    const Checkpoint best = read_checkpoint(folder->best_checkpoint());
    restore_model(best, *run.model);
    if (run.average && has_weight_average(best)) {
      restore_weight_average(best, *run.average);
    } else if (run.average) {  // ema turned on by a resume after the best epoch
      run.average = make_average(config, *run.model);
      log << "the best checkpoint (epoch " << best.progress.epoch
          << ") has no weight average: its trained weights stand for it\n";
    }
  }
  parallel.broadcast_from_root(nullptr);  // rank 0 holds the best checkpoint
  broadcast_average(parallel, run.average.get());
  std::unique_ptr<TrainingData::Test> test_split;
  try {
    test_split = data.load_test();
  } catch (const DataError& error) {
    log << "no test split evaluated: " << error.what() << "\n";
  }
  const std::string epoch =
      std::to_string(progress.best_epoch ? progress.best_epoch : progress.epoch);
  // The trained weights; then, where the run keeps one, the weight average it delivers.
  const TestTimeAugmentation tta(config.tta, data.normalization());
  if (tta.enabled()) metrics["tta"] = config.tta;
  const nlohmann::json trained =
      evaluate_splits(run, data, test_split.get(), validated, parallel.world(),
                      "weights of epoch " + epoch, tta, log);
  if (!run.average) {
    metrics.update(trained);
    return metrics;
  }
  metrics["trained_weights"] = trained;
  const AverageInModel average_in_model(*run.average);
  metrics.update(evaluate_splits(run, data, test_split.get(), validated, parallel.world(),
                                 "weight average of epoch " + epoch, tta, log));
  metrics["weights"] = "ema";
  return metrics;
}

}  // namespace

namespace {

// What loading the data says: notes on rank 0's log, and an image folder's decoding progress on
// the terminal when there is a progress bar.
LoadLog data_log(bool root, bool progress_bar, std::ostream& log) {
  LoadLog data_log;
  if (!root) return data_log;
  data_log.note = [&log](const std::string& text) {
    log << "data: " << text << "\n" << std::flush;
  };
  if (progress_bar)
    data_log.progress = [](std::size_t done, std::size_t total) {
      std::fprintf(stderr, "\rdecoding images %zu/%zu%s", done, total, done == total ? "\n" : "");
    };
  return data_log;
}

// The resolved config with the normalisation the loaders use: data.normalize "dataset" of an image
// folder becomes the training images' numbers, so that eval, predict and export apply the same.
nlohmann::json resolved_with_statistics(const ExperimentConfig& config, const TrainingData& data) {
  nlohmann::json resolved = config.resolved;
  if (config.data.normalize_from_training)
    resolved["data"]["normalize"] = {{"mean", data.normalization().mean},
                                     {"std", data.normalization().std}};
  if (!data.standardization().mean.empty())
    resolved["data"]["standardize"] = {{"mean", data.standardization().mean},
                                       {"std", data.standardization().std}};
  return resolved;
}

// One run from its first step to its final metrics: what train_experiment holds across epochs.
// Every rank makes one; the data parallelism lives in DataParallel and the loaders' shards, and
// rank 0 alone holds the run folder and writes the log.
class TrainingRun {
 public:
  TrainingRun(const ExperimentConfig& config, const TrainOptions& options, std::ostream& log)
      : config_(config),
        options_(options),
        world_(options.world ? *options.world : single_process()),
        out_(world_.rank() == 0 ? log : nowhere_),
        data_(config, data_log(world_.rank() == 0, options.progress_bar, out_)),
        resolved_(resolved_with_statistics(config, data_)),
        run_(start(config, data_, world_)),
        parallel_(world_, *run_.model),
        divergence_(config.divergence_factor, config.divergence_steps),
        early_stopping_(config.early_stopping_metric, config.patience) {
    enable_flush_to_zero();
    if (world_.rank() == 0)
      folder_.emplace(options.resume_dir.empty() ? RunFolder::create(config.output)
                                                 : RunFolder::open(options.resume_dir));
    run_path_ = broadcast_string(world_, folder_ ? folder_->path().string() : "", 0);
    last_checkpoint_ = broadcast_string(world_, folder_ ? folder_->last_checkpoint() : "", 0);
    progress_ = open_run(config, options, run_, folder(), parallel_, out_);
    if (folder_) folder_->write_config(resolved_);
    if (folder_) folder_->write_split(data_.split_json());
    // The rate that runs, the config's (overrides included; a checkpoint's was the old run's).
    set_scheduled_rate(config, run_);
    log_header(out_, config, run_path_, data_, run_, world_);
    reporter_.emplace(out_, folder_ && options.progress_bar, config.epochs,
                      data_.steps_per_epoch());
    // Rank 0 reads them: after the ranks' gradients are summed, every rank holds the same.
    if (folder_ && config.layer_stats_every > 0) {
      layer_stats_.emplace(run_.model->named_parameters(), config.optimizer_spec.lr);
      layer_stats_->watch_outputs(*run_.model);
    }
  }

  const TrainingProgress& progress() const { return progress_; }

  // The epoch's steps, the ranks brought back in step, validation, metrics and checkpoints.
  void epoch(std::size_t epoch) {
    Rng rng = epoch_rng(config_.seed, epoch);
    data_.train().start_epoch(rng);
    reporter_->start_epoch(epoch);
    ClassificationMetrics train_metrics(data_.classes());
    std::size_t batches = 0, seen = 0;
    while (data_.train().next(images_, labels_)) {
      const double lr = set_scheduled_rate(config_, run_);
      LayerStats* reading = layer_stats_ && (progress_.step + 1) % config_.layer_stats_every == 0
                                ? &*layer_stats_
                                : nullptr;
      const double loss = train_step(
          config_, run_, parallel_, images_, labels_, data_.train().batch_labels(), train_metrics,
          progress_.step + 1, epoch, progress_.epoch > 0, last_checkpoint_, reading);
      ++progress_.step, ++batches, seen += data_.train().batch_labels().size();
      if (reading) {
        const nlohmann::json line = reading->after_step(progress_.step, epoch, lr);
        const auto writing = std::chrono::steady_clock::now();
        folder_->append_layer_stats(line);
        reading->add_seconds(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - writing).count());
        for (const std::string& warning : reading->take_warnings())
          reporter_->note("warning: " + warning);
      }
      stop_if_diverged(divergence_.add(loss, progress_.step, progress_), epoch);
      if (folder_ && config_.log_every_steps && progress_.step % config_.log_every_steps == 0)
        folder_->append_metrics(
            {{"epoch", epoch}, {"step", progress_.step}, {"lr", lr}, {"train_loss", loss}});
      reporter_->batch(batches, seen, train_metrics.loss());
    }
    reporter_->end_batches();
    stop_if_diverged(divergence_.check_partial(progress_.step, progress_), epoch);
    reduce(train_metrics, world_);
    parallel_.synchronize_buffers("after epoch " + std::to_string(epoch));
    broadcast_average(parallel_, run_.average.get());
    nlohmann::json line =
        epoch_line(epoch, progress_, run_, train_metrics, seen, reporter_->seconds());
    bool improved = data_.validation_count() == 0;  // then every epoch is the best one
    if (data_.validation_count() > 0) {
      const ClassificationMetrics validation =
          evaluate(*run_.model, *run_.loss, data_.validation(), data_.classes(), &world_);
      add_validation(line, validation);
      // A run that keeps a weight average delivers it: the average is what the best epoch and
      // early stopping judge.
      std::optional<ClassificationMetrics> averaged;
      if (run_.average) {
        const AverageInModel average_in_model(*run_.average);
        averaged = evaluate(*run_.model, *run_.loss, data_.validation(), data_.classes(), &world_);
        add_validation(line, *averaged, "ema_");
      }
      improved = early_stopping_.update(averaged ? *averaged : validation, epoch, progress_);
      validated_ = true;
    }
    progress_.epoch = epoch;
    if (folder_) save(line, improved);
    reporter_->end_epoch(line);
  }

  // After `epoch`: whether the run stops here as asked (TrainOptions::stop_after_epoch) or by
  // early stopping; says which.
  bool stops_after(std::size_t epoch) {
    if (options_.stop_after_epoch == epoch && epoch < config_.epochs) {
      out_ << "stopping after epoch " << epoch << " as asked; continue with --resume " << run_path_
           << "\n";
      stopped_as_asked_ = true;
      return true;
    }
    if (!early_stopping_.should_stop(progress_)) return false;
    out_ << "early stopping: " << config_.early_stopping_metric << " has not improved for "
         << config_.patience << " epochs (best " << progress_.best_metric << " at epoch "
         << progress_.best_epoch << ")\n";
    return true;
  }

  // The final metrics (none for a run stopped as asked), final_metrics.json and the report.
  TrainResult finish(double seconds) {
    if (stopped_as_asked_)
      return {run_path_, {{"epochs_run", progress_.epoch}, {"stopped_early", true}}};
    const nlohmann::json metrics = final_metrics(config_, data_, run_, folder(), parallel_,
                                                 progress_, validated_, seconds, out_);
    if (folder_) folder_->write_final_metrics(metrics);
    if (layer_stats_ && layer_stats_->readings()) {
      char line[160];
      std::snprintf(line, sizeof line,
                    "layer statistics: %zu readings in layer_stats.jsonl, %.3f s (%.2f%% of "
                    "the run)\n",
                    layer_stats_->readings(), layer_stats_->seconds(),
                    100 * layer_stats_->seconds() / seconds);
      out_ << line;
    }
    if (folder_ && options_.report) {
      // The run has succeeded whatever happens here: a report that cannot be made is a warning.
      try {
        std::optional<AverageInModel> delivered;  // the report evaluates what the run delivers
        if (run_.average) delivered.emplace(*run_.average);
        write_run_report(folder_->path(), config_.backend, out_, run_.model.get());
      } catch (const std::exception& error) {
        out_ << "report not written: " << error.what() << "\n";
      }
    }
    return {run_path_, metrics};
  }

 private:
  // The model, loss, optimizer and schedule, once the batch size is known to suit the model.
  static Run start(const ExperimentConfig& config, TrainingData& data, Communicator& world) {
    data.shard(static_cast<std::size_t>(world.rank()), static_cast<std::size_t>(world.size()));
    Run run = make_run(config, data);
    check_training_batches(config, data, *run.model, static_cast<std::size_t>(world.size()));
    return run;
  }
  RunFolder* folder() { return folder_ ? &*folder_ : nullptr; }
  void stop_if_diverged(const std::string& what, std::size_t epoch) {
    if (!what.empty())
      throw diverged(progress_.step, epoch, what, "Lower the learning rate or clip gradients. ",
                     progress_.epoch > 0, last_checkpoint_);
  }
  void save(const nlohmann::json& line, bool improved) {
    folder_->append_metrics(line);
    save_checkpoint(folder_->last_checkpoint(), *run_.model, run_.optimizer.get(), progress_,
                    resolved_, data_.sample_shape(), {}, run_.average.get());
    if (improved)
      save_checkpoint(folder_->best_checkpoint(), *run_.model, run_.optimizer.get(), progress_,
                      resolved_, data_.sample_shape(), {}, run_.average.get());
  }

  const ExperimentConfig& config_;
  const TrainOptions& options_;
  Communicator& world_;
  std::ostream nowhere_{nullptr};  // the log of ranks other than 0
  std::ostream& out_;
  TrainingData data_;        // the splits and their loaders
  nlohmann::json resolved_;  // the config as run, written into the folder and checkpoints
  Run run_;                  // model, loss, optimizer, schedule
  DataParallel<float> parallel_;
  std::optional<RunFolder> folder_;
  std::string run_path_, last_checkpoint_;
  TrainingProgress progress_;
  DivergenceGuard divergence_;
  const EarlyStopping early_stopping_;
  std::optional<ProgressReporter> reporter_;
  std::optional<LayerStats> layer_stats_;
  Tensor<float> images_;
  Labels labels_;
  bool validated_ = false, stopped_as_asked_ = false;
};

}  // namespace

TrainResult train_experiment(const ExperimentConfig& config, const TrainOptions& options,
                             std::ostream& log) {
  const Clock::time_point start = Clock::now();
  TrainingRun run(config, options, log);
  for (std::size_t epoch = run.progress().epoch + 1; epoch <= config.epochs; ++epoch) {
    run.epoch(epoch);
    if (run.stops_after(epoch)) break;
  }
  return run.finish(seconds_since(start));
}

}  // namespace gradlab
