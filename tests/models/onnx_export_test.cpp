// The ONNX export's graph (models/onnx_export.h), read back with ONNX's own classes: the nodes
// each layer becomes, the input and output, the metadata; and its errors. That the graph computes
// what gradlab computes is tests/onnx/onnx_test.sh's part, in ONNX Runtime.
#include "models/onnx_export.h"

#include <onnx/onnx_pb.h>

#include <fstream>
#include <set>

#include "framework/layers/activation.h"
#include "framework/layers/linear.h"
#include "models/builder.h"
#include "tests/support.h"

using namespace gradlab;

namespace {

onnx::ModelProto parse(const std::string& bytes) {
  onnx::ModelProto model;
  REQUIRE(model.ParseFromString(bytes));
  return model;
}

std::vector<std::string> dims_of(const onnx::ValueInfoProto& value) {
  std::vector<std::string> dims;
  for (const auto& dim : value.type().tensor_type().shape().dim())
    dims.push_back(dim.has_dim_param() ? dim.dim_param() : std::to_string(dim.dim_value()));
  return dims;
}

// A layer ONNX export does not know.
class Custom : public Activation<float> {
 public:
  std::string name() const override { return "Custom"; }

 protected:
  void forward_impl(const Tensor<float>& x, Tensor<float>& y) override { y = x; }
  void backward_impl(const Tensor<float>& dy, Tensor<float>* dx) override {
    if (dx) *dx = dy;
  }
};

}  // namespace

TEST_CASE("Every exportable layer becomes its ONNX nodes, normalisation first", "[onnx]") {
  std::ifstream file(std::string(GRADLAB_SOURCE_DIR) + "/tests/onnx/every_layer.json");
  const nlohmann::json spec = nlohmann::json::parse(file);
  auto model = build_model<float>(spec, {1, 28, 28}, 10, 5);
  OnnxExportOptions options;
  options.mean = {0.1307};
  options.std = {0.3081};
  options.doc = "a test model";
  options.metadata = {{"test_accuracy", "0.5"}};
  const onnx::ModelProto proto = parse(export_onnx(*model, {1, 28, 28}, 10, options));

  CHECK(proto.opset_import(0).version() == 13);
  CHECK(proto.producer_name() == "gradlab");
  CHECK(proto.doc_string() == "a test model");
  REQUIRE(proto.metadata_props_size() == 1);
  CHECK(proto.metadata_props(0).key() == "test_accuracy");
  const onnx::GraphProto& graph = proto.graph();
  REQUIRE(graph.input_size() == 1);
  CHECK(graph.input(0).name() == "pixels");
  CHECK(dims_of(graph.input(0)) == std::vector<std::string>{"N", "1", "28", "28"});
  REQUIRE(graph.output_size() == 1);
  CHECK(graph.output(0).name() == "logits");
  CHECK(dims_of(graph.output(0)) == std::vector<std::string>{"N", "10"});

  std::multiset<std::string> ops;
  for (const onnx::NodeProto& node : graph.node()) ops.insert(node.op_type());
  // The normalisation, then the layers: Dropout leaves no node.
  CHECK(graph.node(0).op_type() == "Sub");
  CHECK(graph.node(1).op_type() == "Div");
  CHECK(ops.count("Conv") == 6);
  CHECK(ops.count("BatchNormalization") == 3);
  CHECK(ops.count("Add") ==
        2 + 1 + 2);  // residual sums; exact GELU 1 + erf; tanh GELU x + c x³, 1 + tanh
  CHECK(ops.count("Erf") == 1);
  CHECK(ops.count("Tanh") == 2);  // the tanh GELU's and the Tanh layer
  for (const char* op :
       {"Relu", "LeakyRelu", "MaxPool", "Concat", "AveragePool", "Flatten", "Sigmoid", "Identity"})
    CHECK(ops.count(op) >= 1);
  CHECK(ops.count("Gemm") == 2);
  CHECK(ops.count("Dropout") == 0);

  // A fixed batch.
  options.batch = 16;
  const onnx::ModelProto fixed = parse(export_onnx(*model, {1, 28, 28}, 10, options));
  CHECK(dims_of(fixed.graph().input(0)) == std::vector<std::string>{"16", "1", "28", "28"});
  CHECK(dims_of(fixed.graph().output(0)) == std::vector<std::string>{"16", "10"});
}

TEST_CASE("A layer ONNX export does not know is named by its path", "[onnx]") {
  Rng rng(1);
  Sequential<float> model;
  model.emplace<Linear<float>>(4, 3, rng);
  model.emplace<Custom>();
  CHECK_THROWS_MATCHES(export_onnx(model, {1, 2, 2}, 3, {}), ExportError,
                       Catch::Message("model.layers[1]: Custom cannot be exported to ONNX"));
  // ONNX's shape inference catches a model whose output is not [N, classes].
  Sequential<float> wrong;
  wrong.emplace<Linear<float>>(4, 3, rng);
  CHECK_THROWS_WITH(export_onnx(wrong, {1, 2, 2}, 5, {}),
                    Catch::StartsWith("export: ONNX's checker rejected the graph"));
}
