// The layer registry (framework/layers/registry.h): configs name layers by their registered type,
// an unknown type is an error naming its path and the closest type, and a layer defined outside
// the library — Swish, below, entirely in this file — registers itself and is built from a
// config, gradient-checked, run on its own oneDNN kernel, trained and exported like any shipped
// layer.
#include "framework/layers/registry.h"

#include <onnx/onnx_pb.h>

#include <cmath>

#include "framework/gradcheck.h"
#include "framework/kernels/onednn/eltwise.h"
#include "framework/layers/activation.h"
#include "framework/losses/softmax_cross_entropy.h"
#include "framework/optim/sgd.h"
#include "models/builder.h"
#include "models/onnx_export.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

namespace {

// Swish, also called SiLU (Ramachandran et al. 2017; Elfwing et al. 2018), with β = 1:
//   forward:   y = x · σ(x)
//   backward:  dx = dy · (σ(x) + x · σ(x) (1 − σ(x)))
// Its kernels: the reference loops, and on the oneDNN backend oneDNN's eltwise_swish.
template <class T>
class Swish : public ElementwiseActivation<T> {
 public:
  std::string name() const override { return "Swish"; }
  // Its kind is its registered type name: how its kernels and its ONNX emitter are found.
  OpSpec<T> describe() override { return {"swish"}; }
};

template <class T>
T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}
const ReferenceKernelRegistration swish_reference("swish", [](const auto& op) {
  using T = typename std::decay_t<decltype(op)>::value_type;
  return loop_kernel<T>(
      [](T x) { return x * sigmoid(x); },
      [](T x, T, T dy) { return dy * (sigmoid(x) + x * sigmoid(x) * (T(1) - sigmoid(x))); },
      /*reads_input=*/true);
});
const onednn::EltwiseRegistration swish_onednn("swish", dnnl::algorithm::eltwise_swish, 1.0f);

// Its ONNX nodes: x · Sigmoid(x).
const LayerRegistration swish_type(
    "swish", "", [](auto& layer) { return make_layer<Swish>(layer); },
    [](const OpSpec<float>&, OnnxGraph& graph, const std::string& x, const std::string& path) {
      const std::string name = graph.name_of(path);
      return graph.node("Mul", name, {x, graph.node("Sigmoid", name + ".sigmoid", {x})});
    });

nlohmann::json swish_model() {
  return nlohmann::json::parse(R"({"layers": [
    {"type": "flatten"}, {"type": "linear", "out_features": 8}, {"type": "swish"},
    {"type": "linear", "out_features": 3}]})");
}

}  // namespace

TEST_CASE("An unknown layer type is refused, naming its path and the closest registered type",
          "[registry]") {
  const nlohmann::json spec = nlohmann::json::parse(R"({"layers": [
    {"type": "flatten"}, {"type": "residual", "body": [{"type": "lineer", "out_features": 4}]},
    {"type": "linear", "out_features": 3}]})");
  CHECK_THROWS_WITH(build_model<float>(spec, {1, 2, 2}, 3, 1),
                    Catch::Contains("model.layers[1].body[0].type: unknown value \"lineer\"; did "
                                    "you mean \"linear\"?"));
  // Every shipped type is registered, and the test's own beside them.
  for (const char* type : {"linear", "conv2d", "batchnorm1d", "batchnorm2d", "maxpool2d",
                           "avgpool2d", "global_avgpool2d", "dropout", "relu", "leaky_relu", "gelu",
                           "sigmoid", "tanh", "flatten", "residual", "concat", "swish"})
    CHECK(find_layer_type(type) != nullptr);
  CHECK(find_layer_type("lineer") == nullptr);
}

TEST_CASE("A second registration of a taken name is refused", "[registry]") {
  CHECK_THROWS_WITH(
      LayerRegistration("swish", "", [](auto& layer) { return make_layer<Swish>(layer); }),
      Catch::Contains("two layer types named \"swish\""));
}

TEST_CASE(
    "A layer registered in a test file builds from a config and passes the float64 gradient "
    "check",
    "[registry]") {
  auto model = build_model<double>(swish_model(), {1, 2, 2}, 3, 7);
  REQUIRE(model->size() == 4);
  CHECK((*model)[2].name() == "Swish");
  Rng rng(11);
  const Tensor<double> x = random_tensor({5, 1, 2, 2}, rng);
  const auto results = check_module_gradients(*model, x, random_projection_head(3));
  INFO(format_results(results));
  CHECK(max_relative_error(results) < kGradTolerance);
  // The keys are checked as for any layer.
  nlohmann::json typo = swish_model();
  typo["layers"][2]["beta"] = 2;
  CHECK_THROWS_WITH(build_model<double>(typo, {1, 2, 2}, 3, 7),
                    Catch::Contains("model.layers[2].beta: unknown key"));
}

TEST_CASE("A model with the registered layer trains", "[registry]") {
  // Three classes of 2 × 2 images, each lit in its own pixel.
  auto model = build_model<float>(swish_model(), {1, 2, 2}, 3, 5);
  SoftmaxCrossEntropy<float> loss;
  SGD<float> sgd(model->named_parameters(), 0.5);
  Tensor<float> x = Tensor<float>::from_shape({6, 1, 2, 2});
  x.fill(0.0f);
  Labels labels;
  for (std::size_t n = 0; n < 6; ++n) {
    labels.push_back(static_cast<int>(n % 3));
    x.data()[n * 4 + n % 3] = 1.0f;
  }
  float first = 0, last = 0;
  for (int step = 0; step < 100; ++step) {
    sgd.zero_grad();
    last = loss.forward(model->forward(x), labels);
    if (step == 0) first = last;
    model->backward(loss.backward());
    sgd.step();
  }
  CHECK(last < 0.1f * first);
}

TEST_CASE("A model with the registered layer exports to ONNX through the layer's own emitter",
          "[registry]") {
  auto model = build_model<float>(swish_model(), {1, 2, 2}, 3, 5);
  onnx::ModelProto proto;  // the exporter ran ONNX's checker and strict shape inference on it
  REQUIRE(proto.ParseFromString(export_onnx(*model, {1, 2, 2}, 3, {})));
  std::vector<std::string> nodes;
  for (const auto& node : proto.graph().node()) nodes.push_back(node.op_type() + " " + node.name());
  CHECK(nodes == std::vector<std::string>{"Sub normalize.centred", "Div normalize",
                                          "Flatten layers.0", "Gemm layers.1",
                                          "Sigmoid layers.2.sigmoid", "Mul layers.2",
                                          "Gemm layers.3", "Identity logits"});
}

TEST_CASE(
    "The registered layer runs its oneDNN kernel on the oneDNN backend, as its reference "
    "kernel computes",
    "[registry][onednn]") {
  Swish<float> on_onednn, on_reference;
  on_onednn.set_backend(Backend::onednn);
  on_reference.set_backend(Backend::reference);
  Rng rng(17);
  Tensor<float> x = Tensor<float>::from_shape({64, 300}), dy = Tensor<float>::from_shape({64, 300});
  for (float& v : x) v = static_cast<float>(rng.uniform(-6.0, 6.0));
  for (float& v : dy) v = static_cast<float>(rng.uniform(-1.0, 1.0));
  const Tensor<float> y = on_onednn.forward(x), expected_y = on_reference.forward(x);
  const Tensor<float> dx = on_onednn.backward(dy), expected_dx = on_reference.backward(dy);
  CHECK(on_onednn.implementation().rfind("onednn:", 0) == 0);
  CHECK(on_onednn.implementation().find("ref") == std::string::npos);
  CHECK(on_reference.implementation() == "gradlab:loops");
  INFO(on_onednn.implementation());
  double worst_y = 0, worst_dx = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    worst_y = std::max(worst_y, std::abs(double(y.data()[i]) - expected_y.data()[i]) /
                                    std::max(1.0, std::abs(double(expected_y.data()[i]))));
    worst_dx = std::max(worst_dx, std::abs(double(dx.data()[i]) - expected_dx.data()[i]) /
                                      std::max(1.0, std::abs(double(expected_dx.data()[i]))));
  }
  // Both in float32; oneDNN's vectorised exp differs from std::exp in the last bits.
  CHECK(worst_y < 1e-5);
  CHECK(worst_dx < 1e-5);
}
