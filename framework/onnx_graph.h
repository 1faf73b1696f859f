// What a layer writes its ONNX nodes with (opset 13). Each layer type's emitter is registered with
// the type (framework/layers/registry.h) and reads the op's description (framework/op_spec.h);
// models/onnx_export.cpp implements the graph on ONNX's own classes, so that the framework does
// not depend on libonnx.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "framework/op_spec.h"
#include "framework/tensor.h"

namespace gradlab {

// One attribute of a node: an integer, a list of integers or a float.
struct OnnxAttribute {
  enum class Type { integer, integers, real } type;
  std::string name;
  std::vector<std::int64_t> ints;
  float real_value = 0;

  static OnnxAttribute integer(std::string name, std::int64_t value) {
    return {Type::integer, std::move(name), {value}, 0};
  }
  static OnnxAttribute integers(std::string name, std::vector<std::int64_t> values) {
    return {Type::integers, std::move(name), std::move(values), 0};
  }
  static OnnxAttribute real(std::string name, float value) {
    return {Type::real, std::move(name), {}, value};
  }
};

// A square window's attributes (Conv, MaxPool, AveragePool): K × K, stride S, P on every side
// (ONNX's pads list begins and ends per axis; no pads attribute means 0).
inline std::vector<OnnxAttribute> onnx_window(std::size_t kernel, std::size_t stride,
                                              std::size_t padding) {
  const auto K = static_cast<std::int64_t>(kernel), S = static_cast<std::int64_t>(stride),
             P = static_cast<std::int64_t>(padding);
  std::vector<OnnxAttribute> window{OnnxAttribute::integers("kernel_shape", {K, K}),
                                    OnnxAttribute::integers("strides", {S, S})};
  if (P > 0) window.push_back(OnnxAttribute::integers("pads", {P, P, P, P}));
  return window;
}

class OnnxGraph {
 public:
  virtual ~OnnxGraph() = default;
  // A float initializer holding `values`; returns its name.
  virtual std::string constant(const std::string& name, const Tensor<float>& values) = 0;
  virtual std::string scalar(const std::string& name, float value) = 0;
  // A node of operator `op` (ONNX's name: "Gemm", "Relu"); its one output is named after the
  // node, and returned.
  virtual std::string node(const std::string& op, const std::string& name,
                           const std::vector<std::string>& inputs,
                           const std::vector<OnnxAttribute>& attributes = {}) = 0;
  // The nodes of a child module (a block's branch) applied to x, named under `path`; returns its
  // output.
  virtual std::string module(Module<float>& child, const std::string& x,
                             const std::string& path) = 0;
  // The node name of a module path: "model.layers[3].body[1]" → "layers.3.body.1".
  virtual std::string name_of(const std::string& path) const = 0;
};

// An op's nodes for input x; returns the name of its output. `path` is the module's
// ("model.layers[3]").
using OnnxEmitter = std::function<std::string(const OpSpec<float>& op, OnnxGraph& graph,
                                              const std::string& x, const std::string& path)>;

}  // namespace gradlab
