#include "train/config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "datasets/registry.h"
#include "datasets/test_time_augmentation.h"
#include "framework/kernels/backend.h"
#include "framework/optim/registry.h"
#include "framework/precision.h"
#include "models/builder.h"

namespace gradlab {

nlohmann::json load_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::out_of_range&) {  // 1e999: a number too large for a double
    throw ConfigError(path + ": holds a number too large for a double (such as 1e999)");
  } catch (const nlohmann::json::parse_error& error) {
    // nlohmann reports a byte offset; turn it into line:column.
    std::ifstream again(path);
    const std::string text((std::istreambuf_iterator<char>(again)),
                           std::istreambuf_iterator<char>());
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i + 1 < error.byte && i < text.size(); ++i) {
      if (text[i] == '\n')
        ++line, column = 1;
      else
        ++column;
    }
    throw ConfigError(path + ":" + std::to_string(line) + ":" + std::to_string(column) +
                      ": invalid JSON: " + error.what());
  }
}

void apply_override(nlohmann::json& config, const std::string& assignment) {
  const std::size_t equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0)
    throw ConfigError("--set " + assignment + ": expected key.path=value");
  // A config is JSON text, which is UTF-8; a byte that is not would fail later, when the config
  // is written out (nlohmann's dump validates what its parser did not see).
  try {
    (void)nlohmann::json(assignment).dump();
  } catch (const nlohmann::json::type_error&) {
    throw ConfigError("--set " + assignment.substr(0, equals) + ": not valid UTF-8 text");
  }
  const std::string path = assignment.substr(0, equals), text = assignment.substr(equals + 1);
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error&) {
    value = text;                                  // a bare word: a string
  } catch (const nlohmann::json::out_of_range&) {  // 1e999: a number too large for a double
    throw ConfigError("--set " + assignment + ": the number " + text + " is out of range");
  }
  // Walk "a.b[2].c": names separated by '.', indices in brackets.
  nlohmann::json* node = &config;
  std::string walked;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos) throw ConfigError("--set " + path + ": unclosed '['");
      const std::string digits = path.substr(i + 1, close - i - 1);
      if (digits.empty() || digits.size() > 9 ||
          digits.find_first_not_of("0123456789") != std::string::npos)
        throw ConfigError("--set " + path + ": [" + digits + "] is not a list index");
      const std::size_t index = std::stoul(digits);
      if (!node->is_array() || index >= node->size())
        throw ConfigError("--set " + path + ": " + walked + " has no element [" +
                          std::to_string(index) + "]");
      node = &(*node)[index];
      walked += path.substr(i, close - i + 1);
      i = close + 1;
      if (i == path.size()) {  // the path ends at a list element: "model.hidden[0]=64"
        *node = value;
        return;
      }
      if (path[i] == '.') ++i;
      continue;
    }
    const std::size_t end = path.find_first_of(".[", i);
    const std::string key = path.substr(i, end == std::string::npos ? std::string::npos : end - i);
    const bool last = end == std::string::npos;
    if (!node->is_object())
      throw ConfigError("--set " + path + ": " + walked + " is not an object");
    walked += (walked.empty() ? "" : ".") + key;
    if (last) {
      (*node)[key] = value;  // a new key here is checked by parse_experiment like any other
      return;
    }
    if (!node->contains(key)) (*node)[key] = nlohmann::json::object();
    node = &(*node)[key];
    i = end + (path[end] == '.' ? 1 : 0);
  }
  throw ConfigError("--set " + assignment + ": empty key path");
}

namespace {

// A number or a list of numbers at key (fallback if absent), as a list.
std::vector<double> numbers(ConfigObject& object, const std::string& key, double fallback,
                            const Range& range) {
  if (object.has(key) && object.json(key).is_array()) return object.number_list(key, range);
  return {object.number(key, fallback, range)};
}

// The data section: which data set, its folder, splits, normalisation, class names, augmentation.
// A CSV table's keys: its files, label and feature columns, how to treat missing and unseen
// values; its schema as a run's resolved config records it (data.columns, data.class_names,
// data.standardize), else read from the training file.
void parse_table(ConfigObject& data, DataConfig& d) {
  d.file = data.string("file", std::nullopt);
  d.folder = d.file;  // what logs and errors name as the data's place
  d.test_file = data.string("test_file", "");
  d.test_split = data.number("test_split", 0.0, {0.0, 1.0, true, false});
  TableOptions& options = d.table_options;
  options.label = data.string("label", std::nullopt);
  if (data.has("features")) options.features = data.string_list("features");
  if (data.has("categorical")) options.categorical = data.string_list("categorical");
  options.impute_missing = data.string("missing", "error", {"error", "mean"}) == "mean";
  options.unseen_to_other = data.string("unseen", "error", {"error", "other"}) == "other";
  d.scale_per_column =
      data.string("scaling", "per_column", {"per_column", "global"}) == "per_column";
  if (!data.has("columns")) {
    d.schema = infer_table_schema(d.file, options);
  } else {
    // Written by a run: the schema it trained with, so that eval and predict read any file alike.
    const nlohmann::json& columns = data.json("columns");
    const std::string where = data.key_path("columns");
    if (!columns.is_array() || columns.empty())
      throw ConfigError(where + ": expected a list of columns, got " + columns.dump());
    d.schema.label = options.label;
    d.schema.other_slot = options.unseen_to_other;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      ConfigObject column(columns[i], where + "[" + std::to_string(i) + "]");
      TableColumn out;
      out.name = column.string("name", std::nullopt);
      out.categorical =
          column.string("type", std::nullopt, {"numeric", "categorical"}) == "categorical";
      if (out.categorical) out.values = column.string_list("values");
      column.finish();
      d.schema.columns.push_back(std::move(out));
    }
    if (!data.has("class_names"))
      throw ConfigError(data.key_path("class_names") + ": required with data.columns");
    d.schema.class_names = data.string_list("class_names");
  }
  if (data.has("standardize")) {
    ConfigObject standardize = data.object("standardize");
    d.standardization.mean = standardize.number_list("mean", {-1e30, 1e30});
    d.standardization.std = standardize.number_list("std", greater_than(0));
    standardize.finish();
    if (d.standardization.mean.size() != d.schema.width() ||
        d.standardization.std.size() != d.schema.width())
      throw ConfigError(data.key_path("standardize") + ": " +
                        std::to_string(d.standardization.mean.size()) + " means and " +
                        std::to_string(d.standardization.std.size()) + " stds for " +
                        std::to_string(d.schema.width()) + " encoded features");
  }
}

DataConfig parse_data(ConfigObject data) {
  DataConfig d;
  d.dataset = data.string("dataset", std::nullopt, dataset_names());
  const DatasetSpec& spec = find_dataset(d.dataset);
  if (spec.table)
    parse_table(data, d);
  else
    d.folder = data.string("folder", spec.default_folder.empty()
                                         ? std::nullopt
                                         : std::optional<std::string>(spec.default_folder));
  d.validation_split = data.number("validation_split", 0.1, {0.0, 1.0, true, false});
  if (spec.image_folder) {
    d.channels = static_cast<std::size_t>(data.integer("channels", 1, 1, 3));
    if (d.channels == 2)
      throw ConfigError(data.key_path("channels") + ": 1 (grey) or 3 (RGB), not 2");
    if (data.has("image_size")) {
      const std::vector<double> size = data.number_list("image_size", {1, 4096});
      if (size.size() != 2 || size[0] != std::floor(size[0]) || size[1] != std::floor(size[1]))
        throw ConfigError(data.key_path("image_size") +
                          ": expected [height, width] in pixels, got " +
                          data.json("image_size").dump());
      d.height = static_cast<std::size_t>(size[0]);
      d.width = static_cast<std::size_t>(size[1]);
    }
    d.test_split = data.number("test_split", 0.0, {0.0, 1.0, true, false});
    d.skip_unreadable = data.boolean("skip_unreadable", false);
    d.cache = data.boolean("cache", true);
  }
  // The class names reports and evaluations show: the data set's (an image folder's class
  // folders), or one string per class.
  d.class_names = spec.table ? d.schema.class_names : spec.class_names;
  if (spec.table) {
    // The label's values are the classes; data.class_names (a run's record of them) must agree.
    if (data.has("class_names") && data.string_list("class_names") != d.class_names)
      throw ConfigError(data.key_path("class_names") +
                        ": the label column's values are the "
                        "classes of a table; these differ from " +
                        d.file + "'s");
  } else if (data.has("class_names")) {
    const nlohmann::json& names = data.json("class_names");
    const std::string where = data.key_path("class_names");
    const std::size_t expected = spec.image_folder ? names.size() : spec.classes();
    if (!names.is_array() || names.size() != expected || expected < 2)
      throw ConfigError(where + ": expected a list of " +
                        (spec.image_folder ? std::string("class names (one per class folder)")
                                           : std::to_string(expected) + " names (one per class)") +
                        ", got " + names.dump());
    d.class_names.assign(names.size(), "");
    for (std::size_t c = 0; c < names.size(); ++c) {
      if (!names[c].is_string() || names[c].get<std::string>().empty())
        throw ConfigError(where + "[" + std::to_string(c) + "]: expected a non-empty name, got " +
                          names[c].dump());
      d.class_names[c] = names[c].get<std::string>();
    }
  } else if (spec.image_folder) {
    d.class_names = class_names_of(d);
  }
  if (data.has("normalize")) {
    // {"mean": m, "std": s} with numbers (every channel) or lists (one per channel), or
    // "dataset": the data set's own statistics (datasets/registry.h).
    if (data.json("normalize") == "dataset") {
      d.normalization = spec.statistics;
      d.normalize_from_training = spec.image_folder;
    } else {
      ConfigObject normalize = data.object("normalize");
      d.normalization.mean = numbers(normalize, "mean", 0.0, {-1e6, 1e6});
      d.normalization.std = numbers(normalize, "std", 1.0, greater_than(0));
      if (d.normalization.mean.size() != d.normalization.std.size())
        throw ConfigError("data.normalize: mean has " +
                          std::to_string(d.normalization.mean.size()) + " values, std " +
                          std::to_string(d.normalization.std.size()));
      normalize.finish();
    }
  }
  if (data.has("keep_fraction")) {
    d.keep_fraction = data.number_list("keep_fraction", {0.0, 1.0});
    if (d.keep_fraction.size() != d.class_names.size())
      throw ConfigError("data.keep_fraction: expected one fraction per class (" +
                        std::to_string(d.class_names.size()) + "), got " +
                        std::to_string(d.keep_fraction.size()));
  }
  d.limit = static_cast<std::size_t>(data.integer("limit", 0, 0, 1LL << 40));
  d.oversample = data.boolean("oversample", false);
  if (spec.table && data.has("augment"))
    throw ConfigError(data.key_path("augment") + ": augmentation is for images; " + d.dataset +
                      " is a table");
  if (data.has("augment")) {
    // {"translate": P, "horizontal_flip": bool, "rotate": D, "scale": [a, b]}: shifts of up
    // to P pixels each way, mirrors (by default where the data set's classes survive a
    // mirror), turns of up to D degrees each way, scaling by a factor in [a, b].
    ConfigObject augment = data.object("augment");
    d.augmentation.translate = static_cast<std::size_t>(augment.integer("translate", 0, 0, 64));
    d.augmentation.horizontal_flip = augment.boolean("horizontal_flip", spec.mirror_keeps_class);
    d.augmentation.rotate = augment.number("rotate", 0.0, {0.0, 180.0});
    d.augmentation.erase = augment.number("erase", 0.0, {0.0, 1.0});
    if (augment.has("scale")) {
      const std::vector<double> scale = augment.number_list("scale", {0.25, 4.0});
      if (scale.size() != 2 || scale[0] > scale[1])
        throw ConfigError(augment.key_path("scale") +
                          ": expected [smallest, largest] factors, smallest first, got " +
                          augment.json("scale").dump());
      d.augmentation.scale_min = scale[0];
      d.augmentation.scale_max = scale[1];
    }
    augment.finish();
  }
  data.finish();
  return d;
}

// The resolved config: what was given, with every default written out.
nlohmann::json resolved_config(const ExperimentConfig& experiment, const nlohmann::json& config) {
  nlohmann::json r = config;
  r["seed"] = experiment.seed;
  r["data"]["folder"] = experiment.data.folder;
  r["data"]["validation_split"] = experiment.data.validation_split;
  // Numbers for one value, lists for one per channel.
  auto one_or_list = [](const std::vector<double>& values) {
    return values.size() == 1 ? nlohmann::json(values[0]) : nlohmann::json(values);
  };
  r["data"]["normalize"] = {{"mean", one_or_list(experiment.data.normalization.mean)},
                            {"std", one_or_list(experiment.data.normalization.std)}};
  if (experiment.data.normalize_from_training) r["data"]["normalize"] = "dataset";
  if (find_dataset(experiment.data.dataset).table) {
    // The schema trained with: eval and predict read other files with it.
    const TableSchema& schema = experiment.data.schema;
    nlohmann::json columns = nlohmann::json::array();
    for (const TableColumn& column : schema.columns) {
      columns.push_back(
          {{"name", column.name}, {"type", column.categorical ? "categorical" : "numeric"}});
      if (column.categorical) columns.back()["values"] = column.values;
    }
    r["data"]["columns"] = columns;
    r["data"]["class_names"] = schema.class_names;
    r["data"]["test_split"] = experiment.data.test_split;
    r["data"]["missing"] = experiment.data.table_options.impute_missing ? "mean" : "error";
    r["data"]["unseen"] = experiment.data.table_options.unseen_to_other ? "other" : "error";
    r["data"]["scaling"] = experiment.data.scale_per_column ? "per_column" : "global";
    r["data"].erase("folder");
    if (!experiment.data.standardization.mean.empty())
      r["data"]["standardize"] = {{"mean", experiment.data.standardization.mean},
                                  {"std", experiment.data.standardization.std}};
  }
  if (find_dataset(experiment.data.dataset).image_folder) {
    // The classes trained on, so that eval and predict need not see the training folder.
    r["data"]["class_names"] = experiment.data.class_names;
    r["data"]["channels"] = experiment.data.channels;
    if (experiment.data.height)
      r["data"]["image_size"] = {experiment.data.height, experiment.data.width};
    r["data"]["test_split"] = experiment.data.test_split;
    r["data"]["skip_unreadable"] = experiment.data.skip_unreadable;
    r["data"]["cache"] = experiment.data.cache;
  }
  r["data"]["limit"] = experiment.data.limit;
  r["data"]["oversample"] = experiment.data.oversample;
  if (experiment.data.augmentation.enabled() || r["data"].contains("augment")) {
    const Augmentation& augmentation = experiment.data.augmentation;
    r["data"]["augment"] = {{"translate", augmentation.translate},
                            {"horizontal_flip", augmentation.horizontal_flip}};
    // Only when used, so that configs resolved before these keys existed compare equal.
    if (augmentation.warps()) {
      r["data"]["augment"]["rotate"] = augmentation.rotate;
      r["data"]["augment"]["scale"] = {augmentation.scale_min, augmentation.scale_max};
    }
    if (augmentation.erase > 0) r["data"]["augment"]["erase"] = augmentation.erase;
  }
  if (!config.contains("loss")) r["loss"] = {{"type", "cross_entropy"}};
  r["schedule"] = experiment.schedule;
  if (!experiment.tta.empty()) r["eval"] = {{"tta", experiment.tta}};
  if (experiment.ema.enabled)
    r["ema"] = {{"decay", experiment.ema.decay}, {"warmup", experiment.ema.warmup}};
  r["batch_size"] = experiment.batch_size;
  r["log_every_steps"] = experiment.log_every_steps;
  r["log"] = {{"layer_stats_every", experiment.layer_stats_every}};
  r["early_stopping"] = {{"metric", experiment.early_stopping_metric},
                         {"patience", experiment.patience}};
  r["divergence"] = {{"factor", experiment.divergence_factor},
                     {"steps", experiment.divergence_steps}};
  r["backend"] = experiment.backend;
  // Only when asked for, so that configs resolved before the key existed compare equal.
  if (experiment.precision != "f32" || config.contains("precision"))
    r["precision"] = experiment.precision;
  r["output"] = experiment.output;
  return r;
}

}  // namespace

ExperimentConfig parse_experiment(const nlohmann::json& config, const std::string& name) {
  ExperimentConfig experiment;
  ConfigObject root(config, "");
  experiment.seed = static_cast<std::uint64_t>(
      root.integer("seed", 42, 0, std::numeric_limits<long long>::max()));

  experiment.data = parse_data(root.object("data"));
  experiment.data.split_seed = experiment.seed;

  experiment.model = root.json("model");
  if (!experiment.model.is_object())
    throw ConfigError("model: expected an object, got " + experiment.model.dump());

  if (root.has("loss")) experiment.loss = parse_loss(root.object("loss"));

  const nlohmann::json& optimizer = root.json("optimizer");
  if (!optimizer.is_object())
    throw ConfigError("optimizer: expected an object, got " + optimizer.dump());
  experiment.optimizer = optimizer;
  experiment.schedule =
      root.has("schedule") ? root.json("schedule") : nlohmann::json{{"type", "constant"}};

  if (root.has("ema")) {
    ConfigObject ema = root.object("ema");
    experiment.ema.enabled = true;
    experiment.ema.decay = ema.number("decay", 0.999, {0.0, 1.0, false, false});
    experiment.ema.warmup = ema.number("warmup", 10.0, at_least(1));
    ema.finish();
  }
  if (root.has("eval")) {
    ConfigObject eval = root.object("eval");
    if (eval.has("tta")) {
      experiment.tta = eval.string_list("tta");
      std::size_t at = 0;
      if (const std::string wrong = TestTimeAugmentation::problem(experiment.tta, at);
          !wrong.empty())
        throw ConfigError(eval.key_path("tta") + "[" + std::to_string(at) + "]: " + wrong);
      if (!experiment.tta.empty() && find_dataset(experiment.data.dataset).table)
        throw ConfigError(eval.key_path("tta") + ": test-time views are of images; " +
                          experiment.data.dataset + " is a table");
    }
    eval.finish();
  }
  if (root.has("gradient_clipping")) {
    ConfigObject clip = root.object("gradient_clipping");
    experiment.clip_max_norm = clip.number("max_norm", 0.0, at_least(0));
    experiment.clip_max_value = clip.number("max_value", 0.0, at_least(0));
    clip.finish();
  }
  experiment.epochs = static_cast<std::size_t>(root.integer("epochs", std::nullopt, 1, 100000));
  experiment.batch_size = static_cast<std::size_t>(root.integer("batch_size", 64, 1, 1 << 20));
  experiment.log_every_steps =
      static_cast<std::size_t>(root.integer("log_every_steps", 0, 0, 1LL << 40));
  if (root.has("log")) {
    ConfigObject log = root.object("log");
    experiment.layer_stats_every =
        static_cast<std::size_t>(log.integer("layer_stats_every", 100, 0, 1LL << 40));
    log.finish();
  }
  if (root.has("early_stopping")) {
    ConfigObject stopping = root.object("early_stopping");
    experiment.early_stopping_metric =
        stopping.string("metric", "val_accuracy",
                        {"val_loss", "val_accuracy", "val_macro_f1", "val_balanced_accuracy"});
    experiment.patience = static_cast<std::size_t>(stopping.integer("patience", 0, 0, 100000));
    stopping.finish();
  }
  if (root.has("divergence")) {
    ConfigObject divergence = root.object("divergence");
    experiment.divergence_factor = divergence.number("factor", 10.0, at_least(0));
    experiment.divergence_steps =
        static_cast<std::size_t>(divergence.integer("steps", 20, 1, 1 << 20));
    divergence.finish();
  }
  experiment.backend = root.string("backend", to_string(default_backend()), backend_names());
  experiment.precision = root.string("precision", "f32", precision_names());
  if (experiment.precision != "f32" && experiment.backend != "onednn")
    throw ConfigError("precision: \"" + experiment.precision +
                      "\" runs on the onednn backend; backend is \"" + experiment.backend + "\"");
  experiment.output = root.string("output", "runs/" + name);
  root.finish();

  // The optimizer and schedule sections, read and checked here once; the trainer makes them
  // from these specs.
  experiment.optimizer_spec = parse_optimizer(ConfigObject(experiment.optimizer, "optimizer"));
  experiment.schedule_spec =
      parse_schedule(ConfigObject(experiment.schedule, "schedule"), experiment.optimizer_spec.lr);
  const ScheduleSpec& schedule = experiment.schedule_spec;
  if (schedule.type == "one_cycle" && schedule.cycle_momentum &&
      experiment.optimizer_spec.type == "sgd" && experiment.optimizer_spec.momentum == 0.0)
    throw ConfigError(
        "schedule.cycle_momentum: the sgd optimizer has no momentum to cycle; give "
        "optimizer.momentum (> 0) or set cycle_momentum to false");
  if (experiment.schedule_spec.warmup_epochs > 0 &&
      experiment.schedule_spec.warmup_epochs >= static_cast<double>(experiment.epochs))
    throw ConfigError("schedule.warmup_epochs: the warm-up is as long as the whole run");

  experiment.resolved = resolved_config(experiment, config);
  return experiment;
}

}  // namespace gradlab
