// The fused Conv2d → ReLU → MaxPool2d block (layers/conv_relu_pool.h) against the same three
// layers run one by one on the float64 reference: output, input gradient, weight and bias
// gradients, on random geometries, to the parity tolerance of tests/parity_support.h.
#include "framework/layers/conv_relu_pool.h"

#include <sstream>

#include "framework/kernels/onednn/context.h"
#include "framework/kernels/simd.h"
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

struct ChainResult {
  bool fused;
  std::size_t linked;
};

// Runs two training steps of a chain of blocks (each block's input the previous block's output;
// the first block's N, H, W are the input's) on both backends, gradients accumulating over both,
// and checks every result.
ChainResult check_chain_parity(const std::vector<BlockShape>& chain, bool bias, bool input_grad,
                               Rng& rng, double set_weights = std::nan(""),
                               double set_bias = std::nan("")) {
  Sequential<double> reference;
  Sequential<float> fast;
  for (std::size_t k = 0; k < chain.size(); ++k) {
    add_block(reference, chain[k], bias, 7 + k);
    add_block(fast, chain[k], bias, 7 + k);
  }
  reference.set_backend(Backend::reference);
  fast.set_backend(Backend::onednn);
  reference.set_needs_input_grad(input_grad);
  fast.set_needs_input_grad(input_grad);
  for (std::size_t k = 0; k < chain.size(); ++k) {
    auto& conv = dynamic_cast<Conv2d<double>&>(reference[3 * k]);
    if (!std::isnan(set_weights)) conv.weight().value.fill(set_weights);
    if (bias) {
      for (double& v : conv.bias().value)
        v = std::isnan(set_bias) ? rng.uniform(-0.5, 0.5) : set_bias;
    }
  }
  copy_parameters(reference, fast);
  REQUIRE(fast.step_count() == 1);
  auto* blocks = dynamic_cast<ConvReluPool*>(&fast.step(0));
  REQUIRE(blocks != nullptr);

  const BlockShape& first = chain.front();
  const Tensor<double> x = random_tensor({first.N, first.C_in, first.H, first.W}, rng);
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
  if (blocks->fused())
    for (const std::string& implementation : blocks->implementations(shape_of(x))) {
      INFO("implementation " << implementation);
      CHECK(implementation.rfind("ref", 0) != 0);
    }
  return {blocks->fused(), blocks->linked_blocks()};
}

bool check_block_parity(const BlockShape& b, bool bias, bool input_grad, Rng& rng,
                        double set_weights = std::nan(""), double set_bias = std::nan("")) {
  return check_chain_parity({b}, bias, input_grad, rng, set_weights, set_bias).fused;
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
  REQUIRE(fast.step_count() == 3);  // both blocks as one step, Flatten, Linear
  auto* blocks = dynamic_cast<ConvReluPool*>(&fast.step(0));
  REQUIRE(blocks != nullptr);
  CHECK(blocks->module_count() == 6);
  CHECK(blocks->forward_flops({1, 1, 28, 28}) ==
        fast[0].forward_flops({1, 1, 28, 28}) + fast[3].forward_flops({1, 16, 14, 14}));
  CHECK(blocks->name() ==
        "Conv2d(1 -> 16, kernel_size=5, stride=1, padding=2) + ReLU + MaxPool2d(kernel_size=2, "
        "stride=2) + Conv2d(16 -> 32, kernel_size=5, stride=1, padding=2) + ReLU + "
        "MaxPool2d(kernel_size=2, stride=2)");
  // The parameters are still the layers' own, named by their positions.
  std::vector<std::string> names;
  for (const auto& named : fast.named_parameters()) names.push_back(named.name);
  CHECK(names ==
        std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"});
  // At LeNet's shapes both blocks run fused, on JIT kernels, and the first hands its output to
  // the second without leaving the blocked layout — where oneDNN has JIT kernels for the blocked
  // layouts' backward passes (AVX2 and up); below that, the layers run and say so.
  Rng rng(2);
  NoticeCapture capture;
  fast.forward(to_float(random_tensor({64, 1, 28, 28}, rng)));
  INFO("oneDNN's instruction set: " << onednn::cpu_isa());
  if (!onednn::cpu_isa_has_avx2()) {
    CHECK_FALSE(blocks->fused());  // oneDNN 2.6 has no JIT backward-data for conv1's nChw8c
    CHECK(capture.any_contains("runs as separate layers, not fused"));
    return;
  }
  CHECK(blocks->fused());
  CHECK(blocks->linked_blocks() == 1);
  const auto implementations = blocks->implementations({64, 1, 28, 28});
  REQUIRE(implementations.size() == 6);  // per block: forward, backward-data, backward-weights
  CHECK(implementations[0].find("jit") != std::string::npos);
  CHECK(implementations[3].find("jit") != std::string::npos);
  // The first block's backward-weights (one input channel) is ours: direct with AVX2, else
  // im2col.
  CHECK(implementations[2] == (simd_level() == SimdLevel::avx2 ? "gradlab:blocked_avx2"
                                                                : "gradlab:im2col+sgemm"));
  for (const std::string& implementation : implementations) {
    INFO(implementation);
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
  // Which geometries oneDNN lays out blocked is its choice; most must have run fused where it has
  // JIT kernels for them (AVX2 and up).
  INFO(fused << " of " << trials << " ran fused; oneDNN's instruction set: " << onednn::cpu_isa());
  if (onednn::cpu_isa_has_avx2()) CHECK(fused >= trials / 2);
}

TEST_CASE("Chains of fused blocks match the float64 layers, linked or not", "[fusion][parity]") {
  // Two or three blocks in a row: where oneDNN lays both sides out alike, a block pools straight
  // into the next block's input memory and takes its gradient back the same way.
  Rng rng(15);
  std::size_t linked = 0, pairs = 0;
  const int trials = 16;
  for (int trial = 0; trial < trials; ++trial) {
    std::vector<BlockShape> chain;
    std::size_t C = 1 + rng.below(20), H = 12 + rng.below(14), W = 12 + rng.below(14);
    const std::size_t N = 1 + rng.below(3), blocks = trial % 4 == 3 ? 3 : 2;
    std::ostringstream description;
    description << "trial " << trial << ": N=" << N << " " << C << "x" << H << "x" << W;
    for (std::size_t k = 0; k < blocks; ++k) {
      BlockShape b{};
      b.N = N, b.C_in = C, b.H = H, b.W = W;
      b.C_out = 1 + rng.below(33);
      b.K = 1 + rng.below(3), b.S = 1, b.P = rng.below(2);
      b.pool_K = 2, b.pool_S = 1 + rng.below(2);
      const std::size_t conv_H = H + 2 * b.P - b.K + 1, conv_W = W + 2 * b.P - b.K + 1;
      H = (conv_H - b.pool_K) / b.pool_S + 1;
      W = (conv_W - b.pool_K) / b.pool_S + 1;
      C = b.C_out;
      description << " -> [" << b.C_out << " K" << b.K << " P" << b.P << " pool/" << b.pool_S
                  << "]";
      chain.push_back(b);
    }
    INFO(description.str());
    const ChainResult result = check_chain_parity(chain, trial % 5 != 4, trial % 3 != 2, rng);
    if (result.fused) {
      linked += result.linked;
      pairs += blocks - 1;
    }
  }
  INFO(linked << " of " << pairs << " neighbouring fused blocks were linked; oneDNN's instruction "
                "set: " << onednn::cpu_isa());
  if (onednn::cpu_isa_has_avx2()) CHECK(linked > 0);
}

TEST_CASE("The fused block matches the float64 layers on two threads", "[fusion][parity]") {
  // The suite runs on one thread (scripts/test.sh); the kernels split planes and images across
  // threads, each thread summing its own partial weight gradient. LeNet's blocks, batch 4.
  const int threads_before = onednn::num_threads();
  onednn::set_num_threads(2);
  Rng rng(14);
  const bool fused = check_block_parity({4, 16, 14, 14, 32, 5, 1, 2, 2, 2}, true, true, rng);
  if (onednn::cpu_isa_has_avx2()) CHECK(fused);  // below, whether it fuses is oneDNN's call
  const ChainResult lenet = check_chain_parity(
      {{4, 1, 28, 28, 16, 5, 1, 2, 2, 2}, {4, 16, 14, 14, 32, 5, 1, 2, 2, 2}}, true, false, rng);
  onednn::set_num_threads(threads_before);
  if (onednn::cpu_isa_has_avx2()) {
    CHECK(lenet.fused);
    CHECK(lenet.linked == 1);
  }
}

TEST_CASE("The fused block sends a tied window's gradient to its first maximum, as MaxPool2d",
          "[fusion][parity]") {
  // Zero weights and a positive bias: every activation equals the bias, every window ties.
  Rng rng(12);
  for (const BlockShape& b :
       {BlockShape{2, 3, 8, 8, 16, 3, 1, 1, 2, 2}, BlockShape{1, 2, 9, 9, 8, 3, 1, 0, 3, 2}}) {
    INFO("pool " << b.pool_K << "/" << b.pool_S);
    const bool fused = check_block_parity(b, true, true, rng, 0.0, 0.25);
    if (onednn::cpu_isa_has_avx2()) CHECK(fused);
  }
}

TEST_CASE("A pooling window the fused kernel does not take runs the three layers instead",
          "[fusion][parity]") {
  // 17 × 17 windows: more positions than the kernel's one-byte argmax holds.
  Rng rng(13);
  CHECK_FALSE(check_block_parity({2, 3, 19, 19, 8, 3, 1, 0, 17, 1}, true, true, rng));
}

TEST_CASE("With every oneDNN kernel refused, fused blocks run as layers, say so, and match",
          "[fusion][parity]") {
  // What a CPU whose oneDNN has only reference kernels for a block gets: the three layers, each
  // convolution pass on im2col + sgemm (an empty prefix rejects every implementation name).
  NoticeCapture capture;
  onednn::set_rejected_implementations({""});
  Rng rng(16);
  CHECK_FALSE(check_block_parity({4, 16, 14, 14, 32, 5, 1, 2, 2, 2}, true, true, rng));
  const ChainResult lenet = check_chain_parity(
      {{4, 1, 28, 28, 16, 5, 1, 2, 2, 2}, {4, 16, 14, 14, 32, 5, 1, 2, 2, 2}}, true, false, rng);
  CHECK_FALSE(lenet.fused);
  CHECK(capture.any_contains("+ ReLU + MaxPool2d(kernel_size=2, stride=2) on 16×14×14 inputs: "
                             "runs as separate layers, not fused"));
  CHECK(capture.any_contains("runs gradlab's im2col + sgemm"));
}
