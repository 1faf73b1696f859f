// Whole networks, float64, against finite differences: the MLP and a small CNN
// (conv → ReLU → maxpool → flatten → linear → softmax cross-entropy).
#include "framework/layers/conv2d.h"
#include "framework/layers/flatten.h"
#include "framework/layers/maxpool2d.h"
#include "framework/layers/relu.h"
#include "framework/layers/tanh.h"
#include "framework/losses/softmax_cross_entropy.h"
#include "models/mlp.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

namespace {

struct Batch {
  Tensor<double> x;
  Labels labels;
};

// Draws inputs until the evaluation is at least 1e-3 from every kink (≫ h = 1e-5).
Batch batch_away_from_kinks(Sequential<double>& model, const Shape& shape, std::size_t classes,
                            Rng& rng) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    Batch batch{random_tensor(shape, rng), Labels(shape[0])};
    for (int& y : batch.labels) y = static_cast<int>(rng.below(classes));
    if (distance_to_kinks(model, batch.x) > 1e-3) return batch;
  }
  FAIL("no input away from kinks in 200 draws");
  return {};
}

LossHead cross_entropy_head(SoftmaxCrossEntropy<double>& loss, const Labels& labels) {
  return {[&loss, labels](const Tensor<double>& logits) { return loss.forward(logits, labels); },
          [&loss] { return loss.backward(); }};
}

}  // namespace

TEST_CASE("gradcheck: whole MLP with softmax cross-entropy", "[gradcheck][network]") {
  for (std::size_t N : {1, 5}) {
    Rng rng(300 + N);
    auto model = make_mlp<double>({6, 8, 5, 3}, rng);
    for (Parameter<double>* p : model->parameters())
      if (p->name == "bias")
        for (double& b : p->value) b = rng.uniform(-0.5, 0.5);
    const Batch batch = batch_away_from_kinks(*model, {N, 6}, 3, rng);
    SoftmaxCrossEntropy<double> loss;
    require_gradients_match(
        "MLP 6-8-5-3 N=" + std::to_string(N),
        check_module_gradients(*model, batch.x, cross_entropy_head(loss, batch.labels)));
  }
}

TEST_CASE("gradcheck: whole MLP with tanh", "[gradcheck][network]") {
  Rng rng(310);
  Sequential<double> model;
  model.emplace<Linear<double>>(4, 7, rng, Init::xavier_normal);
  model.emplace<Tanh<double>>();
  model.emplace<Linear<double>>(7, 5, rng, Init::xavier_normal);
  const Batch batch{random_tensor({3, 4}, rng), {0, 4, 2}};
  SoftmaxCrossEntropy<double> loss;
  require_gradients_match(
      "MLP 4-7(tanh)-5 N=3",
      check_module_gradients(model, batch.x, cross_entropy_head(loss, batch.labels)));
}

TEST_CASE("gradcheck: whole CNN conv-relu-maxpool-flatten-linear with cross-entropy",
          "[gradcheck][network]") {
  struct Case {
    Shape input;
    std::size_t out_channels, K, S, P, pool;
  };
  const Case cases[] = {
      {{2, 1, 8, 6}, 3, 3, 1, 1, 2},  // non-square image, "same" padding
      {{1, 2, 9, 9}, 4, 3, 2, 0, 2},  // batch 1, stride 2, odd size
      {{3, 2, 7, 8}, 2, 5, 1, 2, 3},  // 5×5 kernel, pad 2, 3×3 pooling drops a column
  };
  for (const Case& c : cases) {
    Rng rng(400 + c.K * 10 + c.S);
    Sequential<double> model;
    auto& conv = model.emplace<Conv2d<double>>(c.input[1], c.out_channels, c.K, rng, c.S, c.P);
    model.emplace<ReLU<double>>();
    model.emplace<MaxPool2d<double>>(c.pool);
    model.emplace<Flatten<double>>();
    const Shape features = model.output_shape(c.input);
    model.emplace<Linear<double>>(features[1], 4, rng);
    for (double& b : conv.bias().value) b = rng.uniform(-0.2, 0.2);

    const Batch batch = batch_away_from_kinks(model, c.input, 4, rng);
    SoftmaxCrossEntropy<double> loss;
    require_gradients_match(
        "CNN on " + to_string(c.input) + " " + conv.name(),
        check_module_gradients(model, batch.x, cross_entropy_head(loss, batch.labels)));
  }
}
