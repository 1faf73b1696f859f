// Models beyond a chain: Residual (y = f(x) + g(x)) and Concat (branches joined along channels),
// built directly and from configs, against finite differences in float64 and against the
// float64 reference on the oneDNN backend in float32.
#include "framework/concat.h"
#include "framework/layers/conv2d.h"
#include "framework/layers/linear.h"
#include "framework/layers/relu.h"
#include "framework/losses/softmax_cross_entropy.h"
#include "framework/residual.h"
#include "models/builder.h"
#include "tests/parity_support.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

namespace {
template <class T>
std::unique_ptr<Sequential<T>> chain_of(std::unique_ptr<Module<T>> module) {
  auto chain = std::make_unique<Sequential<T>>();
  chain->add(std::move(module));
  return chain;
}

// Draws inputs until every ReLU input and max-pool gap is ≥ 1e-3 from its kink (≫ h = 1e-5).
Tensor<double> input_away_from_kinks(Sequential<double>& model, const Shape& shape, Rng& rng) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    Tensor<double> x = random_tensor(shape, rng);
    if (distance_to_kinks(model, x) > 1e-3) return x;
  }
  FAIL("no input away from kinks in 200 draws");
  return {};
}

// A small ResNet-style model in the config's form: a stem, an identity block, a downsampling
// block with a strided 1×1 shortcut, a concatenation of a 3×3 and a 1×1 branch, global pooling.
nlohmann::json graph_model(bool batch_norm) {
  nlohmann::json model = nlohmann::json::parse(R"({"layers": [
    {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}, {"type": "relu"},
    {"type": "residual", "body": [
       {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}, {"type": "relu"},
       {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}]},
    {"type": "relu"},
    {"type": "residual",
     "body": [{"type": "conv2d", "out_channels": 6, "kernel_size": 3, "stride": 2, "padding": 1},
              {"type": "relu"}, {"type": "conv2d", "out_channels": 6, "kernel_size": 3, "padding": 1}],
     "shortcut": [{"type": "conv2d", "out_channels": 6, "kernel_size": 1, "stride": 2}]},
    {"type": "relu"},
    {"type": "concat", "branches": [
       [{"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1}],
       [{"type": "conv2d", "out_channels": 2, "kernel_size": 1}, {"type": "relu"}]]},
    {"type": "global_avgpool2d"}, {"type": "flatten"}, {"type": "linear", "out_features": 3}]})");
  if (batch_norm) {
    // A bias before BatchNorm has no effect (the mean is subtracted) and a zero gradient, as
    // ResNets leave it out.
    auto& block = model["layers"][4];
    block["body"][0]["bias"] = false;
    block["shortcut"][0]["bias"] = false;
    block["body"].insert(block["body"].begin() + 1, nlohmann::json{{"type", "batchnorm2d"}});
    block["shortcut"].push_back(nlohmann::json{{"type", "batchnorm2d"}});
  }
  return model;
}
}  // namespace

TEST_CASE("Residual adds the body and the shortcut, and their gradients (worked example)",
          "[graph]") {
  // y = ReLU(x) + x;  dx = [x > 0] dy + dy.
  Residual<double> block(chain_of<double>(std::make_unique<ReLU<double>>()));
  CHECK(block.name() == "Residual(body + identity)");
  CHECK_THAT(block.forward(Tensor<double>{{-2, 3}}), Equals(Tensor<double>{{-2, 6}}));
  CHECK_THAT(block.backward(Tensor<double>{{10, 10}}), Equals(Tensor<double>{{10, 20}}));
}

TEST_CASE("Concat joins its branches along the channels and splits the gradient back", "[graph]") {
  // Branch 0: Linear(2 → 1) with w = [1, 2]; branch 1: ReLU. y = [x·w, ReLU(x)].
  Rng rng(1);
  auto linear = std::make_unique<Linear<double>>(2, 1, rng, Init::kaiming_uniform, false);
  linear->weight().value = tensor({2, 1}, {1, 2});
  std::vector<std::unique_ptr<Sequential<double>>> branches;
  branches.push_back(chain_of<double>(std::move(linear)));
  branches.push_back(chain_of<double>(std::make_unique<ReLU<double>>()));
  Concat<double> concat(std::move(branches));
  CHECK(concat.output_shape({5, 2}) == Shape{5, 3});
  CHECK_THAT(concat.forward(Tensor<double>{{3, -1}}), Equals(Tensor<double>{{1, 3, 0}}));
  // dx = dy_0 · wᵀ + [x > 0] dy_1: [1·1 + 10, 1·2 + 0]
  CHECK_THAT(concat.backward(Tensor<double>{{1, 10, 20}}), Equals(Tensor<double>{{11, 2}}));
}

TEST_CASE("Graph blocks name their parameters by path and report shapes that do not meet",
          "[graph][errors]") {
  auto model = build_model<float>(graph_model(false), {1, 8, 8}, 3, 1);
  std::vector<std::string> names;
  for (const auto& named : model->named_parameters()) names.push_back(named.name);
  CHECK(names[2] == "2.body.0.weight");
  CHECK(names[8] == "4.body.2.weight");
  CHECK(names[10] == "4.shortcut.0.weight");
  CHECK(names[12] == "6.0.0.weight");  // concat branch 0, its layer 0
  CHECK(names[14] == "6.1.0.weight");
  CHECK(model->output_shape({2, 1, 8, 8}) == Shape{2, 3});

  // Errors name the block's or the inner layer's path in the config.
  nlohmann::json bad = graph_model(false);
  bad["layers"][4].erase("shortcut");
  CHECK_THROWS_WITH(build_model<float>(bad, {1, 8, 8}, 3, 1),
                    "model.layers[4]: the shapes do not chain: Residual(body + identity): the "
                    "body outputs [1, 6, 4, 4] but the identity shortcut passes [1, 4, 8, 8] for "
                    "input [1, 4, 8, 8] (add a shortcut, such as a strided 1x1 conv2d)");
  bad = graph_model(false);
  bad["layers"][2]["body"][1] = {{"type", "linear"}, {"out_features", 3}};
  CHECK_THROWS_WITH(
      build_model<float>(bad, {1, 8, 8}, 3, 1),
      Catch::Matchers::StartsWith("model.layers[2].body[1]: linear needs [N, features]"));
  bad = graph_model(false);
  bad["layers"][6]["branches"][1][0]["stride"] = 2;
  CHECK_THROWS_WITH(build_model<float>(bad, {1, 8, 8}, 3, 1),
                    Catch::Matchers::Contains("Concat(2 branches): branch 1 outputs [1, 2, 2, 2] "
                                              "but branch 0 outputs [1, 3, 4, 4]"));
  bad = graph_model(false);
  bad["layers"][2]["bdy"] = bad["layers"][2]["body"];
  CHECK_THROWS_WITH(build_model<float>(bad, {1, 8, 8}, 3, 1),
                    Catch::Matchers::StartsWith("model.layers[2].bdy: unknown key"));
  bad["layers"][2].erase("body");
  bad["layers"][2].erase("bdy");
  CHECK_THROWS_WITH(build_model<float>(bad, {1, 8, 8}, 3, 1),
                    "model.layers[2].body: missing (required)");
}

TEST_CASE("gradcheck: residual blocks and a concatenation, with and without BatchNorm",
          "[gradcheck][graph]") {
  for (const bool batch_norm : {false, true}) {
    auto model = build_model<double>(graph_model(batch_norm), {1, 8, 8}, 3, 5);
    Rng rng(40 + batch_norm);
    const Tensor<double> x = input_away_from_kinks(*model, {2, 1, 8, 8}, rng);
    SoftmaxCrossEntropy<double> loss;
    const Labels labels{0, 2};
    const LossHead head{[&](const Tensor<double>& logits) { return loss.forward(logits, labels); },
                        [&] { return loss.backward(); }};
    require_gradients_match(std::string("graph model") + (batch_norm ? " with BatchNorm" : ""),
                            check_module_gradients(*model, x, head));
  }
}

TEST_CASE(
    "A nested residual block and a skipped input gradient give the same parameter "
    "gradients",
    "[graph]") {
  // Residual(Residual(Linear) → ReLU) as the first module: without the model's input gradient
  // the blocks skip theirs, and every parameter gradient must stay the same.
  nlohmann::json spec = nlohmann::json::parse(R"({"layers": [{"type": "flatten"},
    {"type": "residual", "body": [
       {"type": "residual", "body": [{"type": "linear", "out_features": 6}]}, {"type": "relu"}]},
    {"type": "linear", "out_features": 3}]})");
  auto with_grad = build_model<double>(spec, {1, 2, 3}, 3, 9);
  auto without_grad = build_model<double>(spec, {1, 2, 3}, 3, 9);
  without_grad->set_needs_input_grad(false);
  Rng rng(41);
  const Tensor<double> x = random_tensor({4, 1, 2, 3}, rng);
  const Tensor<double> dy = random_tensor({4, 3}, rng);
  with_grad->forward(x);
  CHECK(with_grad->backward(dy).size() == x.size());
  without_grad->forward(x);
  CHECK(without_grad->backward(dy).size() == 0);
  const auto a = with_grad->named_parameters(), b = without_grad->named_parameters();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].name);
    CHECK_THAT(b[i].parameter->grad, Equals(a[i].parameter->grad));
  }
}

TEST_CASE("oneDNN runs the graph model as the float64 reference does", "[graph][onednn]") {
  NoticeCapture notices;
  for (const bool batch_norm : {false, true}) {
    auto reference = build_model<double>(graph_model(batch_norm), {1, 8, 8}, 3, 7);
    auto fast = build_model<float>(graph_model(batch_norm), {1, 8, 8}, 3, 7);
    fast->set_backend(Backend::onednn);
    copy_parameters(*reference, *fast);
    Rng rng(42);
    const Tensor<double> x = random_tensor({4, 1, 8, 8}, rng);
    const Tensor<double> dy = random_tensor({4, 3}, rng);
    INFO("batch_norm " << batch_norm);
    CHECK(scaled_error(fast->forward(to_float(x)), reference->forward(x)) <= kParityTolerance);
    CHECK(scaled_error(fast->backward(to_float(dy)), reference->backward(dy)) <= kParityTolerance);
    const auto a = reference->named_parameters();
    const auto b = fast->named_parameters();
    for (std::size_t i = 0; i < a.size(); ++i) {
      INFO(a[i].name);
      CHECK(scaled_error(b[i].parameter->grad, a[i].parameter->grad) <= kParityTolerance);
    }
  }
}
