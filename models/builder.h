// Models from their JSON description, for inputs of one sample's shape C × H × W:
//   {"name": "mlp", "hidden": [256, 128]}             Flatten, then Linear+ReLU per hidden size
//   {"name": "lenet"}                                  the LeNet-style CNN of the benchmarks
//   {"layers": [{"type": "conv2d", "out_channels": 16, "kernel_size": 5, "padding": 2}, ...]}
// Either form takes "init": the initialiser (framework/init.h) of every layer with weights that
// does not name its own (kDefaultInit when absent: PyTorch's, chosen by measurement,
// docs/decisions.md "Time to accuracy").
// Input sizes (in_features, in_channels) are inferred from the shapes flowing through; when given
// they are checked. Each type and its keys are registered by the layer's own file
// (framework/layers/registry.h; layer_type_names() lists them):
//   linear     out_features, [in_features], bias (true), init (the model's)
//   conv2d     out_channels, kernel_size, stride (1), padding (0), [in_channels], bias, init
//   batchnorm1d, batchnorm2d, maxpool2d, avgpool2d, global_avgpool2d, dropout, relu, leaky_relu,
//   gelu, sigmoid, tanh, flatten: framework/layers/<name>.cpp
//   residual   body (a list of layers), [shortcut] (a list; absent: the identity)   y = f(x) + g(x)
//   concat     branches (a list of at least two lists of layers), joined along the channels
// Blocks nest; their layers' errors name their path ("model.layers[3].body[1].kernel_size").
// An unknown type is an error naming its path and the closest registered type.
#pragma once

#include <memory>

#include "framework/config_reader.h"
#include "framework/init.h"
#include "framework/sequential.h"

namespace gradlab {

// The initialiser of layers with weights when neither the layer nor the model names one. (The C++
// layer constructors keep He-uniform as their own default: a library user passes one.)
inline constexpr Init kDefaultInit = Init::pytorch;

// The layer list a named model stands for (so named models go through the same builder).
nlohmann::json named_model_layers(ConfigObject& spec, std::size_t classes);

// Weights are drawn from Rng(seed) in layer order; Dropout layer i gets its own seed from seed.
// The last layer must output `classes` values per sample.
template <class T>
std::unique_ptr<Sequential<T>> build_model(const nlohmann::json& spec, const Shape& sample_shape,
                                           std::size_t classes, std::uint64_t seed);

}  // namespace gradlab
