// The layer registry: every type a model config may name ("linear", "conv2d", "residual"), its
// keys and its factory, registered by the layer's own file — Caffe's LayerRegistry, without the
// macro. A layer's .cpp holds, beside the layer's template instantiations:
//
//   const LayerRegistration linear("linear", "out_features, [in_features], bias (true), init",
//       [](auto& layer) {  // a LayerConfig<float> or LayerConfig<double>
//         layer.expect_input({2}, "[N, features]", " (add a flatten layer)");
//         ...
//         return make_layer<Linear>(layer, in_features, out_features, layer.rng, ...);
//       });
//
// with, optionally, its ONNX emitter (framework/onnx_graph.h) as a fourth argument. The layer's
// describe() (framework/op_spec.h) gives the same name as its kind: that is how the exporter finds
// its emitter here (the gradient checker and the fusion planner read the rest of the description).
//
// models/builder.cpp looks each config entry's type up here; an unknown type is a ConfigError
// naming its key path and the closest registered name. A program's own layer registers the same
// way, from any file linked into it (tests/framework/layers/registry_test.cpp: Swish).
//
// Registration runs during static initialisation, so the library is linked whole (CMake's
// WHOLE_ARCHIVE, CMakeLists.txt): from a plain static archive the linker would drop the object
// files nothing else refers to, and their layers with them.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/config_reader.h"
#include "framework/init.h"
#include "framework/module.h"
#include "framework/onnx_graph.h"

namespace gradlab {

template <class T>
class Sequential;

// What a factory reads to build one layer: its config entry, the shape flowing into it, and the
// model's random streams.
template <class T>
struct LayerConfig {
  using value_type = T;
  ConfigObject& keys;  // the entry; keys nobody reads are refused after the factory returns
  const Shape& input;  // the previous layer's output for a batch of one: [1, C, H, W], [1, D]
  Rng& rng;            // weights are drawn from it in layer order
  std::uint64_t seed;  // this layer's own stream (Dropout's masks); 0 for blocks
  // Blocks: the layers of the JSON list at `path` (a Sequential), built for this layer's input.
  std::function<std::unique_ptr<Sequential<T>>(const nlohmann::json& list, const std::string& path)>
      build_sequence;
  Init default_init = Init::kaiming_uniform;  // the model's "init", for layers without their own

  // A size key (an integer >= min), or `fallback` when absent.
  std::size_t size(const std::string& key, std::optional<long long> fallback = std::nullopt,
                   long long min = 1) {
    return static_cast<std::size_t>(keys.integer(key, fallback, min, 1 << 20));
  }
  // An optional explicit input size (in_features, in_channels, num_features) must match `inferred`.
  void check_given(const std::string& key, std::size_t inferred) {
    if (!keys.has(key)) return;
    const std::size_t given = size(key);
    if (given != inferred)
      throw ConfigError(keys.key_path(key) + ": is " + std::to_string(given) +
                        " but the previous layer outputs " + std::to_string(inferred));
  }
  // The input's rank must be one of `ranks`; `expected` names the shape ("[N, C, H, W]").
  void expect_input(std::initializer_list<std::size_t> ranks, const std::string& expected,
                    const std::string& advice = "") const {
    for (std::size_t rank : ranks)
      if (input.size() == rank) return;
    throw ConfigError(keys.path() + ": " + keys.json("type").get<std::string>() + " needs " +
                      expected + " input, the previous layer outputs " + to_string(input) + advice);
  }
  // The "init" key of layers with weights (framework/init.h); the model's "init" by default.
  Init init() { return parse_init(keys.string("init", to_string(default_init), init_names())); }
};

// make_layer<Linear>(layer, args...): a Linear<T> for the LayerConfig<T>'s T.
template <template <class> class L, class T, class... Args>
std::unique_ptr<Module<T>> make_layer(const LayerConfig<T>&, Args&&... args) {
  return std::make_unique<L<T>>(std::forward<Args>(args)...);
}

struct LayerType {
  std::string name;    // as configs spell it
  std::string keys;    // its keys, for documentation: "kernel_size, stride (= kernel_size)"
  bool block = false;  // holds lists of layers (residual, concat); leaves count for Dropout seeds
  std::function<std::unique_ptr<Module<float>>(LayerConfig<float>&)> make_float;
  std::function<std::unique_ptr<Module<double>>(LayerConfig<double>&)> make_double;
  OnnxEmitter onnx;  // its ONNX nodes (framework/onnx_graph.h); empty: not exportable

  template <class T>
  std::unique_ptr<Module<T>> make(LayerConfig<T>& config) const;
};

// Adds a type; throws std::logic_error if its name is taken (two layers claiming one name).
void register_layer_type(LayerType type);
// The type of a name, or null.
const LayerType* find_layer_type(const std::string& name);
// Every registered name, sorted.
std::vector<std::string> layer_type_names();

// What a layer's file defines (at namespace scope) to register its type. `factory` is a generic
// callable taking a LayerConfig<T>& and returning a std::unique_ptr to the layer, for float and
// double alike.
struct LayerRegistration {
  enum class Kind { layer, block };
  template <class Factory>
  LayerRegistration(std::string name, std::string keys, Factory factory, OnnxEmitter onnx = {},
                    Kind kind = Kind::layer) {
    register_layer_type(
        {std::move(name), std::move(keys), kind == Kind::block,
         [factory](LayerConfig<float>& c) -> std::unique_ptr<Module<float>> { return factory(c); },
         [factory](LayerConfig<double>& c) -> std::unique_ptr<Module<double>> {
           return factory(c);
         },
         std::move(onnx)});
  }
};

}  // namespace gradlab
