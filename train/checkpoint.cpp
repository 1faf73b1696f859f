#include "train/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "datasets/idx.h"

namespace gradlab {

namespace {
constexpr const char* kFormat = "gradlab.checkpoint.v1";

std::string number_text(double x) {
  std::ostringstream out;
  out.precision(17);  // round-trips a double exactly
  out << x;
  return out.str();
}
}  // namespace

void save_checkpoint(const std::string& path, Module<float>& model,
                     const Optimizer<float>* optimizer, const TrainingProgress& progress,
                     const nlohmann::json& config, const Shape& sample_shape,
                     const std::function<void()>& before_rename, WeightEma<float>* average) {
  SafetensorsFile file;
  file.metadata["format"] = kFormat;
  file.metadata["config"] = config.dump();
  file.metadata["sample_shape"] = nlohmann::json(sample_shape).dump();
  file.metadata["epoch"] = std::to_string(progress.epoch);
  file.metadata["step"] = std::to_string(progress.step);
  file.metadata["best_metric"] = number_text(progress.best_metric);
  file.metadata["best_epoch"] = std::to_string(progress.best_epoch);
  file.metadata["epochs_without_improvement"] = std::to_string(progress.epochs_without_improvement);
  file.metadata["initial_loss"] = number_text(progress.initial_loss);
  for (const auto& [name, rng] : model.named_rngs()) file.metadata["rng." + name] = rng->state();
  for (const NamedParameter<float>& named : model.named_parameters())
    file.tensors.emplace_back("model." + named.name, named.parameter->value);
  for (const NamedBuffer<float>& named : model.named_buffers())
    file.tensors.emplace_back("model." + named.name, *named.tensor);
  if (optimizer) {
    const OptimizerState<float> state = optimizer->state();
    file.metadata["optimizer"] = optimizer->name();
    file.metadata["optimizer_steps"] = std::to_string(state.steps);
    file.metadata["learning_rate"] = number_text(state.learning_rate);
    for (const auto& [name, buffer] : state.buffers)
      file.tensors.emplace_back("optimizer." + name, buffer);
  }
  if (average) {
    file.metadata["ema_updates"] = std::to_string(average->updates());
    for (const auto& [name, tensor] : average->named_averages())
      file.tensors.emplace_back("ema." + name, *tensor);
  }
  save_safetensors(path, file, before_rename);
}

namespace {
// Larger than any image gradlab reads (the PNG reader caps images at 64 Mpixel: 8192²).
constexpr std::size_t kMaxSampleExtent = 1 << 16;
}  // namespace

Checkpoint read_checkpoint(const std::string& path) {
  Checkpoint checkpoint{path, load_safetensors(path), {}, {}, {}};
  const auto& metadata = checkpoint.file.metadata;
  auto get = [&](const std::string& key) -> const std::string& {
    const auto it = metadata.find(key);
    if (it == metadata.end())
      throw DataError(path + ": not a gradlab checkpoint (no '" + key + "' in its metadata)");
    return it->second;
  };
  if (get("format") != kFormat)
    throw DataError(path + ": unknown checkpoint format '" + get("format") + "'");
  try {
    checkpoint.config = nlohmann::json::parse(get("config"));
    checkpoint.sample_shape = nlohmann::json::parse(get("sample_shape")).get<Shape>();
    // One to three sizes (C × H × W for images), each at least 1: a zero reached the model's
    // constructors as 0 channels.
    const Shape& sample = checkpoint.sample_shape;
    const bool sizes_ok = std::all_of(sample.begin(), sample.end(), [](std::size_t extent) {
      return extent >= 1 && extent <= kMaxSampleExtent;
    });
    if (sample.empty() || sample.size() > 3 || !sizes_ok)
      throw DataError(path + ": sample_shape " + get("sample_shape") +
                      " in its metadata is not 1 to 3 sizes from 1 to " +
                      std::to_string(kMaxSampleExtent));
    checkpoint.progress.epoch = std::stoul(get("epoch"));
    checkpoint.progress.step = std::stoul(get("step"));
    checkpoint.progress.best_metric = std::stod(get("best_metric"));
    checkpoint.progress.best_epoch = std::stoul(get("best_epoch"));
    checkpoint.progress.epochs_without_improvement = std::stoul(get("epochs_without_improvement"));
    // Absent from checkpoints written before the divergence rule: NaN, set again by the next step.
    const auto initial = metadata.find("initial_loss");
    if (initial != metadata.end()) checkpoint.progress.initial_loss = std::stod(initial->second);
  } catch (const DataError&) {
    throw;
  } catch (const std::exception& error) {
    throw DataError(path + ": malformed checkpoint metadata: " + error.what());
  }
  return checkpoint;
}

namespace {
const Tensor<float>& find_tensor(const Checkpoint& checkpoint, const std::string& name,
                                 const Shape& shape) {
  for (const auto& [tensor_name, tensor] : checkpoint.file.tensors) {
    if (tensor_name != name) continue;
    if (shape_of(tensor) != shape) {
      throw DataError(checkpoint.path + ": tensor '" + name + "' has shape " +
                      to_string(shape_of(tensor)) + ", the model needs " + to_string(shape));
    }
    return tensor;
  }
  throw DataError(checkpoint.path + ": has no tensor '" + name +
                  "' (a checkpoint of a different model?)");
}
}  // namespace

bool has_weight_average(const Checkpoint& checkpoint) {
  return checkpoint.file.metadata.count("ema_updates") > 0;
}

void restore_model(const Checkpoint& checkpoint, Module<float>& model, Weights weights) {
  const std::string prefix =
      weights == Weights::average_if_kept && has_weight_average(checkpoint) ? "ema." : "model.";
  std::vector<std::pair<Tensor<float>*, const Tensor<float>*>> copies;
  for (const NamedParameter<float>& named : model.named_parameters())
    copies.emplace_back(&named.parameter->value, &find_tensor(checkpoint, prefix + named.name,
                                                              shape_of(named.parameter->value)));
  for (const NamedBuffer<float>& named : model.named_buffers())
    copies.emplace_back(named.tensor,
                        &find_tensor(checkpoint, prefix + named.name, shape_of(*named.tensor)));
  // Every RNG state is parsed before anything is copied, so a bad one leaves the model as it was.
  std::vector<std::pair<Rng*, Rng>> rngs;
  for (const auto& [name, rng] : model.named_rngs()) {
    const auto it = checkpoint.file.metadata.find("rng." + name);
    if (it == checkpoint.file.metadata.end())
      throw DataError(checkpoint.path + ": has no state for the RNG of layer " + name);
    Rng restored(0);
    try {
      restored.set_state(it->second);
    } catch (const std::invalid_argument&) {
      throw DataError(checkpoint.path + ": the RNG state of layer " + name + " is malformed");
    }
    rngs.emplace_back(rng, restored);
  }
  for (auto& [into, tensor] : copies) *into = *tensor;
  for (auto& [rng, restored] : rngs) *rng = restored;
}

void restore_optimizer(const Checkpoint& checkpoint, Optimizer<float>& optimizer) {
  OptimizerState<float> state = optimizer.state();  // names and shapes this optimizer expects
  for (auto& [name, buffer] : state.buffers)
    buffer = find_tensor(checkpoint, "optimizer." + name, shape_of(buffer));
  const auto steps = checkpoint.file.metadata.find("optimizer_steps");
  const auto rate = checkpoint.file.metadata.find("learning_rate");
  if (steps == checkpoint.file.metadata.end() || rate == checkpoint.file.metadata.end())
    throw DataError(checkpoint.path + ": has no optimizer state");
  try {
    state.steps = std::stoul(steps->second);
    state.learning_rate = std::stod(rate->second);
  } catch (const std::logic_error&) {  // std::stoul's invalid_argument and out_of_range
    throw DataError(checkpoint.path + ": malformed optimizer metadata (optimizer_steps '" +
                    steps->second + "', learning_rate '" + rate->second + "')");
  }
  optimizer.load_state(state);
}

void restore_weight_average(const Checkpoint& checkpoint, WeightEma<float>& average) {
  const auto updates = checkpoint.file.metadata.find("ema_updates");
  if (updates == checkpoint.file.metadata.end())
    throw DataError(checkpoint.path + ": has no weight average (the run kept none)");
  std::vector<std::pair<Tensor<float>*, const Tensor<float>*>> copies;
  for (const auto& [name, tensor] : average.named_averages())
    copies.emplace_back(tensor, &find_tensor(checkpoint, "ema." + name, shape_of(*tensor)));
  std::size_t count = 0;
  try {
    count = std::stoul(updates->second);
  } catch (const std::logic_error&) {
    throw DataError(checkpoint.path + ": malformed ema_updates '" + updates->second + "'");
  }
  for (auto& [into, tensor] : copies) *into = *tensor;
  average.set_updates(count);
}

}  // namespace gradlab
