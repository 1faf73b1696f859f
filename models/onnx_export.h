// A trained model as a standard ONNX graph (opset 13), built with ONNX's own C++ classes
// (libonnx-dev: ONNX 1.12's protobuf messages, checker and shape inference), not an encoder of
// ours. Each layer's nodes come from the emitter its type registers (framework/layers/registry.h,
// framework/onnx_graph.h), given the module's description (framework/op_spec.h); the shipped ones:
//   Linear → Gemm (W is D_in × D_out: transB = 0)      Conv2d → Conv (pads, strides)
//   ReLU, Sigmoid, Tanh → Relu, Sigmoid, Tanh           LeakyReLU → LeakyRelu(alpha)
//   GELU → x · ½ (1 + erf(x/√2)), or its tanh form      MaxPool2d, AvgPool2d → MaxPool, AveragePool
//   GlobalAvgPool2d → GlobalAveragePool                 BatchNorm1d/2d → BatchNormalization
//   Flatten → Flatten(axis 1)                           Dropout → nothing (inference)
//   Residual → body and shortcut, then Add              Concat → branches, then Concat(axis 1)
// The graph takes pixels scaled to [0, 1] ("pixels", N × C × H × W, N fixed or symbolic) and
// applies the data set's normalisation itself, (x − mean_c) / std_c, as Sub and Div nodes; a
// table's model takes "features" (N × F, one-hot encoded) and standardises each, (x − mean_f) /
// std_f. It returns "logits", N × classes. The model's doc string and metadata carry gradlab's
// version, the config and the test accuracy.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "framework/sequential.h"

namespace gradlab {

// A model that cannot be exported: the message names the layer by its path.
class ExportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OnnxExportOptions {
  std::optional<std::size_t> batch;         // a fixed batch size; none: a symbolic "N"
  std::vector<double> mean{0.0}, std{1.0};  // one per channel, or one for all
  std::string doc;                          // the graph's doc string
  std::map<std::string, std::string> metadata;
};

// The model (eval mode: BatchNorm's running statistics, no Dropout) for inputs of one sample's
// shape C × H × W or F, as a serialised ONNX ModelProto that ONNX's checker accepted and whose
// inferred output shape is [N, classes]. Throws ExportError naming a layer it cannot export.
std::string export_onnx(Sequential<float>& model, const Shape& sample_shape, std::size_t classes,
                        const OnnxExportOptions& options);

}  // namespace gradlab
