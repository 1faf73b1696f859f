#include "framework/sequential.h"

#include "framework/layers/conv2d.h"
#include "framework/layers/dropout.h"
#include "framework/layers/flatten.h"
#include "framework/layers/linear.h"
#include "framework/layers/maxpool2d.h"
#include "framework/layers/relu.h"
#include "models/mlp.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

TEST_CASE("Sequential names parameters by position", "[sequential]") {
  Rng rng(1);
  auto model = make_mlp<float>({784, 256, 128, 10}, rng);
  std::vector<std::string> names;
  for (const auto& named : model->named_parameters()) names.push_back(named.name);
  CHECK(names ==
        std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"});
  CHECK(model->parameter_count() == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
  CHECK(model->output_shape({64, 784}) == Shape{64, 10});
}

TEST_CASE("Sequential nested inside Sequential gets hierarchical names", "[sequential]") {
  Rng rng(1);
  Sequential<double> outer;
  auto inner = make_mlp<double>({3, 4, 2}, rng);
  outer.add(std::move(inner));
  outer.emplace<Linear<double>>(2, 1, rng);
  std::vector<std::string> names;
  for (const auto& named : outer.named_parameters()) names.push_back(named.name);
  CHECK(names == std::vector<std::string>{"0.0.weight", "0.0.bias", "0.2.weight", "0.2.bias",
                                          "1.weight", "1.bias"});
}

TEST_CASE("Sequential shape errors name the layer index, the layer and the shapes",
          "[sequential][errors]") {
  Rng rng(1);
  Sequential<float> model;
  model.emplace<Conv2d<float>>(1, 16, 5, rng, 1, 2);
  model.emplace<ReLU<float>>();
  model.emplace<MaxPool2d<float>>(2);
  model.emplace<Flatten<float>>();
  model.emplace<Linear<float>>(3000, 10, rng);  // should be 16·14·14 = 3136
  CHECK_THROWS_WITH(
      model.output_shape({2, 1, 28, 28}),
      "layer 4: Linear(3000 -> 10): expected input of shape [N, 3000], got [2, 3136]");
  CHECK_THROWS_WITH(model.forward(Tensor<float>::from_shape({2, 3, 28, 28})),
                    "layer 0: Conv2d(1 -> 16, kernel_size=5, stride=1, padding=2): expected input "
                    "of shape [N, 1, H, W], got [2, 3, 28, 28]");
  CHECK_THROWS_AS(model.forward(Tensor<float>::from_shape({2, 1, 28, 28})), ShapeError);
  // On oneDNN the first three layers run as one fused step; errors still name the layer at fault.
  for (Backend backend : {Backend::reference, Backend::onednn}) {
    model.set_backend(backend);
    CHECK_THROWS_WITH(model.forward(Tensor<float>::from_shape({2, 1, 1, 1})),
                      "layer 2: MaxPool2d(kernel_size=2, stride=2): input [2, 16, 1, 1] is "
                      "smaller than the 2x2 window (output size would be < 1)");
  }
  Sequential<float> empty;
  CHECK_THROWS_AS(empty.forward(Tensor<float>::from_shape({1, 1})), std::logic_error);
}

TEST_CASE("Sequential passes train/eval mode to its layers", "[sequential]") {
  Sequential<double> model;
  auto& dropout = model.emplace<Dropout<double>>(0.5, 1);
  CHECK(dropout.is_training());
  model.eval();
  CHECK(!dropout.is_training());
  const Tensor<double> x{{1, 2, 3, 4}};
  CHECK_THAT(model.forward(x), Equals(x));
  model.train();
  CHECK(dropout.is_training());
}

TEST_CASE("Sequential skips only the first layer's input gradient", "[sequential]") {
  Rng rng(2);
  auto model = make_mlp<double>({3, 4, 2}, rng);
  model->set_needs_input_grad(false);
  CHECK(!(*model)[0].needs_input_grad());
  CHECK((*model)[1].needs_input_grad());
  model->forward(random_tensor({5, 3}, rng));
  CHECK(model->backward(random_tensor({5, 2}, rng)).size() == 0);
  double grad_norm = 0;
  for (double g : (*model)[0].parameters()[0]->grad) grad_norm += g * g;
  CHECK(grad_norm > 0);
}

TEST_CASE("Sequential skips input gradients up to the first layer with parameters",
          "[sequential]") {
  // Flatten → ReLU → Linear → ReLU → Linear: without the model's input gradient, Flatten, the
  // ReLU and the first Linear compute none; the rest must, to reach the first Linear's weights.
  Rng rng(4);
  Sequential<double> model;
  model.emplace<Flatten<double>>();
  model.emplace<ReLU<double>>();
  auto& first = model.emplace<Linear<double>>(6, 4, rng);
  model.emplace<ReLU<double>>();
  model.emplace<Linear<double>>(4, 2, rng);
  model.set_needs_input_grad(false);
  for (std::size_t i = 0; i < 5; ++i) {
    INFO("module " << i);
    CHECK(model[i].needs_input_grad() == (i > 2));
  }
  const Tensor<double> x = random_tensor({3, 2, 3}, rng);
  model.forward(x);
  CHECK(model.backward(random_tensor({3, 2}, rng)).size() == 0);
  double grad_norm = 0;
  for (double g : first.weight().grad) grad_norm += g * g;
  CHECK(grad_norm > 0);
  // With the input gradient wanted again, every module computes it.
  model.set_needs_input_grad(true);
  model.forward(x);
  CHECK(shape_of(model.backward(random_tensor({3, 2}, rng))) == Shape{3, 2, 3});
}

TEST_CASE("zero_grad clears every parameter gradient", "[sequential]") {
  Rng rng(3);
  auto model = make_mlp<double>({3, 4, 2}, rng);
  model->forward(random_tensor({2, 3}, rng));
  model->backward(random_tensor({2, 2}, rng));
  model->zero_grad();
  for (Parameter<double>* p : model->parameters())
    for (double g : p->grad) CHECK(g == 0.0);
}

namespace {
// A container that is not a chain, as the graph containers to come: its children run side by
// side (here: nowhere; only what the Container base does is under test).
class Pair : public Container<float> {
 public:
  explicit Pair(Rng& rng) {
    this->add_child("left", std::make_unique<Linear<float>>(2, 3, rng));
    auto right = std::make_unique<Sequential<float>>();
    right->emplace<Dropout<float>>(0.5, 7);
    right->emplace<Linear<float>>(2, 3, rng);
    this->add_child("right", std::move(right));
  }
  void add(const std::string& name) { this->add_child(name, std::make_unique<ReLU<float>>()); }
  std::string name() const override { return "Pair"; }
  Shape output_shape(const Shape& input) const override { return input; }
  const Tensor<float>& forward(const Tensor<float>& input) override { return input; }
  const Tensor<float>& backward(const Tensor<float>& grad) override { return grad; }
};
}  // namespace

TEST_CASE("A Container names its children's parameters and RNGs and passes mode and backend down",
          "[sequential]") {
  Rng rng(2);
  Sequential<float> model;
  model.emplace<Pair>(rng);
  std::vector<std::string> names;
  for (const auto& named : model.named_parameters()) names.push_back(named.name);
  CHECK(names == std::vector<std::string>{"0.left.weight", "0.left.bias", "0.right.1.weight",
                                          "0.right.1.bias"});
  CHECK(model.named_rngs().size() == 1);
  CHECK(model.named_rngs()[0].first == "0.right.0.rng");
  auto& pair = dynamic_cast<Pair&>(model[0]);
  model.eval();
  CHECK_FALSE(pair.child(0).is_training());
  CHECK_FALSE(dynamic_cast<Sequential<float>&>(pair.child(1))[0].is_training());
  model.set_backend(Backend::reference);
  CHECK(dynamic_cast<Sequential<float>&>(pair.child(1))[1].backend() == Backend::reference);
  // A child added later starts in the container's mode and backend.
  pair.add("late");
  CHECK_FALSE(pair.child(2).is_training());
  CHECK(pair.child(2).backend() == Backend::reference);
  // Names are unique and hold no '.', which would make parameter names ambiguous.
  CHECK_THROWS_WITH(pair.add("left"), "Pair: two children named 'left'");
  CHECK_THROWS_WITH(pair.add("a.b"), "Pair: child name 'a.b' must be non-empty and hold no '.'");
}
