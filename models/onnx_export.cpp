#include "models/onnx_export.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <cstring>

#include "framework/layers/registry.h"
#include "framework/onnx_graph.h"

namespace gradlab {

namespace {

constexpr int kOpset = 13;

// Builds the graph node by node, for the layers' emitters (framework/onnx_graph.h), each found
// with the layer's type in the registry by the kind its module describes (framework/op_spec.h).
class GraphBuilder : public OnnxGraph {
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
  std::string constant(const std::string& name, const Tensor<float>& values) override {
    std::vector<std::int64_t> dims;
    for (std::size_t d : shape_of(values)) dims.push_back(static_cast<std::int64_t>(d));
    return constant(name, dims, values.data(), values.size());
  }
  std::string scalar(const std::string& name, float value) override {
    return constant(name, {}, &value, 1);
  }

  std::string node(const std::string& op, const std::string& name,
                   const std::vector<std::string>& inputs,
                   const std::vector<OnnxAttribute>& attributes = {}) override {
    onnx::NodeProto* node = graph_.add_node();
    node->set_op_type(op);
    node->set_name(name);
    for (const std::string& input : inputs) node->add_input(input);
    node->add_output(name);
    for (const OnnxAttribute& given : attributes) {
      onnx::AttributeProto* attribute = node->add_attribute();
      attribute->set_name(given.name);
      switch (given.type) {
        case OnnxAttribute::Type::integer:
          attribute->set_type(onnx::AttributeProto_AttributeType_INT);
          attribute->set_i(given.ints.at(0));
          break;
        case OnnxAttribute::Type::integers:
          attribute->set_type(onnx::AttributeProto_AttributeType_INTS);
          for (std::int64_t v : given.ints) attribute->add_ints(v);
          break;
        case OnnxAttribute::Type::real:
          attribute->set_type(onnx::AttributeProto_AttributeType_FLOAT);
          attribute->set_f(given.real_value);
          break;
      }
    }
    return name;
  }

  // A Sequential's children in turn; any other module by its type's emitter.
  std::string module(Module<float>& child, const std::string& x, const std::string& path) override {
    const OpSpec<float> op = child.describe();
    if (op.wiring == Wiring::chain) {
      std::string y = x;
      for (std::size_t i = 0; i < op.children.size(); ++i)
        y = module(*op.children[i], y, path + "[" + std::to_string(i) + "]");
      return y;
    }
    const LayerType* type = find_layer_type(op.kind);
    if (!type || !type->onnx)
      throw ExportError(path + ": " + child.name() + " cannot be exported to ONNX");
    return type->onnx(op, *this, x, path);
  }

  // "model.layers[3].body[1]" → "layers.3.body.1": node and initializer names.
  std::string name_of(const std::string& path) const override {
    std::string name;
    for (char c : path.substr(path.find('.') + 1)) {
      if (c == '[')
        name += '.';
      else if (c != ']')
        name += c;
    }
    return name;
  }

 private:
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
  if (sample_shape.size() != 3 && sample_shape.size() != 1)
    throw ExportError(
        "export: expected one sample's shape C x H x W (an image) or F (a table "
        "row), got " +
        to_string(sample_shape));
  // Images are normalised per channel, table rows per feature.
  const bool table = sample_shape.size() == 1;
  const std::size_t C = sample_shape[0];
  if (!(options.mean.size() == options.std.size() &&
        (options.mean.size() == 1 || options.mean.size() == C)))
    throw ExportError("export: expected one mean and std, or one per " +
                      std::string(table ? "feature (" : "channel (") + std::to_string(C) + ")");
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
  const std::string input = table ? "features" : "pixels";
  std::vector<std::int64_t> input_dims{N};
  for (std::size_t d : sample_shape) input_dims.push_back(static_cast<std::int64_t>(d));
  set_tensor_type(*graph.add_input(), input, input_dims, symbolic);
  graph.mutable_input(0)->set_doc_string(table ? "encoded features, N x F"
                                               : "pixels / 255, N x C x H x W");

  GraphBuilder builder(graph);
  // (x − mean_c) / std_c, per channel: [C, 1, 1] broadcast over N × C × H × W; for a table per
  // feature, [F] over N × F.
  std::vector<float> mean(C), std(C);
  for (std::size_t c = 0; c < C; ++c) {
    mean[c] = static_cast<float>(options.mean.size() == 1 ? options.mean[0] : options.mean[c]);
    std[c] = static_cast<float>(options.std.size() == 1 ? options.std[0] : options.std[c]);
  }
  const std::vector<std::int64_t> per_channel =
      table ? std::vector<std::int64_t>{static_cast<std::int64_t>(C)}
            : std::vector<std::int64_t>{static_cast<std::int64_t>(C), 1, 1};
  const std::string centred =
      builder.node("Sub", "normalize.centred",
                   {input, builder.constant("normalize.mean", per_channel, mean.data(), C)});
  const std::string normalized = builder.node(
      "Div", "normalize", {centred, builder.constant("normalize.std", per_channel, std.data(), C)});
  const std::string logits = builder.module(model, normalized, "model.layers");
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
