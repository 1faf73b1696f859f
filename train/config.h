// Experiment configs: JSON files that say everything about a run. Every key is checked; an
// unknown key or a bad value is an error naming its path in the file and, where it can, the
// nearest valid name. A full example is experiments/mnist_lenet.json; the keys:
//
//   seed                 integer (42)
//   data.dataset         a name from datasets/registry.h: "mnist" | "fashion_mnist" | "idx" |
//                        "image_folder"
//   data.folder          folder of its files (the registry's default for mnist and fashion_mnist)
//   data.validation_split fraction of the training set held out (0.1; an image folder's val/
//                        folder instead, when it has one)
//   data.normalize       {"mean", "std"} of pixels in [0, 1], numbers or one per channel
//                        ({0, 1}); or "dataset": the data set's statistics from the registry
//                        (an image folder's: per channel, of its training images, computed when
//                        the run starts and written into the run's config and checkpoints)
//   image folders only (datasets/image_folder.h):
//   data.channels        1 (grey) or 3 (RGB) (1)
//   data.image_size      [H, W]: every image resized to it (centre crop to the aspect ratio,
//                        antialiased bilinear); absent: every image must have one size
//   data.test_split      fraction held out for test by the seed when the folder has no test/ (0)
//   data.skip_unreadable leave unreadable images out, listed in the log, instead of stopping
//                        (false)
//   data.cache           decode once into a cache file and memory-map it later (true)
//   CSV tables only (datasets/table.h; data.folder is not used):
//   data.file, data.test_file  the training table and an optional test table
//   data.test_split      without test_file: the fraction of file's rows held out for test (0)
//   data.label           the label column's name (its values are the classes)
//   data.features        the feature columns (all but the label)
//   data.categorical     columns one-hot encoded even if their values are numbers ([])
//   data.missing         "error" | "mean": a missing value refused, or the training mean
//   data.unseen          "error" | "other": a category the training file lacks refused, or an
//                        extra slot
//   data.scaling         "per_column" | "global": numeric columns standardised each by its own
//                        training mean and std, or all by one (columns of one scale: pixels)
//   written by a run into its config (not for users to write): data.columns, data.class_names,
//   data.standardize {"mean", "std"} — the schema and statistics eval and predict read files with
//   data.keep_fraction   per-class fraction of training images kept, one per class ([] = all)
//   data.limit           use only the first N training images (0 = all; of an image folder,
//                        whose files are listed class by class, N drawn by the seed)
//   data.oversample      draw training batches with class-balancing weights (false)
//   data.class_names     one name per class, for reports (the data set's: digits, clothes)
//   data.augment         {"translate": P (0), "horizontal_flip": the data set's default,
//                         "rotate": D (0), "scale": [a, b] ([1, 1]), "erase": p (0)}: training
//                        images turned by up to D degrees, scaled by a factor in [a, b],
//                        shifted by up to P pixels, mirrored half the time, a random rectangle
//                        erased with probability p (datasets/augmentation.h); validation and
//                        test never
//   model                see models/builder.h
//   loss                 see framework/losses/registry.h (default: cross_entropy)
//   optimizer, schedule  see framework/optim/registry.h (schedule default: constant)
//   ema                  {"decay": 0.999, "warmup": 10}: keep an exponential moving average of the
//                        weights, d_t = min(decay, t / (warmup − 1 + t)) (framework/optim/
//                        weight_ema.h); validated each epoch beside the trained weights, it picks
//                        the best epoch and is what the run delivers (final test, eval, export)
//   eval.tta             test-time views whose logits are averaged with the image's: "mirror",
//                        "shift_left", "shift_right", "shift_up", "shift_down"
//                        (datasets/test_time_augmentation.h); in the run's final validation and
//                        test, eval and the report, not in the per-epoch validation ([])
//   gradient_clipping    {"max_norm": x} and/or {"max_value": x}
//   epochs, batch_size   integers (batch_size 64)
//   early_stopping       {"metric": "val_accuracy", "patience": 0 (off)}
//   divergence           {"factor": 10, "steps": 20}: stop (exit 3) when the training loss
//                        averaged over `steps` steps exceeds factor × the first step's; factor 0
//                        turns it off (train/divergence.h)
//   log_every_steps      also log the training loss every N steps (0 = per epoch only)
//   log                  {"layer_stats_every": 100}: each parameter tensor's norm, gradient norm
//                        and update ratio, and each layer's output mean, std and share of zeros,
//                        every N steps into layer_stats.jsonl, with warnings
//                        (train/layer_stats.h); 0 turns it off
//   backend              "onednn" | "reference" (default: $GRADLAB_BACKEND, else "onednn")
//   precision            "f32" | "bf16": bf16 mixed precision, the convolutions on oneDNN's bf16
//                        kernels (framework/precision.h); needs the onednn backend and a CPU
//                        with AVX512_BF16 or AMX (the trainer refuses it elsewhere)
//   output               run folder ("runs/<config file name>")
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "datasets/augmentation.h"
#include "datasets/loader.h"
#include "datasets/registry.h"
#include "framework/config_reader.h"
#include "framework/losses/registry.h"
#include "framework/optim/registry.h"

namespace gradlab {

// What the data sets read (DataSource: which data, where, how decoded), and what the trainer does
// with it.
struct DataConfig : DataSource {
  double validation_split = 0.1;
  Normalization normalization;
  // data.normalize: "dataset" of an image folder: the training images' statistics, computed by
  // TrainingData (normalization is {0, 1} until then).
  bool normalize_from_training = false;
  std::vector<double> keep_fraction;
  std::size_t limit = 0;
  bool oversample = false;
  Augmentation augmentation;  // of training images only
};

// config "ema": the weight average a run keeps, if any.
struct EmaConfig {
  bool enabled = false;
  double decay = 0.999, warmup = 10;
};

struct ExperimentConfig {
  nlohmann::json resolved;  // the config as run: overrides applied, defaults filled in
  std::uint64_t seed = 42;
  DataConfig data;
  nlohmann::json model, optimizer, schedule;  // as given (the resolved config writes these)
  OptimizerSpec optimizer_spec;               // ...and read and checked
  ScheduleSpec schedule_spec;
  LossSpec loss;
  EmaConfig ema;
  std::vector<std::string> tta;                  // eval.tta: the test-time views
  double clip_max_norm = 0, clip_max_value = 0;  // 0 = off
  std::size_t epochs = 1, batch_size = 64, log_every_steps = 0;
  std::size_t layer_stats_every = 100;
  std::string early_stopping_metric = "val_accuracy";
  std::size_t patience = 0;
  double divergence_factor = 10;
  std::size_t divergence_steps = 20;
  std::string backend = "onednn";
  std::string precision = "f32";
  std::string output;
  std::string source;  // the file it was read from, if any: errors found later name it
};

// Reads a JSON file; a syntax error names the file, line and column.
nlohmann::json load_json_file(const std::string& path);

// Applies "a.b[2].c=value" to config: value is parsed as JSON if it can be (3, 0.1, true,
// [1,2], "x"), else taken as a string. Missing objects on the way are created; a misspelt key
// is then caught by parse_experiment like any other unknown key. Throws ConfigError for a
// malformed path or an index past the end of a list.
void apply_override(nlohmann::json& config, const std::string& assignment);

// Validates everything that can be checked without data or a model; `name` (the config file's
// stem) is the default output folder's name.
ExperimentConfig parse_experiment(const nlohmann::json& config, const std::string& name);

}  // namespace gradlab
