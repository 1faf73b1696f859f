#include "models/onnx_export.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <cstring>

#include "framework/concat.h"
#include "framework/layers/activation.h"
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

namespace {

constexpr int kOpset = 13;

// Builds the graph node by node; each emit_* returns the name of the tensor it produced.
class GraphBuilder {
 public:
  explicit GraphBuilder(onnx::GraphProto& graph) : graph_(graph) {}

  // A float initializer of this shape and values.
  std::string constant(const std::string& name, const std::vector<std::int64_t>& dims,
                       const float* values, std::size_t count) {
    onnx::TensorProto* tensor = graph_.add_initializer();
    tensor->set_name(name);
    tensor->set_data_type(onnx::TensorProto_DataType_FLOAT);
    for (std::int64_t d : dims) tensor->add_dims(d);
    // raw_data is little-endian, as x86-64 stores floats.
    tensor->set_raw_data(std::string(reinterpret_cast<const char*>(values), count * sizeof(float)));
    return name;
  }
  std::string constant(const std::string& name, const Tensor<float>& values) {
    std::vector<std::int64_t> dims;
    for (std::size_t d : shape_of(values)) dims.push_back(static_cast<std::int64_t>(d));
    return constant(name, dims, values.data(), values.size());
  }
  std::string scalar(const std::string& name, float value) { return constant(name, {}, &value, 1); }

  // A node with its inputs; its output is named after the node.
  onnx::NodeProto& node(const std::string& op, const std::string& name,
                        const std::vector<std::string>& inputs) {
    onnx::NodeProto* node = graph_.add_node();
    node->set_op_type(op);
    node->set_name(name);
    for (const std::string& input : inputs) node->add_input(input);
    node->add_output(name);
    return *node;
  }
  static void ints(onnx::NodeProto& node, const std::string& name,
                   const std::vector<std::int64_t>& values) {
    onnx::AttributeProto* attribute = node.add_attribute();
    attribute->set_name(name);
    attribute->set_type(onnx::AttributeProto_AttributeType_INTS);
    for (std::int64_t v : values) attribute->add_ints(v);
  }
  static void integer(onnx::NodeProto& node, const std::string& name, std::int64_t value) {
    onnx::AttributeProto* attribute = node.add_attribute();
    attribute->set_name(name);
    attribute->set_type(onnx::AttributeProto_AttributeType_INT);
    attribute->set_i(value);
  }
  static void real(onnx::NodeProto& node, const std::string& name, float value) {
    onnx::AttributeProto* attribute = node.add_attribute();
    attribute->set_name(name);
    attribute->set_type(onnx::AttributeProto_AttributeType_FLOAT);
    attribute->set_f(value);
  }

  // A square window's attributes (Conv, MaxPool, AveragePool): K × K, stride S, P on every side
  // (ONNX's pads list begins and ends per axis; no pads attribute means 0).
  void window(onnx::NodeProto& n, std::size_t kernel, std::size_t stride, std::size_t padding) {
    const auto K = static_cast<std::int64_t>(kernel), S = static_cast<std::int64_t>(stride),
               P = static_cast<std::int64_t>(padding);
    ints(n, "kernel_shape", {K, K});
    ints(n, "strides", {S, S});
    if (P > 0) ints(n, "pads", {P, P, P, P});
  }

  // Every module of a Sequential in turn.
  std::string emit_sequence(Sequential<float>& sequence, std::string x, const std::string& path) {
    for (std::size_t i = 0; i < sequence.size(); ++i)
      x = emit(sequence[i], x, path + "[" + std::to_string(i) + "]");
    return x;
  }

  std::string emit(Module<float>& module, const std::string& x, const std::string& path) {
    const std::string name = node_name(path);
    if (auto* linear = dynamic_cast<Linear<float>*>(&module)) {
      std::vector<std::string> inputs{x, constant(name + ".weight", linear->weight().value)};
      if (linear->has_bias()) inputs.push_back(constant(name + ".bias", linear->bias().value));
      return node("Gemm", name, inputs).output(0);
    }
    if (auto* conv = dynamic_cast<Conv2d<float>*>(&module)) {
      std::vector<std::string> inputs{x, constant(name + ".weight", conv->weight().value)};
      if (conv->has_bias()) inputs.push_back(constant(name + ".bias", conv->bias().value));
      onnx::NodeProto& n = node("Conv", name, inputs);
      window(n, conv->kernel_size(), conv->stride(), conv->padding());
      return n.output(0);
    }
    if (dynamic_cast<ReLU<float>*>(&module)) return node("Relu", name, {x}).output(0);
    if (dynamic_cast<Sigmoid<float>*>(&module)) return node("Sigmoid", name, {x}).output(0);
    if (dynamic_cast<Tanh<float>*>(&module)) return node("Tanh", name, {x}).output(0);
    if (auto* leaky = dynamic_cast<LeakyReLU<float>*>(&module)) {
      onnx::NodeProto& n = node("LeakyRelu", name, {x});
      real(n, "alpha", static_cast<float>(leaky->negative_slope()));
      return n.output(0);
    }
    if (auto* gelu = dynamic_cast<GELU<float>*>(&module)) return emit_gelu(*gelu, x, name);
    if (auto* pool = dynamic_cast<MaxPool2d<float>*>(&module)) {
      onnx::NodeProto& n = node("MaxPool", name, {x});
      window(n, pool->kernel_size(), pool->stride(), 0);
      return n.output(0);
    }
    if (auto* pool = dynamic_cast<AvgPool2d<float>*>(&module)) {
      onnx::NodeProto& n = node("AveragePool", name, {x});
      window(n, pool->kernel_size(), pool->stride(), pool->padding());
      integer(n, "count_include_pad", 1);  // dividing by K² everywhere, as AvgPool2d does
      return n.output(0);
    }
    if (dynamic_cast<GlobalAvgPool2d<float>*>(&module))
      return node("GlobalAveragePool", name, {x}).output(0);
    if (auto* norm = dynamic_cast<BatchNorm<float>*>(&module))
      return emit_batch_norm(*norm, x, name);
    if (dynamic_cast<Flatten<float>*>(&module)) {
      onnx::NodeProto& n = node("Flatten", name, {x});
      integer(n, "axis", 1);
      return n.output(0);
    }
    if (dynamic_cast<Dropout<float>*>(&module)) return x;  // the identity at inference
    if (auto* block = dynamic_cast<Residual<float>*>(&module)) {
      const std::string body = emit_sequence(block->body(), x, path + ".body");
      const std::string shortcut =
          block->shortcut() ? emit_sequence(*block->shortcut(), x, path + ".shortcut") : x;
      return node("Add", name + ".add", {body, shortcut}).output(0);
    }
    if (auto* block = dynamic_cast<Concat<float>*>(&module)) {
      std::vector<std::string> branches;
      for (std::size_t b = 0; b < block->branch_count(); ++b)
        branches.push_back(
            emit_sequence(block->branch(b), x, path + ".branches[" + std::to_string(b) + "]"));
      onnx::NodeProto& n = node("Concat", name + ".concat", branches);
      integer(n, "axis", 1);
      return n.output(0);
    }
    if (auto* sequence = dynamic_cast<Sequential<float>*>(&module))
      return emit_sequence(*sequence, x, path);
    throw ExportError(path + ": " + module.name() + " cannot be exported to ONNX");
  }

 private:
  // "model.layers[3].body[1]" → "layers.3.body.1": node and initializer names.
  static std::string node_name(const std::string& path) {
    std::string name;
    for (char c : path.substr(path.find('.') + 1)) {
      if (c == '[')
        name += '.';
      else if (c != ']')
        name += c;
    }
    return name;
  }

  // Exact: y = x · ½ (1 + erf(x / √2)). tanh: y = ½ x (1 + tanh(√(2/π) (x + 0.044715 x³))).
  std::string emit_gelu(GELU<float>& gelu, const std::string& x, const std::string& name) {
    const std::string half = scalar(name + ".half", 0.5f), one = scalar(name + ".one", 1.0f);
    std::string inner;
    if (gelu.approximation() == GELU<float>::Approximation::none) {
      const std::string scaled =
          node("Div", name + ".scaled", {x, scalar(name + ".sqrt2", std::sqrt(2.0f))}).output(0);
      inner = node("Erf", name + ".erf", {scaled}).output(0);
    } else {
      const std::string cube = node("Mul", name + ".cube",
                                    {
                                        node("Mul", name + ".square", {x, x}).output(0),
                                        x,
                                    })
                                   .output(0);
      const std::string cubic =
          node("Mul", name + ".cubic", {cube, scalar(name + ".c", 0.044715f)}).output(0);
      const std::string sum = node("Add", name + ".sum", {x, cubic}).output(0);
      const float k = static_cast<float>(std::sqrt(2.0 / std::acos(-1.0)));
      const std::string u = node("Mul", name + ".u", {sum, scalar(name + ".k", k)}).output(0);
      inner = node("Tanh", name + ".tanh", {u}).output(0);
    }
    const std::string plus_one = node("Add", name + ".plus_one", {inner, one}).output(0);
    const std::string times_x = node("Mul", name + ".times_x", {plus_one, x}).output(0);
    return node("Mul", name, {times_x, half}).output(0);
  }

  // Evaluation: (x − running_mean) / √(running_var + ε) · γ + β.
  std::string emit_batch_norm(BatchNorm<float>& norm, const std::string& x,
                              const std::string& name) {
    const std::size_t C = norm.num_features();
    Tensor<float> gamma = Tensor<float>::from_shape({C}), beta = Tensor<float>::from_shape({C});
    gamma.fill(1.0f);
    beta.fill(0.0f);
    if (norm.affine()) {
      gamma = norm.weight().value;
      beta = norm.bias().value;
    }
    onnx::NodeProto& n = node("BatchNormalization", name,
                              {x, constant(name + ".weight", gamma), constant(name + ".bias", beta),
                               constant(name + ".running_mean", norm.running_mean()),
                               constant(name + ".running_var", norm.running_var())});
    real(n, "epsilon", static_cast<float>(norm.eps()));
    return n.output(0);
  }

  onnx::GraphProto& graph_;
};

void set_tensor_type(onnx::ValueInfoProto& value, const std::string& name,
                     const std::vector<std::int64_t>& dims, bool symbolic_batch) {
  value.set_name(name);
  auto* type = value.mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto_DataType_FLOAT);
  auto* shape = type->mutable_shape();
  for (std::size_t i = 0; i < dims.size(); ++i) {
    auto* dim = shape->add_dim();
    if (i == 0 && symbolic_batch)
      dim->set_dim_param("N");
    else
      dim->set_dim_value(dims[i]);
  }
}

}  // namespace

std::string export_onnx(Sequential<float>& model, const Shape& sample_shape, std::size_t classes,
                        const OnnxExportOptions& options) {
  if (sample_shape.size() != 3)
    throw ExportError("export: expected one sample's shape C x H x W, got " +
                      to_string(sample_shape));
  const std::size_t C = sample_shape[0];
  if (!(options.mean.size() == options.std.size() &&
        (options.mean.size() == 1 || options.mean.size() == C)))
    throw ExportError("export: expected one mean and std, or one per channel (" +
                      std::to_string(C) + ")");
  model.eval();
  onnx::ModelProto proto;
  proto.set_ir_version(onnx::IR_VERSION);
  proto.set_producer_name("gradlab");
  proto.set_doc_string(options.doc);
  auto* opset = proto.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  for (const auto& [key, value] : options.metadata) {
    auto* entry = proto.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value);
  }
  onnx::GraphProto& graph = *proto.mutable_graph();
  graph.set_name("gradlab");
  graph.set_doc_string(options.doc);
  const bool symbolic = !options.batch;
  const auto N = static_cast<std::int64_t>(options.batch.value_or(1));
  set_tensor_type(*graph.add_input(), "pixels",
                  {N, static_cast<std::int64_t>(C), static_cast<std::int64_t>(sample_shape[1]),
                   static_cast<std::int64_t>(sample_shape[2])},
                  symbolic);
  graph.mutable_input(0)->set_doc_string("pixels / 255, N x C x H x W");

  GraphBuilder builder(graph);
  // (x − mean_c) / std_c, per channel: [C, 1, 1] broadcast over N × C × H × W.
  std::vector<float> mean(C), std(C);
  for (std::size_t c = 0; c < C; ++c) {
    mean[c] = static_cast<float>(options.mean.size() == 1 ? options.mean[0] : options.mean[c]);
    std[c] = static_cast<float>(options.std.size() == 1 ? options.std[0] : options.std[c]);
  }
  const std::vector<std::int64_t> per_channel{static_cast<std::int64_t>(C), 1, 1};
  const std::string centred =
      builder
          .node("Sub", "normalize.centred",
                {"pixels", builder.constant("normalize.mean", per_channel, mean.data(), C)})
          .output(0);
  const std::string normalized =
      builder
          .node("Div", "normalize",
                {centred, builder.constant("normalize.std", per_channel, std.data(), C)})
          .output(0);
  const std::string logits = builder.emit_sequence(model, normalized, "model.layers");
  // The graph's output under its own name.
  builder.node("Identity", "logits", {logits});
  set_tensor_type(*graph.add_output(), "logits", {N, static_cast<std::int64_t>(classes)}, symbolic);
  model.train();

  // ONNX's own checks: the checker (well-formed graph, known operators at opset 13, types), then
  // shape inference in strict mode, which fails where an inferred shape contradicts the output's
  // declared [N, classes].
  try {
    onnx::checker::check_model(proto);
    onnx::shape_inference::InferShapes(proto, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& error) {
    throw ExportError(std::string("export: ONNX's checker rejected the graph: ") + error.what());
  }
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) throw ExportError("export: could not serialise the model");
  return bytes;
}

}  // namespace gradlab
