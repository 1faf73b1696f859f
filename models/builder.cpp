#include "models/builder.h"

#include "framework/concat.h"
#include "framework/init.h"
#include "framework/layers/avgpool2d.h"
#include "framework/layers/batchnorm.h"
#include "framework/layers/conv2d.h"
#include "framework/layers/dropout.h"
#include "framework/layers/flatten.h"
#include "framework/layers/gelu.h"
#include "framework/layers/global_avgpool2d.h"
#include "framework/layers/leaky_relu.h"
#include "framework/layers/linear.h"
#include "framework/layers/maxpool2d.h"
#include "framework/layers/relu.h"
#include "framework/layers/sigmoid.h"
#include "framework/layers/tanh.h"
#include "framework/residual.h"

namespace gradlab {

const std::vector<std::string>& layer_types() {
  static const std::vector<std::string> types{
      "linear",    "conv2d",           "batchnorm1d", "batchnorm2d", "maxpool2d",
      "avgpool2d", "global_avgpool2d", "dropout",     "relu",        "leaky_relu",
      "gelu",      "sigmoid",          "tanh",        "flatten",     "residual",
      "concat"};
  return types;
}

nlohmann::json named_model_layers(ConfigObject& spec, std::size_t classes) {
  const std::string name = spec.string("name", std::nullopt, {"mlp", "lenet"});
  nlohmann::json layers = nlohmann::json::array();
  if (name == "mlp") {
    const nlohmann::json hidden =
        spec.has("hidden") ? spec.json("hidden") : nlohmann::json{256, 128};
    if (!hidden.is_array() || hidden.empty())
      throw ConfigError(spec.key_path("hidden") +
                        ": expected a non-empty list of layer sizes, got " + hidden.dump());
    layers.push_back({{"type", "flatten"}});
    for (std::size_t i = 0; i < hidden.size(); ++i) {
      if (!hidden[i].is_number_integer() || hidden[i].get<long long>() < 1)
        throw ConfigError(spec.key_path("hidden") + "[" + std::to_string(i) +
                          "]: expected an integer >= 1, got " + hidden[i].dump());
      layers.push_back({{"type", "linear"}, {"out_features", hidden[i]}});
      layers.push_back({{"type", "relu"}});
    }
    layers.push_back({{"type", "linear"}, {"out_features", classes}});
  } else {  // lenet: conv(16, 5×5, pad 2)-ReLU-pool 2-conv(32, 5×5, pad 2)-ReLU-pool
            // 2-flatten-128-ReLU-classes
    layers = nlohmann::json::parse(R"([
      {"type": "conv2d", "out_channels": 16, "kernel_size": 5, "padding": 2}, {"type": "relu"},
      {"type": "maxpool2d", "kernel_size": 2},
      {"type": "conv2d", "out_channels": 32, "kernel_size": 5, "padding": 2}, {"type": "relu"},
      {"type": "maxpool2d", "kernel_size": 2},
      {"type": "flatten"}, {"type": "linear", "out_features": 128}, {"type": "relu"}])");
    layers.push_back({{"type", "linear"}, {"out_features", classes}});
  }
  return layers;
}

namespace {

std::size_t size_key(ConfigObject& layer, const std::string& key, std::optional<long long> fallback,
                     long long min = 1) {
  return static_cast<std::size_t>(layer.integer(key, fallback, min, 1 << 20));
}

// Checks an optional explicit input size against the inferred one.
void check_given(ConfigObject& layer, const std::string& key, std::size_t inferred) {
  if (!layer.has(key)) return;
  const std::size_t given = size_key(layer, key, std::nullopt);
  if (given != inferred) {
    throw ConfigError(layer.key_path(key) + ": is " + std::to_string(given) +
                      " but the previous layer outputs " + std::to_string(inferred));
  }
}

template <class T>
std::unique_ptr<Module<T>> build_layer(ConfigObject& layer, const Shape& input, Rng& rng,
                                       std::uint64_t dropout_seed) {
  const std::string type = layer.string("type", std::nullopt, layer_types());
  auto init = [&] {
    const std::string name = layer.string(
        "init", "kaiming_uniform",
        {"kaiming_uniform", "kaiming_normal", "xavier_uniform", "xavier_normal", "pytorch"});
    return parse_init(name);
  };
  if (type == "linear") {
    if (input.size() != 2) {
      throw ConfigError(layer.path() +
                        ": linear needs [N, features] input, the previous layer outputs " +
                        to_string(input) + " (add a flatten layer)");
    }
    check_given(layer, "in_features", input[1]);
    const std::size_t out = size_key(layer, "out_features", std::nullopt);
    const bool bias = layer.boolean("bias", true);
    return std::make_unique<Linear<T>>(input[1], out, rng, init(), bias);
  }
  if (type == "conv2d") {
    if (input.size() != 4) {
      throw ConfigError(layer.path() +
                        ": conv2d needs [N, C, H, W] input, the previous layer outputs " +
                        to_string(input));
    }
    check_given(layer, "in_channels", input[1]);
    const std::size_t out = size_key(layer, "out_channels", std::nullopt);
    const std::size_t kernel = size_key(layer, "kernel_size", std::nullopt);
    const std::size_t stride = size_key(layer, "stride", 1);
    const std::size_t padding = size_key(layer, "padding", 0, 0);
    const bool bias = layer.boolean("bias", true);
    return std::make_unique<Conv2d<T>>(input[1], out, kernel, rng, stride, padding, init(), bias);
  }
  if (type == "batchnorm1d" || type == "batchnorm2d") {
    const bool two_d = type == "batchnorm2d";
    if (two_d ? input.size() != 4 : input.size() != 2 && input.size() != 3) {
      throw ConfigError(layer.path() + ": " + type + " needs " +
                        (two_d ? "[N, C, H, W]" : "[N, C] or [N, C, L]") +
                        " input, the previous layer outputs " + to_string(input));
    }
    check_given(layer, "num_features", input[1]);
    const double eps = layer.number("eps", 1e-5, greater_than(0));
    const double momentum = layer.number("momentum", 0.1, {0.0, 1.0});
    const bool affine = layer.boolean("affine", true);
    return std::make_unique<BatchNorm<T>>(two_d ? BatchNormKind::d2 : BatchNormKind::d1, input[1],
                                          eps, momentum, affine);
  }
  if (type == "maxpool2d") {
    const std::size_t kernel = size_key(layer, "kernel_size", std::nullopt);
    return std::make_unique<MaxPool2d<T>>(
        kernel, size_key(layer, "stride", static_cast<long long>(kernel)));
  }
  if (type == "avgpool2d") {
    const std::size_t kernel = size_key(layer, "kernel_size", std::nullopt);
    const std::size_t stride = size_key(layer, "stride", static_cast<long long>(kernel));
    const std::size_t padding = size_key(layer, "padding", 0, 0);
    if (2 * padding > kernel)
      throw ConfigError(layer.key_path("padding") + ": is " + std::to_string(padding) +
                        ", more than half the kernel_size " + std::to_string(kernel));
    return std::make_unique<AvgPool2d<T>>(kernel, stride, padding);
  }
  if (type == "global_avgpool2d") return std::make_unique<GlobalAvgPool2d<T>>();
  if (type == "dropout")
    return std::make_unique<Dropout<T>>(layer.number("p", 0.5, {0.0, 1.0}), dropout_seed);
  if (type == "relu") return std::make_unique<ReLU<T>>();
  if (type == "leaky_relu") {
    const double slope = layer.number("negative_slope", 0.01, at_least(0.0));
    return std::make_unique<LeakyReLU<T>>(slope);
  }
  if (type == "gelu") {
    const bool tanh = layer.string("approximate", "none", {"none", "tanh"}) == "tanh";
    return std::make_unique<GELU<T>>(tanh ? GELU<T>::Approximation::tanh
                                          : GELU<T>::Approximation::none);
  }
  if (type == "sigmoid") return std::make_unique<Sigmoid<T>>();
  if (type == "tanh") return std::make_unique<Tanh<T>>();
  return std::make_unique<Flatten<T>>();
}

// Builds the layers of a JSON list at `list_path` ("model.layers", "model.layers[3].body") into a
// Sequential, advancing `shape` through them. `ordinal` counts the layers built so far, in the
// order they appear, for the seeds of Dropout layers (layer k gets seed + 1000003·(k + 1)).
template <class T>
std::unique_ptr<Sequential<T>> build_sequence(const nlohmann::json& list,
                                              const std::string& list_path, Shape& shape, Rng& rng,
                                              std::uint64_t seed, std::size_t& ordinal);

// A residual block ({"type": "residual", "body": [...], "shortcut": [...]}) or a concatenation
// ({"type": "concat", "branches": [[...], [...]]}); null for any other type.
template <class T>
std::unique_ptr<Module<T>> build_block(ConfigObject& layer, const nlohmann::json& json,
                                       const Shape& input, Rng& rng, std::uint64_t seed,
                                       std::size_t& ordinal) {
  if (!json.is_object() || !json.contains("type") || !json["type"].is_string()) return nullptr;
  const std::string type = json["type"].get<std::string>();
  if (type != "residual" && type != "concat") return nullptr;
  layer.string("type", std::nullopt, layer_types());
  auto sequence = [&](const nlohmann::json& list, const std::string& path) {
    if (!list.is_array() || list.empty())
      throw ConfigError(path + ": expected a non-empty list of layers, got " + list.dump());
    Shape shape = input;
    return build_sequence<T>(list, path, shape, rng, seed, ordinal);
  };
  if (type == "residual") {
    auto body = sequence(layer.json("body"), layer.key_path("body"));
    std::unique_ptr<Sequential<T>> shortcut;
    if (layer.has("shortcut"))
      shortcut = sequence(layer.json("shortcut"), layer.key_path("shortcut"));
    return std::make_unique<Residual<T>>(std::move(body), std::move(shortcut));
  }
  const nlohmann::json& branches = layer.json("branches");
  if (!branches.is_array() || branches.size() < 2)
    throw ConfigError(layer.key_path("branches") +
                      ": expected a list of at least two lists of layers, got " + branches.dump());
  std::vector<std::unique_ptr<Sequential<T>>> built;
  for (std::size_t k = 0; k < branches.size(); ++k)
    built.push_back(
        sequence(branches[k], layer.key_path("branches") + "[" + std::to_string(k) + "]"));
  return std::make_unique<Concat<T>>(std::move(built));
}

template <class T>
std::unique_ptr<Sequential<T>> build_sequence(const nlohmann::json& list,
                                              const std::string& list_path, Shape& shape, Rng& rng,
                                              std::uint64_t seed, std::size_t& ordinal) {
  auto sequence = std::make_unique<Sequential<T>>();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = list_path + "[" + std::to_string(i) + "]";
    ConfigObject layer(list[i], path);
    std::unique_ptr<Module<T>> module;
    try {
      module = build_block<T>(layer, list[i], shape, rng, seed, ordinal);
      if (!module) module = build_layer<T>(layer, shape, rng, seed + 1000003 * (ordinal++ + 1));
    } catch (const std::invalid_argument& error) {  // a layer constructor's own check
      throw ConfigError(path + ": " + error.what());
    }
    layer.finish();
    try {
      shape = module->output_shape(shape);
    } catch (const ShapeError& error) {
      throw ConfigError(path + ": the shapes do not chain: " + error.what());
    }
    sequence->add(std::move(module));
  }
  return sequence;
}

}  // namespace

template <class T>
std::unique_ptr<Sequential<T>> build_model(const nlohmann::json& spec_json,
                                           const Shape& sample_shape, std::size_t classes,
                                           std::uint64_t seed) {
  ConfigObject spec(spec_json, "model");
  nlohmann::json named_layers;
  const nlohmann::json* layers = nullptr;
  if (spec.has("name")) {
    if (spec.has("layers"))
      throw ConfigError("model: give either \"name\" or \"layers\", not both");
    named_layers = named_model_layers(spec, classes);
    layers = &named_layers;
  } else {
    layers = &spec.json("layers");
    if (!layers->is_array() || layers->empty())
      throw ConfigError("model.layers: expected a non-empty list of layers, got " + layers->dump());
  }
  spec.finish();

  Rng rng(seed);
  Shape shape{1};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  const std::string path = spec.has("name")
                               ? "model(" + spec_json.at("name").get<std::string>() + ").layers"
                               : "model.layers";
  std::size_t ordinal = 0;
  auto model = build_sequence<T>(*layers, path, shape, rng, seed, ordinal);
  if (shape.size() != 2 || shape[1] != classes) {
    throw ConfigError("model: the last layer outputs " + to_string(shape) +
                      " per batch, but the data set has " + std::to_string(classes) +
                      " classes (expected [N, " + std::to_string(classes) + "])");
  }
  return model;
}

template std::unique_ptr<Sequential<float>> build_model<float>(const nlohmann::json&, const Shape&,
                                                               std::size_t, std::uint64_t);
template std::unique_ptr<Sequential<double>> build_model<double>(const nlohmann::json&,
                                                                 const Shape&, std::size_t,
                                                                 std::uint64_t);

}  // namespace gradlab
