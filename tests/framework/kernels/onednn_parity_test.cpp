// The oneDNN backend against the float64 reference: forward and every gradient, on random
// shapes (batch 1, odd sizes, stride 1 and 2, padding 0–2, channels 1–33), to 1e-4 in the error
// measure of tests/parity_support.h.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "framework/kernels/onednn/blocked_backward_weights.h"
#include "framework/kernels/onednn/blocked_maxpool.h"
#include "framework/kernels/onednn/context.h"
#include "framework/kernels/onednn/conv2d_im2col.h"
#include "framework/kernels/onednn/gemm.h"
#include "framework/kernels/onednn/implementation.h"
#include "framework/kernels/reference/gemm.h"
#include "framework/kernels/simd.h"
#include "framework/layers/conv2d.h"
#include "framework/layers/flatten.h"
#include "framework/layers/linear.h"
#include "framework/layers/maxpool2d.h"
#include "framework/layers/relu.h"
#include "framework/losses/softmax_cross_entropy.h"
#include "framework/optim/adam.h"
#include "tests/parity_support.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

namespace {

// An N × C × H × W tensor in oneDNN's nChw{B}c layout, as the fused block passes gradients:
// channel c of pixel q of image n at ((n·⌈C/B⌉ + c/B)·H·W + q)·B + c mod B. The padding channels
// hold noise, which a kernel reading this must ignore.
std::vector<float> to_blocked(const Tensor<double>& plain, std::size_t block, Rng& rng) {
  const std::size_t N = plain.shape(0), C = plain.shape(1), Q = plain.shape(2) * plain.shape(3);
  const std::size_t blocks = (C + block - 1) / block;
  std::vector<float> blocked(N * blocks * Q * block);
  for (float& v : blocked) v = static_cast<float>(rng.uniform(-9, 9));
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t q = 0; q < Q; ++q)
        blocked[((n * blocks + c / block) * Q + q) * block + c % block] =
            static_cast<float>(plain.data()[(n * C + c) * Q + q]);
  return blocked;
}

// Random x and dy for a geometry, a non-zero starting gradient dw0, db0 (a kernel must add to
// it), and the float64 reference's dw, db after accumulating into it.
struct WeightGradientCase {
  WeightGradientCase(const reference::Conv2dGeometry& g, Rng& rng)
      : x(random_tensor({g.N, g.C_in, g.H, g.W}, rng)),
        dy(random_tensor({g.N, g.C_out, g.H_out, g.W_out}, rng)),
        dw0(random_tensor({g.C_out, g.C_in, g.K, g.K}, rng)),
        db0(random_tensor({g.C_out}, rng)),
        dw(dw0),
        db(db0) {
    reference::conv2d_backward_weights(g, x.data(), dy.data(), dw.data(), db.data());
  }
  Tensor<double> x, dy, dw0, db0, dw, db;
};

}  // namespace

TEST_CASE("oneDNN and gradlab's kernels run at the instruction set the environment asks for",
          "[onednn]") {
  // The ISA matrix of tests/CMakeLists.txt is worth something only if its settings take effect.
  const char* onednn_asked = std::getenv("ONEDNN_MAX_CPU_ISA");
  std::string asked = onednn_asked ? onednn_asked : "";
  std::transform(asked.begin(), asked.end(), asked.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  INFO("ONEDNN_MAX_CPU_ISA=" << asked << ", oneDNN runs " << onednn::cpu_isa());
  const std::pair<const char*, bool> levels[] = {
      {"sse41", __builtin_cpu_supports("sse4.1")},
      {"avx", __builtin_cpu_supports("avx")},
      {"avx2", __builtin_cpu_supports("avx2")},
      {"avx512_core", __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") &&
                          __builtin_cpu_supports("avx512dq")}};
  for (const auto& [level, cpu_has] : levels)
    if (asked == level && cpu_has) CHECK(onednn::cpu_isa() == level);
  const char* gradlab_asked = std::getenv("GRADLAB_MAX_CPU_ISA");
  INFO("GRADLAB_MAX_CPU_ISA=" << (gradlab_asked ? gradlab_asked : "") << ", gradlab runs "
                              << to_string(simd_level()));
  if (gradlab_asked && std::string(gradlab_asked) == "baseline")
    CHECK(simd_level() == SimdLevel::baseline);
  else
    CHECK(simd_level() == cpu_simd_level());
}

TEST_CASE("oneDNN sgemm matches the reference gemm with every transpose", "[onednn][parity]") {
  Rng rng(1);
  for (int trial = 0; trial < 30; ++trial) {
    const std::size_t M = 1 + rng.below(70), N = 1 + rng.below(70), K = 1 + rng.below(90);
    const bool ta = rng.bernoulli(0.5), tb = rng.bernoulli(0.5), accumulate = rng.bernoulli(0.5);
    std::vector<double> A(M * K), B(K * N), C(M * N);
    for (double& v : A) v = rng.uniform(-1, 1);
    for (double& v : B) v = rng.uniform(-1, 1);
    for (double& v : C) v = rng.uniform(-1, 1);
    std::vector<float> Af(A.begin(), A.end()), Bf(B.begin(), B.end()), Cf(C.begin(), C.end());
    reference::gemm(ta, tb, M, N, K, A.data(), B.data(), C.data(), accumulate);
    onednn::sgemm(ta, tb, M, N, K, Af.data(), Bf.data(), Cf.data(), accumulate);
    INFO("M=" << M << " N=" << N << " K=" << K << " ta=" << ta << " tb=" << tb
              << " acc=" << accumulate);
    CHECK(scaled_error(Cf, C, C.size()) <= kParityTolerance);
  }
}

TEST_CASE("oneDNN Linear matches the float64 reference, forward and backward", "[onednn][parity]") {
  Rng rng(2);
  struct Case {
    std::size_t N, D_in, D_out;
  };
  for (const Case& c :
       {Case{1, 1, 1}, Case{1, 784, 256}, Case{7, 33, 5}, Case{64, 128, 10}, Case{3, 17, 29}}) {
    Rng init(10 + c.N);
    Linear<double> reference(c.D_in, c.D_out, init);
    Linear<float> fast(c.D_in, c.D_out, init);
    fast.set_backend(Backend::onednn);
    for (double& b : reference.bias().value) b = rng.uniform(-1, 1);
    copy_parameters(reference, fast);
    const Tensor<double> x = random_tensor({c.N, c.D_in}, rng),
                         dy = random_tensor({c.N, c.D_out}, rng);
    INFO("N=" << c.N << " D_in=" << c.D_in << " D_out=" << c.D_out);
    CHECK(scaled_error(fast.forward(to_float(x)), reference.forward(x)) <= kParityTolerance);
    CHECK(scaled_error(fast.backward(to_float(dy)), reference.backward(dy)) <= kParityTolerance);
    CHECK(scaled_error(fast.weight().grad, reference.weight().grad) <= kParityTolerance);
    CHECK(scaled_error(fast.bias().grad, reference.bias().grad) <= kParityTolerance);
  }
}

namespace {

struct ConvShape {
  std::size_t N, C_in, H, W, C_out, K, S, P;
};

// A float32 oneDNN Conv2d against the float64 reference: forward, input gradient and parameter
// gradients over two steps (gradients accumulating); returns the implementations it ran.
std::vector<std::string> check_conv_parity(const ConvShape& c, bool bias, std::uint64_t seed,
                                           Rng& rng) {
  Rng init(seed);
  Conv2d<double> reference(c.C_in, c.C_out, c.K, init, c.S, c.P, Init::kaiming_uniform, bias);
  Conv2d<float> fast(c.C_in, c.C_out, c.K, init, c.S, c.P, Init::kaiming_uniform, bias);
  fast.set_backend(Backend::onednn);
  if (bias)
    for (double& b : reference.bias().value) b = rng.uniform(-1, 1);
  copy_parameters(reference, fast);
  const Tensor<double> x = random_tensor({c.N, c.C_in, c.H, c.W}, rng);
  const Shape out = reference.output_shape(shape_of(x));
  const Tensor<double> dy = random_tensor(out, rng);
  INFO(fast.name() << " on " << to_string(shape_of(x)) << (bias ? "" : " (no bias)"));
  CHECK(scaled_error(fast.forward(to_float(x)), reference.forward(x)) <= kParityTolerance);
  CHECK(scaled_error(fast.backward(to_float(dy)), reference.backward(dy)) <= kParityTolerance);
  CHECK(scaled_error(fast.weight().grad, reference.weight().grad) <= kParityTolerance);
  if (bias) CHECK(scaled_error(fast.bias().grad, reference.bias().grad) <= kParityTolerance);
  // A second step must not reuse stale staged data, and gradients must keep accumulating.
  CHECK(scaled_error(fast.forward(to_float(x)), reference.forward(x)) <= kParityTolerance);
  CHECK(scaled_error(fast.backward(to_float(dy)), reference.backward(dy)) <= kParityTolerance);
  CHECK(scaled_error(fast.weight().grad, reference.weight().grad) <= kParityTolerance);
  if (bias) CHECK(scaled_error(fast.bias().grad, reference.bias().grad) <= kParityTolerance);
  const std::vector<std::string> implementations = fast.implementations(shape_of(x));
  for (const std::string& implementation : implementations) {
    INFO("implementation " << implementation);
    CHECK(implementation.rfind("ref", 0) != 0);
    CHECK(implementation.find(" ref") == std::string::npos);  // a reorder's
  }
  return implementations;
}

ConvShape random_conv_shape(Rng& rng) {
  ConvShape c{};
  c.N = 1 + rng.below(3), c.C_in = 1 + rng.below(33), c.C_out = 1 + rng.below(33);
  c.K = 1 + rng.below(5), c.S = 1 + rng.below(2), c.P = rng.below(3);
  c.H = std::max<std::size_t>(c.K, 3 + rng.below(14));
  c.W = std::max<std::size_t>(c.K, 3 + rng.below(14));
  return c;
}

}  // namespace

TEST_CASE("oneDNN Conv2d matches the float64 reference on random shapes, with no ref: kernels",
          "[onednn][parity]") {
  Rng rng(3);
  for (int trial = 0; trial < 24; ++trial)
    check_conv_parity(random_conv_shape(rng), trial % 5 != 4, 100 + trial, rng);
}

TEST_CASE("oneDNN Conv2d avoids ref: kernels where oneDNN's preferred layout has only those",
          "[onednn][parity]") {
  // On an AVX-512 EPYC, oneDNN 2.6 had only ref:any for these with the input pinned to the
  // forward's nChw16c (issue #11); the kernel must find another layout or run im2col.
  Rng rng(16);
  for (const ConvShape& c :
       {ConvShape{2, 27, 4, 4, 32, 3, 2, 2}, ConvShape{2, 21, 9, 5, 20, 3, 2, 2},
        ConvShape{1, 33, 13, 15, 32, 3, 1, 2}, ConvShape{64, 27, 15, 15, 21, 3, 2, 2}})
    check_conv_parity(c, true, 200 + c.C_in, rng);
}

TEST_CASE("With every oneDNN kernel refused, Conv2d runs im2col + sgemm, says so, and matches",
          "[onednn][parity]") {
  // What a CPU whose oneDNN has only reference kernels for a shape gets, on any CPU: an empty
  // prefix rejects every implementation name.
  NoticeCapture capture;
  onednn::set_rejected_implementations({""});
  Rng rng(17);
  for (int trial = 0; trial < 12; ++trial) {
    const std::vector<std::string> implementations =
        check_conv_parity(random_conv_shape(rng), trial % 5 != 4, 300 + trial, rng);
    REQUIRE(implementations.size() >= 3);
    for (std::size_t pass = 0; pass < 3; ++pass)
      CHECK(implementations[pass] == "gradlab:im2col+sgemm");
  }
  CHECK(capture.any_contains("forward runs gradlab's im2col + sgemm"));
  CHECK(capture.any_contains("backward-data runs gradlab's im2col + sgemm"));
  CHECK(capture.any_contains("backward-weights runs gradlab's im2col + sgemm"));
}

TEST_CASE("With oneDNN's preferred layout refused, Conv2d runs another layout and says which",
          "[onednn][parity]") {
  // Refuse whatever oneDNN picks for "any": the next candidate layout must run, not im2col.
  Rng rng(18);
  const ConvShape c{2, 16, 10, 10, 16, 3, 1, 1};
  std::string preferred;
  {
    Rng init(1);
    Conv2d<float> probe(c.C_in, c.C_out, c.K, init, c.S, c.P);
    probe.set_backend(Backend::onednn);
    preferred = probe.implementations({c.N, c.C_in, c.H, c.W})[0];
  }
  NoticeCapture capture;
  onednn::set_rejected_implementations({preferred});
  const std::vector<std::string> implementations = check_conv_parity(c, true, 400, rng);
  INFO("oneDNN's preferred forward kernel: " << preferred);
  CHECK(implementations[0] != preferred);
  CHECK(implementations[0] != "gradlab:im2col+sgemm");
  CHECK(capture.any_contains("forward runs " + implementations[0] + " on "));
}

TEST_CASE("The LeNet convolutions run oneDNN's JIT kernels, never a ref: fallback", "[onednn]") {
  Rng rng(4);
  Conv2d<float> conv1(1, 16, 5, rng, 1, 2), conv2(16, 32, 5, rng, 1, 2);
  conv1.set_backend(Backend::onednn);
  conv2.set_backend(Backend::onednn);
  for (auto [conv, shape] :
       {std::pair{&conv1, Shape{64, 1, 28, 28}}, std::pair{&conv2, Shape{64, 16, 14, 14}}}) {
    const std::vector<std::string> implementations = conv->implementations(shape);
    REQUIRE(implementations.size() >= 3);  // forward, backward-data, backward-weights, reorders
    for (const std::string& implementation : implementations) {
      INFO(conv->name() << ": " << implementation);
      CHECK(implementation.rfind("ref", 0) != 0);
    }
    CHECK(implementations[0].find("jit") != std::string::npos);  // "jit:avx2", "x64:gemm:jit", ...
    // conv1's backward-weights (one input channel) is gradlab's own, faster than oneDNN's here:
    // direct with AVX2 on the blocked gradient, else im2col + oneDNN sgemm.
    if (conv == &conv1)
      CHECK(implementations[2] ==
            (simd_level() == SimdLevel::avx2 ? "gradlab:blocked_avx2" : "gradlab:im2col+sgemm"));
    else
      CHECK(implementations[2].find("jit") != std::string::npos);
  }
}

TEST_CASE("im2col backward-weights matches the reference and accumulates", "[onednn][parity]") {
  // Random geometries: batch 1 and more than the threads, stride 1–2, padding 0–2, kernels 1–5
  // and 1–3 input channels (LeNet uses it for 1; the unrolling is general).
  Rng rng(9);
  for (int trial = 0; trial < 25; ++trial) {
    const std::size_t N = trial == 0 ? 1 : 1 + rng.below(5), C_in = 1 + rng.below(3),
                      C_out = 1 + rng.below(9);
    const std::size_t K = 1 + rng.below(5), S = 1 + rng.below(2), P = rng.below(3);
    const std::size_t H = K + rng.below(9), W = K + rng.below(9);
    const reference::Conv2dGeometry g =
        reference::make_conv2d_geometry(N, C_in, H, W, C_out, K, S, P);
    INFO("N=" << N << " C_in=" << C_in << " C_out=" << C_out << " H=" << H << " W=" << W
              << " K=" << K << " S=" << S << " P=" << P);
    const WeightGradientCase c(g, rng);
    Tensor<float> fast_dw = to_float(c.dw0), fast_db = to_float(c.db0);
    onednn::Im2colConvolution kernel;
    kernel.backward_weights(g, to_float(c.x).data(), to_float(c.dy).data(), fast_dw.data(),
                            fast_db.data());
    CHECK(scaled_error(fast_dw, c.dw) <= kParityTolerance);
    CHECK(scaled_error(fast_db, c.db) <= kParityTolerance);
    // The same dy in oneDNN's nChw8c layout, as the fused block passes it.
    const std::vector<float> blocked = to_blocked(c.dy, 8, rng);
    Tensor<float> blocked_dw = to_float(c.dw0), blocked_db = to_float(c.db0);
    kernel.backward_weights(g, to_float(c.x).data(), blocked.data(), blocked_dw.data(),
                            blocked_db.data(), 8);
    CHECK(scaled_error(blocked_dw, c.dw) <= kParityTolerance);
    CHECK(scaled_error(blocked_db, c.db) <= kParityTolerance);
  }
}

TEST_CASE("im2col forward and backward-data match the reference", "[onednn][parity]") {
  // The fallback for passes oneDNN has only reference kernels for: any geometry, including
  // padding wider than the kernel and strides that skip pixels.
  Rng rng(19);
  for (int trial = 0; trial < 25; ++trial) {
    const std::size_t N = 1 + rng.below(5), C_in = 1 + rng.below(6), C_out = 1 + rng.below(9);
    const std::size_t K = 1 + rng.below(5), S = 1 + rng.below(3), P = rng.below(4);
    const std::size_t H = K + rng.below(9), W = K + rng.below(9);
    const reference::Conv2dGeometry g =
        reference::make_conv2d_geometry(N, C_in, H, W, C_out, K, S, P);
    INFO("N=" << N << " C_in=" << C_in << " C_out=" << C_out << " H=" << H << " W=" << W
              << " K=" << K << " S=" << S << " P=" << P);
    const Tensor<double> x = random_tensor({N, C_in, H, W}, rng),
                         w = random_tensor({C_out, C_in, K, K}, rng),
                         b = random_tensor({C_out}, rng),
                         dy = random_tensor({N, C_out, g.H_out, g.W_out}, rng);
    Tensor<double> y = Tensor<double>::from_shape({N, C_out, g.H_out, g.W_out}),
                   dx = Tensor<double>::from_shape({N, C_in, H, W});
    reference::conv2d_forward(g, x.data(), w.data(), b.data(), y.data());
    reference::conv2d_backward_data(g, dy.data(), w.data(), dx.data());
    Tensor<float> fast_y = Tensor<float>::from_shape(shape_of(y)),
                  fast_dx = Tensor<float>::from_shape(shape_of(dx));
    fast_y.fill(7.0f);  // both passes overwrite
    fast_dx.fill(7.0f);
    onednn::Im2colConvolution kernel;
    kernel.forward(g, to_float(x).data(), to_float(w).data(), to_float(b).data(), fast_y.data());
    kernel.backward_data(g, to_float(dy).data(), to_float(w).data(), fast_dx.data());
    CHECK(scaled_error(fast_y, y) <= kParityTolerance);
    CHECK(scaled_error(fast_dx, dx) <= kParityTolerance);
    // Without a bias.
    reference::conv2d_forward(g, x.data(), w.data(), static_cast<const double*>(nullptr), y.data());
    kernel.forward(g, to_float(x).data(), to_float(w).data(), nullptr, fast_y.data());
    CHECK(scaled_error(fast_y, y) <= kParityTolerance);
  }
}

TEST_CASE("Blocked AVX2 backward-weights matches the reference and accumulates",
          "[onednn][parity]") {
  // dy in nChw8c and nChw16c, with noise in the padding channels; kernels 1–7 (the fast path's
  // range), stride 1–3, padding 0–2, 1–3 input channels, odd widths (the unpaired last column).
  Rng rng(10);
  int ran = 0;
  for (int trial = 0; trial < 30; ++trial) {
    const std::size_t block = trial % 2 == 0 ? 8 : 16;
    const std::size_t N = 1 + rng.below(4), C_in = 1 + rng.below(3), C_out = 1 + rng.below(20);
    const std::size_t K = 1 + rng.below(7), S = 1 + rng.below(3), P = rng.below(3);
    const std::size_t H = K + rng.below(12), W = K + rng.below(12);
    const reference::Conv2dGeometry g =
        reference::make_conv2d_geometry(N, C_in, H, W, C_out, K, S, P);
    INFO("block " << block << " N=" << N << " C_in=" << C_in << " C_out=" << C_out << " H=" << H
                  << " W=" << W << " K=" << K << " S=" << S << " P=" << P);
    if (!onednn::BlockedBackwardWeights::supports(g, block)) continue;  // without AVX2
    ++ran;
    const WeightGradientCase c(g, rng);
    const std::vector<float> blocked = to_blocked(c.dy, block, rng);
    Tensor<float> fast_dw = to_float(c.dw0), fast_db = to_float(c.db0);
    onednn::BlockedBackwardWeights kernel;
    kernel.run(g, to_float(c.x).data(), blocked.data(), block, fast_dw.data(), fast_db.data());
    CHECK(scaled_error(fast_dw, c.dw) <= kParityTolerance);
    CHECK(scaled_error(fast_db, c.db) <= kParityTolerance);
  }
  INFO("gradlab's SIMD level: " << to_string(simd_level()));
  CHECK(ran == (simd_level() == SimdLevel::avx2 ? 30 : 0));
}

namespace {

// Plain N × C × H × W values from a blocked nChw{B}c buffer (padding channels dropped).
Tensor<double> from_blocked(const std::vector<float>& blocked, const Shape& shape,
                            std::size_t block) {
  const std::size_t N = shape[0], C = shape[1], Q = shape[2] * shape[3];
  const std::size_t blocks = (C + block - 1) / block;
  Tensor<double> plain = Tensor<double>::from_shape(shape);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t q = 0; q < Q; ++q)
        plain.data()[(n * C + c) * Q + q] =
            blocked[((n * blocks + c / block) * Q + q) * block + c % block];
  return plain;
}

// Restores gradlab's SIMD level however a test ends.
struct SimdLevelGuard {
  ~SimdLevelGuard() { set_max_simd_level(SimdLevel::avx2); }
};

}  // namespace

TEST_CASE("Blocked max-pooling matches MaxPool2d, on the AVX2 and the portable path alike",
          "[onednn][parity]") {
  // ReLU outputs (many exact zeros, so many ties) in nChw8c and nChw16c; windows 1–4, strides
  // 1–4 (overlapping, tiling, with gaps), odd sizes. Forward y and argmax must equal MaxPool2d's;
  // backward is MaxPool2d's, or relu-then-pool's: dx = MaxPool2d's backward of dy · [y > 0].
  // Both SIMD levels run in this process; their results must be bit-identical.
  SimdLevelGuard guard;
  Rng rng(20);
  int avx2_runs = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const std::size_t block = trial % 2 == 0 ? 8 : 16;
    const std::size_t N = 1 + rng.below(3), C = 1 + rng.below(20),
                      K = trial < 8 ? 2 : 1 + rng.below(4);
    const std::size_t S = trial < 8 ? 2 : 1 + rng.below(4);
    const std::size_t H = K + rng.below(9), W = K + rng.below(9);
    INFO("block " << block << " N=" << N << " C=" << C << " H=" << H << " W=" << W << " K=" << K
                  << " S=" << S << (trial % 2 == 0 ? " with ReLU's mask" : ""));
    Tensor<double> x = Tensor<double>::from_shape({N, C, H, W});
    for (double& v : x) v = std::max(0.0, static_cast<double>(static_cast<int>(rng.below(7)) - 3));
    MaxPool2d<double> reference(K, S);
    const Tensor<double> y = reference.forward(x);
    Tensor<double> dy = random_tensor(shape_of(y), rng);
    // With the mask (a ReLU before the pooling, its backward folded in) on even trials.
    const bool relu_mask = trial % 2 == 0;
    Tensor<double> masked_dy = dy;
    if (relu_mask)
      for (std::size_t i = 0; i < y.size(); ++i) masked_dy.data()[i] *= y.data()[i] > 0 ? 1.0 : 0.0;
    const Tensor<double> dx = reference.backward(masked_dy);

    const onednn::BlockedPoolGeometry g{N,         (C + block - 1) / block, H, W, K, S, y.shape(2),
                                        y.shape(3)};
    std::vector<std::vector<double>> results;
    for (SimdLevel level : {SimdLevel::avx2, SimdLevel::baseline}) {
      set_max_simd_level(level);
      if (level == SimdLevel::avx2 && simd_level() != SimdLevel::avx2) continue;  // CPU without
      avx2_runs += level == SimdLevel::avx2;
      INFO("SIMD level " << to_string(level));
      const std::vector<float> blocked_x = to_blocked(x, block, rng);
      const std::vector<float> blocked_dy = to_blocked(dy, block, rng);
      std::vector<float> blocked_y(g.N * g.channel_blocks * g.H_out * g.W_out * block);
      std::vector<std::uint8_t> argmax(blocked_y.size());
      std::vector<float> blocked_dx(blocked_x.size(), 5.0f);  // overwritten
      auto pool = [&](auto width) {
        constexpr std::size_t B = decltype(width)::value;
        onednn::blocked_maxpool_forward<B>(g, blocked_x.data(), blocked_y.data(), argmax.data());
        // The padding channels of y are pooled noise; zero them as oneDNN's would be, so that
        // [y > 0] is false there.
        for (std::size_t i = 0; i < blocked_y.size(); ++i) {
          const std::size_t channel = (i / (g.H_out * g.W_out * B)) % g.channel_blocks * B + i % B;
          if (channel >= C) blocked_y[i] = 0.0f;
        }
        onednn::blocked_maxpool_backward<B>(g, blocked_dy.data(),
                                            relu_mask ? blocked_y.data() : nullptr, argmax.data(),
                                            blocked_dx.data(), relu_mask);
      };
      if (block == 8)
        pool(std::integral_constant<std::size_t, 8>{});
      else
        pool(std::integral_constant<std::size_t, 16>{});
      CHECK(scaled_error(from_blocked(blocked_y, shape_of(y), block), y, y.size()) == 0.0);
      CHECK(scaled_error(from_blocked(blocked_dx, shape_of(x), block), dx, dx.size()) <= 1e-6);
      const Tensor<double> plain_dx = from_blocked(blocked_dx, shape_of(x), block);
      results.emplace_back(plain_dx.begin(), plain_dx.end());
    }
    if (results.size() == 2) CHECK(results[0] == results[1]);
  }
  if (cpu_simd_level() == SimdLevel::avx2) CHECK(avx2_runs == 40);
}

TEST_CASE("One training step gives the same parameters on both backends", "[onednn][parity]") {
  auto build = [](auto& model, Rng& rng) {
    using T = typename std::remove_reference_t<decltype(model)>::value_type;
    model.template emplace<Conv2d<T>>(2, 8, 3, rng, 1, 1);
    model.template emplace<ReLU<T>>();
    model.template emplace<MaxPool2d<T>>(2);
    model.template emplace<Conv2d<T>>(8, 12, 3, rng, 2, 0);
    model.template emplace<ReLU<T>>();
    model.template emplace<Flatten<T>>();
    model.template emplace<Linear<T>>(12 * 2 * 2, 10, rng);
  };
  Rng rng_a(5), rng_b(5), data_rng(6);
  Sequential<double> reference;
  build(reference, rng_a);
  Sequential<float> fast;
  build(fast, rng_b);
  reference.set_backend(Backend::reference);
  fast.set_backend(Backend::onednn);
  copy_parameters(reference, fast);
  const Tensor<double> x = random_tensor({5, 2, 10, 10}, data_rng);
  const Labels y{1, 7, 3, 3, 0};

  SoftmaxCrossEntropy<double> loss_reference;
  SoftmaxCrossEntropy<float> loss_fast;
  Adam<double> adam_reference(reference.named_parameters(), 0.01);
  Adam<float> adam_fast(fast.named_parameters(), 0.01);
  loss_reference.forward(reference.forward(x), y);
  reference.backward(loss_reference.backward());
  adam_reference.step();
  loss_fast.forward(fast.forward(to_float(x)), y);
  fast.backward(loss_fast.backward());
  adam_fast.step();

  const auto a = reference.named_parameters();
  const auto b = fast.named_parameters();
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].name);
    CHECK(scaled_error(b[i].parameter->grad, a[i].parameter->grad) <= kParityTolerance);
    CHECK(scaled_error(b[i].parameter->value, a[i].parameter->value) <= kParityTolerance);
  }
}
