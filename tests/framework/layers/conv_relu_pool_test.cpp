// The fused Conv2d → ReLU → MaxPool2d block (layers/conv_relu_pool.h) against the same three
// layers run one by one on the float64 reference: output, input gradient, weight and bias
// gradients, on random geometries, to the parity tolerance of tests/parity_support.h.
#include "framework/layers/conv_relu_pool.h"

#include "framework/kernels/onednn/context.h"
#include "framework/layers/flatten.h"
#include "framework/layers/linear.h"
#include "framework/sequential.h"
#include "tests/parity_support.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

namespace {

struct BlockShape {
  std::size_t N, C_in, H, W, C_out, K, S, P, pool_K, pool_S;
};

template <class T>
void add_block(Sequential<T>& model, const BlockShape& b, bool bias, std::uint64_t seed) {
  Rng init(seed);
  model.template emplace<Conv2d<T>>(b.C_in, b.C_out, b.K, init, b.S, b.P, Init::kaiming_uniform,
                                    bias);
  model.template emplace<ReLU<T>>();
  model.template emplace<MaxPool2d<T>>(b.pool_K, b.pool_S);
}

// Runs two training steps of the block on both backends (gradients accumulate over both) and
// checks every result. Returns whether the float32 model ran fused.
bool check_block_parity(const BlockShape& b, bool bias, bool input_grad, Rng& rng,
                        double set_weights = std::nan(""), double set_bias = std::nan("")) {
  Sequential<double> reference;
  Sequential<float> fast;
  add_block(reference, b, bias, 7);
  add_block(fast, b, bias, 7);
  reference.set_backend(Backend::reference);
  fast.set_backend(Backend::onednn);
  reference.set_needs_input_grad(input_grad);
  fast.set_needs_input_grad(input_grad);
  auto& conv = dynamic_cast<Conv2d<double>&>(reference[0]);
  if (!std::isnan(set_weights)) conv.weight().value.fill(set_weights);
  if (bias) {
    for (double& v : conv.bias().value)
      v = std::isnan(set_bias) ? rng.uniform(-0.5, 0.5) : set_bias;
  }
  copy_parameters(reference, fast);
  REQUIRE(fast.step_count() == 1);
  auto* block = dynamic_cast<ConvReluPool*>(&fast.step(0));
  REQUIRE(block != nullptr);

  const Tensor<double> x = random_tensor({b.N, b.C_in, b.H, b.W}, rng);
  const Tensor<double> dy = random_tensor(reference.output_shape(shape_of(x)), rng);
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
  if (block->fused())
    for (const std::string& implementation : block->implementations(shape_of(x))) {
      INFO("implementation " << implementation);
      CHECK(implementation.rfind("ref", 0) != 0);
    }
  return block->fused();
}

}  // namespace

TEST_CASE("Sequential fuses Conv2d, ReLU, MaxPool2d on oneDNN float32 and nowhere else",
          "[fusion]") {
  auto lenet = [](auto& model) {
    using T = typename std::remove_reference_t<decltype(model)>::value_type;
    Rng rng(1);
    model.template emplace<Conv2d<T>>(1, 16, 5, rng, 1, 2);
    model.template emplace<ReLU<T>>();
    model.template emplace<MaxPool2d<T>>(2);
    model.template emplace<Conv2d<T>>(16, 32, 5, rng, 1, 2);
    model.template emplace<ReLU<T>>();
    model.template emplace<MaxPool2d<T>>(2);
    model.template emplace<Flatten<T>>();
    model.template emplace<Linear<T>>(32 * 7 * 7, 10, rng);
  };
  Sequential<float> fast;
  lenet(fast);
  fast.set_backend(Backend::onednn);
  REQUIRE(fast.step_count() == 4);  // block, block, Flatten, Linear
  for (std::size_t s = 0; s < 2; ++s) {
    CHECK(dynamic_cast<ConvReluPool*>(&fast.step(s)) != nullptr);
    CHECK(
        fast.step(s).forward_flops(
            {1, s == 0 ? 1u : 16u, s == 0 ? 28u : 14u, s == 0 ? 28u : 14u}) ==
        fast[3 * s].forward_flops({1, s == 0 ? 1u : 16u, s == 0 ? 28u : 14u, s == 0 ? 28u : 14u}));
  }
  CHECK(fast.step(0).name() ==
        "Conv2d(1 -> 16, kernel_size=5, stride=1, padding=2) + ReLU + MaxPool2d(kernel_size=2, "
        "stride=2)");
  // The parameters are still the layers' own, named by their positions.
  std::vector<std::string> names;
  for (const auto& named : fast.named_parameters()) names.push_back(named.name);
  CHECK(names ==
        std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"});
  // At LeNet's shapes both blocks run fused, on JIT kernels.
  Rng rng(2);
  fast.forward(to_float(random_tensor({64, 1, 28, 28}, rng)));
  for (std::size_t s = 0; s < 2; ++s) {
    auto& block = dynamic_cast<ConvReluPool&>(fast.step(s));
    CHECK(block.fused());
    const auto implementations =
        block.implementations({64, s == 0 ? 1u : 16u, s == 0 ? 28u : 14u, s == 0 ? 28u : 14u});
    CHECK(implementations[0].find("jit") != std::string::npos);
    // The first block's backward-weights (one input channel) is ours: direct with AVX2.
    if (s == 0 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      CHECK(implementations[2] == "gradlab:blocked_avx2");
    for (const std::string& implementation : implementations)
      CHECK(implementation.rfind("ref", 0) != 0);
  }

  fast.set_backend(Backend::reference);
  CHECK(fast.step_count() == 8);
  Sequential<double> reference;
  lenet(reference);
  reference.set_backend(Backend::onednn);  // float64 always runs the reference, unfused
  CHECK(reference.step_count() == 8);
  // A Conv2d not followed by ReLU and MaxPool2d is not fused.
  Sequential<float> conv_only;
  conv_only.emplace<Conv2d<float>>(1, 4, 3, rng);
  conv_only.emplace<MaxPool2d<float>>(2);
  conv_only.emplace<ReLU<float>>();
  conv_only.set_backend(Backend::onednn);
  CHECK(conv_only.step_count() == 3);
}

TEST_CASE("The fused block matches the float64 layers on random shapes", "[fusion][parity]") {
  // Batch 1 to 3, channels 1–33, kernels 1–5, stride 1–2, padding 0–2, odd sizes; pooling
  // windows 1–3 with strides 1–3, so windows overlap (S < K), tile (S = K) and leave gaps.
  Rng rng(11);
  int fused = 0;
  const int trials = 30;
  for (int trial = 0; trial < trials; ++trial) {
    BlockShape b{};
    b.N = 1 + rng.below(3);
    b.C_in = 1 + rng.below(33);
    b.C_out = 1 + rng.below(33);
    b.K = 1 + rng.below(5);
    b.S = 1 + rng.below(2);
    b.P = rng.below(3);
    b.pool_K = 1 + rng.below(3);
    b.pool_S = 1 + rng.below(3);
    b.H = b.K + b.pool_K * b.S + rng.below(12);
    b.W = b.K + b.pool_K * b.S + rng.below(12);
    const bool bias = trial % 5 != 4, input_grad = trial % 3 != 2;
    INFO("trial " << trial << ": N=" << b.N << " C_in=" << b.C_in << " H=" << b.H << " W=" << b.W
                  << " C_out=" << b.C_out << " K=" << b.K << " S=" << b.S << " P=" << b.P
                  << " pool " << b.pool_K << "/" << b.pool_S << (bias ? "" : " no bias")
                  << (input_grad ? "" : " no dx"));
    fused += check_block_parity(b, bias, input_grad, rng);
  }
  // Which geometries oneDNN lays out blocked is its choice; most must have run fused.
  INFO(fused << " of " << trials << " ran fused");
  CHECK(fused >= trials / 2);
}

TEST_CASE("The fused block matches the float64 layers on two threads", "[fusion][parity]") {
  // The suite runs on one thread (scripts/test.sh); the kernels split planes and images across
  // threads, each thread summing its own partial weight gradient. LeNet's two blocks, batch 4.
  const int threads_before = onednn::num_threads();
  onednn::set_num_threads(2);
  Rng rng(14);
  CHECK(check_block_parity({4, 1, 28, 28, 16, 5, 1, 2, 2, 2}, true, false, rng));
  CHECK(check_block_parity({4, 16, 14, 14, 32, 5, 1, 2, 2, 2}, true, true, rng));
  onednn::set_num_threads(threads_before);
}

TEST_CASE("The fused block sends a tied window's gradient to its first maximum, as MaxPool2d",
          "[fusion][parity]") {
  // Zero weights and a positive bias: every activation equals the bias, every window ties.
  Rng rng(12);
  for (const BlockShape& b :
       {BlockShape{2, 3, 8, 8, 16, 3, 1, 1, 2, 2}, BlockShape{1, 2, 9, 9, 8, 3, 1, 0, 3, 2}}) {
    INFO("pool " << b.pool_K << "/" << b.pool_S);
    CHECK(check_block_parity(b, true, true, rng, 0.0, 0.25));
  }
}

TEST_CASE("A pooling window the fused kernel does not take runs the three layers instead",
          "[fusion][parity]") {
  // 17 × 17 windows: more positions than the kernel's one-byte argmax holds.
  Rng rng(13);
  CHECK_FALSE(check_block_parity({2, 3, 19, 19, 8, 3, 1, 0, 17, 1}, true, true, rng));
}
