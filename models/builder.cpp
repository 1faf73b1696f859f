#include "models/builder.h"

#include "framework/layers/registry.h"

namespace gradlab {

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

// Builds the layers of a JSON list at `list_path` ("model.layers", "model.layers[3].body") into a
// Sequential, advancing `shape` through them. Each entry's type is looked up in the layer registry
// (framework/layers/registry.h), whose factory reads the entry's keys. `ordinal` counts the layers
// built so far that are not blocks, in the order they appear, for the seeds of Dropout layers
// (layer k gets seed + 1000003·(k + 1)).
template <class T>
std::unique_ptr<Sequential<T>> build_sequence(const nlohmann::json& list,
                                              const std::string& list_path, Shape& shape, Rng& rng,
                                              std::uint64_t seed, std::size_t& ordinal,
                                              Init default_init) {
  auto sequence = std::make_unique<Sequential<T>>();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = list_path + "[" + std::to_string(i) + "]";
    ConfigObject keys(list[i], path);
    const LayerType& type = *find_layer_type(keys.string("type", std::nullopt, layer_type_names()));
    const Shape input = shape;
    LayerConfig<T> layer{keys,
                         input,
                         rng,
                         type.block ? 0 : seed + 1000003 * (ordinal++ + 1),
                         [&](const nlohmann::json& inner, const std::string& inner_path) {
                           if (!inner.is_array() || inner.empty())
                             throw ConfigError(inner_path +
                                               ": expected a non-empty list of layers, got " +
                                               inner.dump());
                           Shape branch_shape = input;
                           return build_sequence<T>(inner, inner_path, branch_shape, rng, seed,
                                                    ordinal, default_init);
                         },
                         default_init};
    std::unique_ptr<Module<T>> module;
    try {
      module = type.make(layer);
    } catch (const std::invalid_argument& error) {  // a layer constructor's own check
      throw ConfigError(path + ": " + error.what());
    }
    keys.finish();
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
  // The initialiser of every layer with weights that names none itself.
  const Init default_init = parse_init(spec.string("init", to_string(kDefaultInit), init_names()));
  spec.finish();

  Rng rng(seed);
  Shape shape{1};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  const std::string path = spec.has("name")
                               ? "model(" + spec_json.at("name").get<std::string>() + ").layers"
                               : "model.layers";
  std::size_t ordinal = 0;
  auto model = build_sequence<T>(*layers, path, shape, rng, seed, ordinal, default_init);
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
