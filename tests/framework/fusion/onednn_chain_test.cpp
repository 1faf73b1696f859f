// Chains (fusion/onednn_chain.h): runs of Conv2d, ReLU and MaxPool2d layers run as one step on
// oneDNN, against the same layers run one by one on the float64 reference: output, input
// gradient, weight and bias gradients over two steps (gradients accumulating), on random
// geometries and random orders of layers, to the parity tolerance of tests/parity_support.h.
#include "framework/fusion/onednn_chain.h"
#include "framework/runtime.h"

#include <sstream>

#include "framework/kernels/onednn/context.h"
#include "framework/kernels/simd.h"
#include "framework/layers/flatten.h"
#include "framework/layers/linear.h"
#include "framework/layers/maxpool2d.h"
#include "framework/layers/relu.h"
#include "framework/layers/sigmoid.h"
#include "framework/sequential.h"
#include "tests/parity_support.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

namespace {

struct LayerSpec {
  enum Kind { conv, relu, pool } kind;
  std::size_t C_out = 0, K = 0, S = 1, P = 0;  // conv: all; pool: K, S
};
using Specs = std::vector<LayerSpec>;

std::string describe(const Specs& specs) {
  std::ostringstream text;
  for (const LayerSpec& l : specs) {
    if (l.kind == LayerSpec::conv)
      text << " conv(" << l.C_out << " K" << l.K << " S" << l.S << " P" << l.P << ")";
    else if (l.kind == LayerSpec::relu)
      text << " relu";
    else
      text << " pool(" << l.K << "/" << l.S << ")";
  }
  return text.str();
}

// Appends the layers; input channels follow from C_in through the convolutions.
template <class T>
void add_layers(Sequential<T>& model, std::size_t C_in, const Specs& specs, bool bias) {
  Rng init(7);
  std::size_t C = C_in;
  for (const LayerSpec& l : specs) {
    if (l.kind == LayerSpec::conv) {
      model.template emplace<Conv2d<T>>(C, l.C_out, l.K, init, l.S, l.P, Init::kaiming_uniform,
                                        bias);
      C = l.C_out;
    } else if (l.kind == LayerSpec::relu) {
      model.template emplace<ReLU<T>>();
    } else {
      model.template emplace<MaxPool2d<T>>(l.K, l.S);
    }
  }
}

struct ChainResult {
  bool chained;                // the float model ran as one OnednnChain step
  std::size_t inner_reorders;  // reorders between its layers
};

// Runs two training steps of the layers on both backends, gradients accumulating over both,
// and checks every result; weights or biases can be set to one value (ties in pooling).
ChainResult check_chain_parity(const Shape& input, const Specs& specs, bool bias, bool input_grad,
                               Rng& rng, double set_weights = std::nan(""),
                               double set_bias = std::nan("")) {
  Sequential<double> reference;
  Sequential<float> fast;
  add_layers(reference, input[1], specs, bias);
  add_layers(fast, input[1], specs, bias);
  reference.set_backend(Backend::reference);
  fast.set_backend(Backend::onednn);
  reference.set_needs_input_grad(input_grad);
  fast.set_needs_input_grad(input_grad);
  for (auto& named : reference.named_parameters()) {
    Tensor<double>& value = named.parameter->value;
    const bool is_bias =
        named.name.size() >= 4 && named.name.substr(named.name.size() - 4) == "bias";
    if (is_bias)
      for (double& v : value) v = std::isnan(set_bias) ? rng.uniform(-0.5, 0.5) : set_bias;
    else if (!std::isnan(set_weights))
      value.fill(set_weights);
  }
  copy_parameters(reference, fast);
  auto* chain = fast.step_count() == 1 ? dynamic_cast<OnednnChain*>(&fast.step(0)) : nullptr;

  const Tensor<double> x = random_tensor(input, rng);
  const Tensor<double> dy = random_tensor(reference.output_shape(input), rng);
  for (int step = 0; step < 2; ++step) {
    INFO("step " << step);
    CHECK(scaled_error(fast.forward(to_float(x)), reference.forward(x)) <= kParityTolerance);
    const Tensor<float>& dx_fast = fast.backward(to_float(dy));
    const Tensor<double>& dx_reference = reference.backward(dy);
    if (input_grad)
      CHECK(scaled_error(dx_fast, dx_reference) <= kParityTolerance);
    else
      CHECK(dx_fast.size() == 0);
    const auto a = reference.named_parameters();
    const auto f = fast.named_parameters();
    REQUIRE(a.size() == f.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      INFO(a[i].name);
      CHECK(scaled_error(f[i].parameter->grad, a[i].parameter->grad) <= kParityTolerance);
    }
  }
  if (!chain) return {false, 0};
  for (const std::string& implementation : chain->implementations(input)) {
    INFO("implementation " << implementation);
    CHECK(implementation.rfind("ref", 0) != 0);
    CHECK(implementation.find(" ref") == std::string::npos);  // a reorder's
  }
  return {true, chain->inner_reorders(input)};
}

// A random run of 1–6 layers with at least one convolution, on a random input it fits.
std::pair<Shape, Specs> random_chain(Rng& rng) {
  const std::size_t N = 1 + rng.below(3), C = 1 + rng.below(20);
  std::size_t H = 6 + rng.below(20), W = 6 + rng.below(20);
  const Shape input{N, C, H, W};
  Specs specs;
  const std::size_t length = 1 + rng.below(6), forced_conv = rng.below(length);
  for (std::size_t i = 0; i < length; ++i) {
    const std::size_t draw = i == forced_conv ? 0 : rng.below(3);
    if (draw == 0) {
      LayerSpec l{LayerSpec::conv, 1 + rng.below(33), 1 + rng.below(5), 1 + rng.below(2),
                  rng.below(3)};
      if (H + 2 * l.P < l.K || W + 2 * l.P < l.K) l.K = 1;
      H = (H + 2 * l.P - l.K) / l.S + 1;
      W = (W + 2 * l.P - l.K) / l.S + 1;
      specs.push_back(l);
    } else if (draw == 1) {
      specs.push_back({LayerSpec::relu});
    } else {
      LayerSpec l{LayerSpec::pool, 0, 1 + rng.below(3), 1 + rng.below(3)};
      if (H < l.K || W < l.K) continue;
      H = (H - l.K) / l.S + 1;
      W = (W - l.K) / l.S + 1;
      specs.push_back(l);
    }
  }
  return {input, specs};
}

const Specs kLenetBlocks{
    {LayerSpec::conv, 16, 5, 1, 2}, {LayerSpec::relu}, {LayerSpec::pool, 0, 2, 2},
    {LayerSpec::conv, 32, 5, 1, 2}, {LayerSpec::relu}, {LayerSpec::pool, 0, 2, 2}};
// The strided model of the benchmark (bench/gradlab_bench.cpp, issue #11).
const Specs kStrided{{LayerSpec::conv, 27, 3, 2, 2},
                     {LayerSpec::relu},
                     {LayerSpec::conv, 21, 3, 2, 2},
                     {LayerSpec::relu},
                     {LayerSpec::conv, 33, 3, 1, 2},
                     {LayerSpec::pool, 0, 2, 2},
                     {LayerSpec::relu}};

}  // namespace

TEST_CASE("Sequential runs Conv2d, ReLU and MaxPool2d runs as oneDNN chains, and nothing else",
          "[fusion]") {
  auto lenet = [](auto& model) {
    using T = typename std::remove_reference_t<decltype(model)>::value_type;
    add_layers(model, 1, kLenetBlocks, true);
    Rng rng(1);
    model.template emplace<Flatten<T>>();
    model.template emplace<Linear<T>>(32 * 7 * 7, 10, rng);
  };
  Sequential<float> fast;
  lenet(fast);
  fast.set_backend(Backend::onednn);
  REQUIRE(fast.step_count() == 3);  // the chain, Flatten, Linear
  auto* chain = dynamic_cast<OnednnChain*>(&fast.step(0));
  REQUIRE(chain != nullptr);
  CHECK(chain->module_count() == 6);
  CHECK(chain->forward_flops({1, 1, 28, 28}) ==
        fast[0].forward_flops({1, 1, 28, 28}) + fast[3].forward_flops({1, 16, 14, 14}));
  CHECK(chain->name() ==
        "Conv2d(1 -> 16, kernel_size=5, stride=1, padding=2) + ReLU + MaxPool2d(kernel_size=2, "
        "stride=2) + Conv2d(16 -> 32, kernel_size=5, stride=1, padding=2) + ReLU + "
        "MaxPool2d(kernel_size=2, stride=2)");
  // The parameters are still the layers' own, named by their positions.
  std::vector<std::string> names;
  for (const auto& named : fast.named_parameters()) names.push_back(named.name);
  CHECK(names ==
        std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"});
  // At LeNet's shapes the chain runs oneDNN's JIT convolutions, and where oneDNN has JIT kernels
  // for the blocked layouts' backward passes (AVX2 and up) the activations never leave them.
  const auto implementations = chain->implementations({64, 1, 28, 28});
  INFO("oneDNN's instruction set: " << onednn::cpu_isa());
  REQUIRE(implementations.size() >= 8);  // 3 per convolution, 1 per pooling, reorders
  CHECK(implementations[0].find("jit") != std::string::npos);
  for (const std::string& implementation : implementations) {
    INFO(implementation);
    CHECK(implementation.rfind("ref", 0) != 0);
  }
  if (onednn::cpu_isa_has_avx2()) {
    CHECK(chain->inner_reorders({64, 1, 28, 28}) == 0);
    // The first convolution's backward-weights (one input channel) is gradlab's own.
    CHECK(implementations[2] ==
          (simd_level() == SimdLevel::avx2 ? "gradlab:blocked_avx2" : "gradlab:im2col+sgemm"));
  }

  fast.set_backend(Backend::reference);
  CHECK(fast.step_count() == 8);
  Sequential<double> reference;
  lenet(reference);
  reference.set_backend(Backend::onednn);  // float64 always runs the reference, unchained
  CHECK(reference.step_count() == 8);

  // Any order of the three chains; another layer ends the chain; without a Conv2d, no chain.
  Rng rng(2);
  Sequential<float> mixed;
  mixed.emplace<Conv2d<float>>(1, 4, 3, rng);
  mixed.emplace<MaxPool2d<float>>(2);
  mixed.emplace<ReLU<float>>();
  mixed.emplace<Sigmoid<float>>();
  mixed.emplace<MaxPool2d<float>>(2);
  mixed.emplace<ReLU<float>>();
  mixed.emplace<Flatten<float>>();
  mixed.set_backend(Backend::onednn);
  CHECK(mixed.step_count() == 5);  // [Conv2d, MaxPool2d, ReLU], Sigmoid, MaxPool2d, ReLU, Flatten
  CHECK(dynamic_cast<OnednnChain*>(&mixed.step(0)) != nullptr);
  CHECK(dynamic_cast<OnednnChain*>(&mixed.step(2)) == nullptr);
}

TEST_CASE("A Conv2d, ReLU, MaxPool2d block matches the float64 layers on random shapes",
          "[fusion][parity]") {
  // Batch 1 to 3, channels 1–33, kernels 1–5, stride 1–2, padding 0–2, odd sizes; pooling
  // windows 1–3 with strides 1–3, so windows overlap (S < K), tile (S = K) and leave gaps.
  Rng rng(11);
  for (int trial = 0; trial < 30; ++trial) {
    const std::size_t N = 1 + rng.below(3), C_in = 1 + rng.below(33);
    const LayerSpec conv{LayerSpec::conv, 1 + rng.below(33), 1 + rng.below(5), 1 + rng.below(2),
                         rng.below(3)};
    const LayerSpec pool{LayerSpec::pool, 0, 1 + rng.below(3), 1 + rng.below(3)};
    const std::size_t H = conv.K + pool.K * conv.S + rng.below(12),
                      W = conv.K + pool.K * conv.S + rng.below(12);
    const bool bias = trial % 5 != 4, input_grad = trial % 3 != 2;
    const Specs specs{conv, {LayerSpec::relu}, pool};
    INFO("trial " << trial << ": " << N << "x" << C_in << "x" << H << "x" << W << describe(specs)
                  << (bias ? "" : " no bias") << (input_grad ? "" : " no dx"));
    CHECK(check_chain_parity({N, C_in, H, W}, specs, bias, input_grad, rng).chained);
  }
}

TEST_CASE("Random runs of Conv2d, ReLU and MaxPool2d match the float64 layers",
          "[fusion][parity]") {
  // Any order, 1–6 layers: convolutions meeting each other, pooling without a ReLU before it,
  // ReLU after pooling, a chain starting or ending with either.
  Rng rng(15);
  for (int trial = 0; trial < 40; ++trial) {
    const auto [input, specs] = random_chain(rng);
    INFO("trial " << trial << ": " << to_string(input) << describe(specs));
    CHECK(check_chain_parity(input, specs, trial % 5 != 4, trial % 3 != 2, rng).chained);
  }
}

TEST_CASE("LeNet's and the strided model's chains reorder only at their ends", "[fusion][parity]") {
  // Where oneDNN has JIT kernels for the blocked layouts' backward passes (AVX2 and up), every
  // layer reads its input in the layout the previous one wrote; below, oneDNN's choice.
  Rng rng(21);
  INFO("oneDNN's instruction set: " << onednn::cpu_isa());
  for (const Specs& specs : {kLenetBlocks, kStrided}) {
    INFO(describe(specs));
    const ChainResult result = check_chain_parity({4, 1, 28, 28}, specs, true, false, rng);
    CHECK(result.chained);
    if (onednn::cpu_isa_has_avx2()) CHECK(result.inner_reorders == 0);
  }
}

TEST_CASE("Chains match the float64 layers on two threads", "[fusion][parity]") {
  // The suite runs on one thread (scripts/test.sh); the kernels split planes and images across
  // threads, each thread summing its own partial weight gradient. LeNet's blocks, batch 4.
  const int threads_before = num_threads();
  set_num_threads(2);
  Rng rng(14);
  const ChainResult lenet = check_chain_parity({4, 1, 28, 28}, kLenetBlocks, true, false, rng);
  const ChainResult strided = check_chain_parity({4, 1, 28, 28}, kStrided, true, true, rng);
  set_num_threads(threads_before);
  CHECK(lenet.chained);
  CHECK(strided.chained);
}

TEST_CASE("A chain sends a tied window's gradient to its first maximum, as MaxPool2d",
          "[fusion][parity]") {
  // Zero weights and a positive bias: every activation equals the bias, every window ties.
  Rng rng(12);
  for (const auto& [input, pool] :
       {std::pair{Shape{2, 3, 8, 8}, LayerSpec{LayerSpec::pool, 0, 2, 2}},
        std::pair{Shape{1, 2, 9, 9}, LayerSpec{LayerSpec::pool, 0, 3, 2}}}) {
    INFO("pool " << pool.K << "/" << pool.S);
    const Specs specs{{LayerSpec::conv, 16, 3, 1, 1}, {LayerSpec::relu}, pool};
    CHECK(check_chain_parity(input, specs, true, true, rng, 0.0, 0.25).chained);
  }
}

TEST_CASE("A pooling window the chain does not take ends the chain before it", "[fusion][parity]") {
  // 17 × 17 windows: more positions than the pooling kernel's one-byte argmax holds.
  Rng rng(13);
  const Specs specs{{LayerSpec::conv, 8, 3, 1, 0}, {LayerSpec::relu}, {LayerSpec::pool, 0, 17, 1}};
  CHECK_FALSE(check_chain_parity({2, 3, 19, 19}, specs, true, true, rng).chained);
  Sequential<float> model;
  add_layers(model, 3, specs, true);
  model.set_backend(Backend::onednn);
  REQUIRE(model.step_count() == 2);  // [Conv2d, ReLU], MaxPool2d
  CHECK(dynamic_cast<OnednnChain*>(&model.step(0)) != nullptr);
}

TEST_CASE("With every oneDNN kernel refused, chains run im2col + sgemm, say so, and match",
          "[fusion][parity]") {
  // What a CPU whose oneDNN has only reference kernels gets: every convolution pass on
  // gradlab's im2col + sgemm, in plain layouts (an empty prefix rejects every implementation).
  NoticeCapture capture;
  onednn::set_rejected_implementations({""});
  Rng rng(16);
  for (const Specs& specs : {kLenetBlocks, kStrided}) {
    INFO(describe(specs));
    CHECK(check_chain_parity({3, 1, 28, 28}, specs, true, true, rng).chained);
  }
  Sequential<float> model;
  add_layers(model, 1, kStrided, true);
  model.set_backend(Backend::onednn);
  auto* chain = dynamic_cast<OnednnChain*>(&model.step(0));
  REQUIRE(chain != nullptr);
  std::size_t im2col = 0;
  for (const std::string& implementation : chain->implementations({3, 1, 28, 28}))
    im2col += implementation == "gradlab:im2col+sgemm";
  CHECK(im2col == 9);  // three passes of three convolutions
  CHECK(
      capture.any_contains("Conv2d(27 -> 21, kernel_size=3, stride=2, padding=2) on 27×15×15 "
                           "inputs: forward runs gradlab's im2col + sgemm"));
}

TEST_CASE("A second backward after one forward is refused, naming the layers", "[fusion][errors]") {
  // The chain's gradients take its activations' buffers (chain.h), so a second backward would
  // read gradients as activations: a silent wrong answer, refused instead, as PyTorch refuses a
  // second backward through a freed graph. A forward in between makes it valid again.
  Rng rng(22);
  Sequential<float> model;
  add_layers(
      model, 3,
      {{LayerSpec::conv, 8, 3, 1, 1}, {LayerSpec::pool, 0, 2, 2}, {LayerSpec::conv, 4, 3, 1, 1}},
      true);
  model.set_backend(Backend::onednn);
  const Tensor<float> x = to_float(random_tensor({2, 3, 8, 8}, rng));
  const Tensor<float> dy = to_float(random_tensor({2, 4, 4, 4}, rng));
  model.forward(x);
  model.backward(dy);
  try {
    model.backward(dy);
    FAIL("a second backward ran");
  } catch (const std::logic_error& error) {
    CHECK(std::string(error.what()).find("layers 0-2: backward called twice after one forward") !=
          std::string::npos);
  }
  model.forward(x);
  CHECK_NOTHROW(model.backward(dy));
}
