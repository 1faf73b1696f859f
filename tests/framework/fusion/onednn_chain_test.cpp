// Chains (fusion/onednn_chain.h): runs of Conv2d, BatchNorm2d, ReLU and MaxPool2d layers run as
// one step on oneDNN, against the same layers run one by one on the float64 reference: output,
// input gradient, parameter gradients and running statistics over two steps (gradients
// accumulating), in training and in evaluation, on random geometries and random orders of
// layers, to the parity tolerance of tests/parity_support.h.
#include "framework/fusion/onednn_chain.h"
#include "framework/runtime.h"

#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "framework/kernels/onednn/context.h"
#include "framework/kernels/simd.h"
#include "framework/layers/batchnorm.h"
#include "framework/layers/conv2d.h"
#include "framework/layers/flatten.h"
#include "framework/layers/global_avgpool2d.h"
#include "framework/layers/linear.h"
#include "framework/layers/maxpool2d.h"
#include "framework/layers/relu.h"
#include "framework/layers/sigmoid.h"
#include "framework/residual.h"
#include "framework/sequential.h"
#include "tests/parity_support.h"
#include "tests/support.h"

using namespace gradlab;
using namespace gradlab::testing;

namespace {

struct LayerSpec {
  enum Kind { conv, relu, pool, bn, residual, sigmoid } kind;
  std::size_t C_out = 0, K = 0, S = 1, P = 0;       // conv: all; pool: K, S
  bool affine = true;                               // bn
  std::vector<LayerSpec> body = {}, shortcut = {};  // residual (an empty shortcut: the identity)
};
using Specs = std::vector<LayerSpec>;

std::string describe(const Specs& specs) {
  std::ostringstream text;
  for (const LayerSpec& l : specs) {
    if (l.kind == LayerSpec::conv)
      text << " conv(" << l.C_out << " K" << l.K << " S" << l.S << " P" << l.P << ")";
    else if (l.kind == LayerSpec::relu)
      text << " relu";
    else if (l.kind == LayerSpec::bn)
      text << (l.affine ? " bn" : " bn(affine=false)");
    else if (l.kind == LayerSpec::residual)
      text << " residual[" << describe(l.body) << " |"
           << (l.shortcut.empty() ? " identity" : describe(l.shortcut)) << " ]";
    else if (l.kind == LayerSpec::sigmoid)
      text << " sigmoid";
    else
      text << " pool(" << l.K << "/" << l.S << ")";
  }
  return text.str();
}

// Appends the layers; input channels follow from C_in through the convolutions. Returns the
// output's channels.
template <class T>
std::size_t add_layers(Sequential<T>& model, std::size_t C_in, const Specs& specs, bool bias) {
  Rng init(7);
  std::size_t C = C_in;
  for (const LayerSpec& l : specs) {
    if (l.kind == LayerSpec::residual) {
      auto body = std::make_unique<Sequential<T>>();
      const std::size_t C_out = add_layers(*body, C, l.body, bias);
      std::unique_ptr<Sequential<T>> shortcut;
      if (!l.shortcut.empty()) {
        shortcut = std::make_unique<Sequential<T>>();
        add_layers(*shortcut, C, l.shortcut, bias);
      }
      model.add(std::make_unique<Residual<T>>(std::move(body), std::move(shortcut)));
      C = C_out;
    } else if (l.kind == LayerSpec::sigmoid) {
      model.template emplace<Sigmoid<T>>();
    } else if (l.kind == LayerSpec::conv) {
      model.template emplace<Conv2d<T>>(C, l.C_out, l.K, init, l.S, l.P, Init::kaiming_uniform,
                                        bias);
      C = l.C_out;
    } else if (l.kind == LayerSpec::relu) {
      model.template emplace<ReLU<T>>();
    } else if (l.kind == LayerSpec::bn) {
      model.template emplace<BatchNorm<T>>(BatchNormKind::d2, C, 1e-5, 0.1, l.affine);
    } else {
      model.template emplace<MaxPool2d<T>>(l.K, l.S);
    }
  }
  return C;
}

// Every module's latest output (Module::set_output_observer), by its path in the model.
template <class T>
class OutputRecorder : public OutputObserver<T> {
 public:
  explicit OutputRecorder(Module<T>& model) {
    for (const auto& [path, module] : named_modules(model))
      if (!path.empty()) {
        paths_[module] = path;
        module->set_output_observer(this);
      }
  }
  void output(Module<T>& module, const T* values, const Shape& shape) override {
    Tensor<T>& output = outputs[paths_.at(&module)];
    output.resize(shape);
    std::copy(values, values + output.size(), output.data());
  }
  std::map<std::string, Tensor<T>> outputs;

 private:
  std::map<const Module<T>*, std::string> paths_;
};

// The modules a chain tells no output of: a layer whose ReLU runs inside it (the ReLU tells
// the result), and a residual block's branches (their last layers tell theirs), under the
// fusion options in force.
std::set<std::string> told_by_others(Sequential<float>& model) {
  const auto ends_with = [](const std::string& text, const std::string& end) {
    return text.size() >= end.size() &&
           text.compare(text.size() - end.size(), end.size(), end) == 0;
  };
  const FusionOptions& fused = fusion_options();
  std::set<std::string> paths;
  for (const auto& [path, module] : named_modules<float>(model)) {
    auto* sequence = dynamic_cast<Sequential<float>*>(module);
    if (!sequence) continue;
    if (fused.residual && (ends_with(path, "body") || ends_with(path, "shortcut")))
      paths.insert(path);
    for (std::size_t i = 0; i + 1 < sequence->size(); ++i) {
      const std::string kind = (*sequence)[i].describe().kind;
      if ((*sequence)[i + 1].describe().kind == "relu" &&
          (kind == "conv2d" ||
           (kind == "batchnorm2d" && fused.batch_norm && fused.batch_norm_relu) ||
           (kind == "residual" && fused.residual)))
        paths.insert((path.empty() ? "" : path + ".") + std::to_string(i));
    }
  }
  return paths;
}

struct ChainResult {
  bool chained;                // the float model ran as one OnednnChain step
  std::size_t inner_reorders;  // reorders between its layers
  double worst_error = 0;      // the largest scaled error of any result checked
  std::vector<std::string> implementations;
};

// How a float model runs and what it must match the float64 layers to.
struct Run {
  Precision precision = Precision::f32;
  double tolerance = kParityTolerance;
  bool gradients = true;  // false: backward runs, but only values are checked
};

// Runs two steps of the layers on both backends, in training or evaluation, gradients
// accumulating over both, and checks every result; weights or biases can be set to one value
// (ties in pooling). Batch norms start from random γ, β and running statistics.
ChainResult check_chain_parity(const Shape& input, const Specs& specs, bool bias, bool input_grad,
                               Rng& rng, double set_weights = std::nan(""),
                               double set_bias = std::nan(""), bool training = true,
                               const Run& run = {}) {
  Sequential<double> reference;
  Sequential<float> fast;
  add_layers(reference, input[1], specs, bias);
  add_layers(fast, input[1], specs, bias);
  reference.set_backend(Backend::reference);
  fast.set_backend(Backend::onednn);
  fast.set_precision(run.precision);
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
  for (std::size_t i = 0; i < reference.size(); ++i)
    if (auto* norm = dynamic_cast<BatchNorm<double>*>(&reference[i])) {
      for (double& gamma : norm->weight().value) gamma = rng.uniform(0.5, 1.5);
      for (std::size_t c = 0; c < norm->num_features(); ++c) {
        norm->running_mean_data()[c] = rng.uniform(-0.5, 0.5);
        norm->running_var_data()[c] = rng.uniform(0.5, 2.0);
      }
    }
  // Inside residual blocks too: random running statistics, so that evaluation reads them.
  for (const auto& named : reference.named_buffers()) {
    if (named.name.find("body.") == std::string::npos &&
        named.name.find("shortcut.") == std::string::npos)
      continue;
    const bool mean = named.name.find("running_mean") != std::string::npos;
    for (double& v : *named.tensor) v = mean ? rng.uniform(-0.5, 0.5) : rng.uniform(0.5, 2.0);
  }
  copy_parameters(reference, fast);
  const auto reference_buffers = reference.named_buffers();
  const auto fast_buffers = fast.named_buffers();
  REQUIRE(reference_buffers.size() == fast_buffers.size());
  for (std::size_t i = 0; i < fast_buffers.size(); ++i)
    *fast_buffers[i].tensor = to_float(*reference_buffers[i].tensor);
  reference.train(training);
  fast.train(training);
  auto* chain = fast.step_count() == 1 ? dynamic_cast<OnednnChain*>(&fast.step(0)) : nullptr;
  OutputRecorder<double> reference_outputs(reference);
  OutputRecorder<float> fast_outputs(fast);

  double worst = 0;
  const auto within = [&](double error) {
    worst = std::max(worst, error);
    return error <= run.tolerance;
  };
  const Tensor<double> x = random_tensor(input, rng);
  const Tensor<double> dy = random_tensor(reference.output_shape(input), rng);
  for (int step = 0; step < 2; ++step) {
    INFO("step " << step);
    CHECK(within(scaled_error(fast.forward(to_float(x)), reference.forward(x))));
    // What the chain tells each layer's observer is that layer's output, where it has one.
    for (const auto& [path, output] : fast_outputs.outputs) {
      INFO("output of " << path);
      REQUIRE(reference_outputs.outputs.count(path));
      CHECK(within(scaled_error(output, reference_outputs.outputs.at(path))));
    }
    std::set<std::string> untold;
    for (const auto& [path, output] : reference_outputs.outputs)
      if (!fast_outputs.outputs.count(path)) untold.insert(path);
    const std::set<std::string> merged = told_by_others(fast);
    for (const std::string& path : untold) {
      INFO(path << " told no output");
      CHECK(merged.count(path));
    }
    if (chain) CHECK(untold == merged);
    const Tensor<float>& dx_fast = fast.backward(to_float(dy));
    const Tensor<double>& dx_reference = reference.backward(dy);
    if (!run.gradients) {
      for (std::size_t i = 0; i < fast_buffers.size(); ++i)
        CHECK(within(scaled_error(*fast_buffers[i].tensor, *reference_buffers[i].tensor)));
      continue;
    }
    if (input_grad)
      CHECK(within(scaled_error(dx_fast, dx_reference)));
    else
      CHECK(dx_fast.size() == 0);
    const auto a = reference.named_parameters();
    const auto f = fast.named_parameters();
    REQUIRE(a.size() == f.size());
    // A convolution's bias right before a batch norm in training has a gradient of exactly
    // zero (the batch mean takes any shift away): float leaves rounding noise there, which is
    // measured against the model's largest gradient instead. So are, in bf16, gradients zero
    // but for ε (a batch norm's γ before another batch norm, which takes any scale away) and
    // others far below the model's largest, whose rounding noise is bf16's, relative to that.
    const double negligible = run.precision == Precision::bf16 ? run.tolerance : 1e-9;
    double largest = 0;
    for (const auto& named : a)
      for (double g : named.parameter->grad) largest = std::max(largest, std::abs(g));
    for (std::size_t i = 0; i < a.size(); ++i) {
      INFO(a[i].name);
      const Tensor<double>& exact = a[i].parameter->grad;
      double own = 0;
      for (double g : exact) own = std::max(own, std::abs(g));
      if (own > negligible * largest) {
        CHECK(within(scaled_error(f[i].parameter->grad, exact)));
      } else {
        for (float g : f[i].parameter->grad) CHECK(std::abs(g) <= run.tolerance * largest);
      }
    }
    for (std::size_t i = 0; i < fast_buffers.size(); ++i) {
      INFO(fast_buffers[i].name);
      CHECK(within(scaled_error(*fast_buffers[i].tensor, *reference_buffers[i].tensor)));
    }
  }
  if (!chain) return {false, 0, worst, {}};
  const std::vector<std::string> implementations = chain->implementations(input);
  for (const std::string& implementation : implementations) {
    INFO("implementation " << implementation);
    CHECK(implementation.rfind("ref", 0) != 0);
    CHECK(implementation.find(" ref") == std::string::npos);  // a reorder's
  }
  return {true, chain->inner_reorders(input), worst, implementations};
}

// A random run of 1–6 layers with at least one convolution, on a random input it fits; with
// batch norms among them if asked.
std::pair<Shape, Specs> random_chain(Rng& rng, bool batch_norm = false) {
  const std::size_t N = 1 + rng.below(3), C = 1 + rng.below(20);
  std::size_t H = 6 + rng.below(20), W = 6 + rng.below(20);
  const Shape input{N, C, H, W};
  Specs specs;
  const std::size_t length = 1 + rng.below(6), forced_conv = rng.below(length);
  for (std::size_t i = 0; i < length; ++i) {
    const std::size_t draw = i == forced_conv ? 0 : rng.below(batch_norm ? 4 : 3);
    if (draw == 3) {
      LayerSpec l{LayerSpec::bn};
      l.affine = rng.below(4) != 0;
      specs.push_back(l);
      continue;
    }
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

TEST_CASE("Random runs with BatchNorm2d match the float64 layers, in training and evaluation",
          "[fusion][parity]") {
  // Batch norm before or after a convolution, with or without a ReLU after it (fused or not),
  // at the chain's start or end, affine or not; evaluation reads the running statistics.
  Rng rng(17);
  for (int trial = 0; trial < 40; ++trial) {
    const auto [input, specs] = random_chain(rng, true);
    const bool training = trial % 2 == 0;
    INFO("trial " << trial << ": " << to_string(input) << describe(specs)
                  << (training ? " training" : " evaluation"));
    CHECK(check_chain_parity(input, specs, trial % 5 != 4, trial % 3 != 2, rng, std::nan(""),
                             std::nan(""), training)
              .chained);
  }
}

// A residual block's body (models/builder.h's ResNet configs): conv, batch norm, ReLU, conv,
// batch norm.
const Specs kResidualBody{{LayerSpec::conv, 16, 3, 1, 1},
                          {LayerSpec::bn},
                          {LayerSpec::relu},
                          {LayerSpec::conv, 16, 3, 1, 1},
                          {LayerSpec::bn}};

// The body of a block to C_out channels with this stride.
Specs residual_body(std::size_t C_out, std::size_t stride) {
  return {{LayerSpec::conv, C_out, 3, stride, 1},
          {LayerSpec::bn},
          {LayerSpec::relu},
          {LayerSpec::conv, C_out, 3, 1, 1},
          {LayerSpec::bn}};
}

TEST_CASE("A residual body runs as one chain with BatchNorm2d on oneDNN, its ReLU inside",
          "[fusion][parity]") {
  NoticeCapture capture;
  Rng rng(18);
  INFO("oneDNN's instruction set: " << onednn::cpu_isa());
  // Fused (the default), with the ReLU apart, and with batch norm out of the chain.
  for (const FusionOptions options :
       {FusionOptions{true, true}, FusionOptions{true, false}, FusionOptions{false, false}}) {
    INFO("batch norm in chains " << options.batch_norm << ", its ReLU inside "
                                 << options.batch_norm_relu);
    set_fusion_options(options);
    const ChainResult result = check_chain_parity({4, 8, 10, 10}, kResidualBody, false, true, rng);
    CHECK(result.chained == options.batch_norm);
    if (result.chained && onednn::cpu_isa_has_avx2()) CHECK(result.inner_reorders == 0);
    Sequential<float> body;
    add_layers(body, 8, kResidualBody, false);
    body.set_backend(Backend::onednn);
    CHECK(body.step_count() ==
          (options.batch_norm ? 1u : 4u));  // else [conv], bn, [relu, conv], bn
    if (options.batch_norm) {
      const auto implementations =
          dynamic_cast<OnednnChain&>(body.step(0)).implementations({4, 8, 10, 10});
      std::size_t batch_norms = 0;
      for (const std::string& implementation : implementations)
        batch_norms += implementation.find("bnorm") != std::string::npos;
      CHECK(batch_norms == 4);  // two layers, forward and backward
    }
  }
  set_fusion_options({});
  CHECK(capture.notices.empty());
}

// A random ResNet-style block on C channels at H × W: body conv (K 1 or 3, stride 1–2, "same"
// padding), batch norm or not, ReLU or not, conv 3 × 3, batch norm or not, rarely a ReLU; a
// shortcut where the shape changes (a strided 1 × 1 conv, batch norm or not), else the identity
// or, at random, one. Updates C, H and W to the block's output.
LayerSpec random_residual(Rng& rng, std::size_t& C, std::size_t& H, std::size_t& W) {
  LayerSpec block{LayerSpec::residual};
  // At least two channels: a 1 × 1 convolution of one channel followed by a batch norm in
  // training is scale-invariant, its weight's gradient zero but for ε, mostly rounding noise.
  const std::size_t C_out = 2 + rng.below(32), K = rng.below(2) == 0 ? 1 : 3, S = 1 + rng.below(2);
  block.body.push_back({LayerSpec::conv, C_out, K, S, K / 2});
  if (rng.below(4) != 0) block.body.push_back({LayerSpec::bn});
  if (rng.below(3) != 0) block.body.push_back({LayerSpec::relu});
  block.body.push_back({LayerSpec::conv, C_out, 3, 1, 1});
  if (rng.below(4) != 0) block.body.push_back({LayerSpec::bn});
  // A ReLU ending the body: its backward overwrites the gradient the block hands it.
  if (rng.below(5) == 0) block.body.push_back({LayerSpec::relu});
  if (C_out != C || S != 1 || rng.below(3) == 0) {
    block.shortcut.push_back({LayerSpec::conv, C_out, 1, S, 0});
    if (rng.below(3) != 0) block.shortcut.push_back({LayerSpec::bn});
  }
  C = C_out;
  H = (H - 1) / S + 1;
  W = (W - 1) / S + 1;
  return block;
}

TEST_CASE("Residual blocks run inside chains and match the float64 layers", "[fusion][parity]") {
  // Random ResNets: a stem (conv, batch norm, ReLU) or none (the chain starts with a block,
  // whose input gradient may not be needed), one to three random blocks with a ReLU after each
  // or not, a max-pooling at the end or not; channels 2–33 (blocked layouts' padding), batch
  // 2–4, training and evaluation, with and without the input gradient.
  Rng rng(31);
  INFO("oneDNN's instruction set: " << onednn::cpu_isa());
  for (int trial = 0; trial < 30; ++trial) {
    std::size_t C = 2 + rng.below(20), H = 5 + rng.below(12), W = 5 + rng.below(12);
    const Shape input{2 + rng.below(3), C, H, W};
    Specs specs;
    if (rng.below(3) != 0) {
      const std::size_t stem = 2 + rng.below(24);
      specs = {{LayerSpec::conv, stem, 3, 1, 1}, {LayerSpec::bn}, {LayerSpec::relu}};
      C = stem;
    }
    const std::size_t blocks = 1 + rng.below(3);
    for (std::size_t b = 0; b < blocks; ++b) {
      specs.push_back(random_residual(rng, C, H, W));
      if (rng.below(4) != 0) specs.push_back({LayerSpec::relu});
    }
    if (rng.below(4) == 0 && H >= 2 && W >= 2) specs.push_back({LayerSpec::pool, 0, 2, 2});
    const bool training = trial % 2 == 0, input_grad = trial % 3 != 2;
    INFO("trial " << trial << ": " << to_string(input) << describe(specs)
                  << (training ? " training" : " evaluation") << (input_grad ? "" : " no dx"));
    CHECK(check_chain_parity(input, specs, false, input_grad, rng, std::nan(""), std::nan(""),
                             training)
              .chained);
  }
}

TEST_CASE("A ResNet's layers run as one chain from its stem to its last ReLU", "[fusion]") {
  // The shipped Fashion ResNet's first two blocks (experiments/fashion_resnet.json): one step
  // for the stem and the blocks with their ReLUs, then global pooling, Flatten, Linear.
  const Specs resnet{{LayerSpec::conv, 24, 3, 1, 1},
                     {LayerSpec::bn},
                     {LayerSpec::relu},
                     {LayerSpec::residual, 0, 0, 1, 0, true, residual_body(24, 1), {}},
                     {LayerSpec::relu},
                     {LayerSpec::residual,
                      0,
                      0,
                      1,
                      0,
                      true,
                      residual_body(48, 2),
                      {{LayerSpec::conv, 48, 1, 2, 0}, {LayerSpec::bn}}},
                     {LayerSpec::relu}};
  Sequential<float> model;
  add_layers(model, 1, resnet, false);
  Rng rng(3);
  model.emplace<GlobalAvgPool2d<float>>();
  model.emplace<Flatten<float>>();
  model.emplace<Linear<float>>(48, 10, rng);
  model.set_backend(Backend::onednn);
  REQUIRE(model.step_count() == 4);
  auto* chain = dynamic_cast<OnednnChain*>(&model.step(0));
  REQUIRE(chain != nullptr);
  CHECK(chain->module_count() == 7);
  CHECK(chain->kernel().op_names() ==
        std::vector<std::string>{"Conv2d(1 -> 24, kernel_size=3, stride=1, padding=1)",
                                 "BatchNorm2d(24) + ReLU", "Residual(body + identity) + ReLU",
                                 "Residual(body + shortcut) + ReLU"});
  INFO("oneDNN's instruction set: " << onednn::cpu_isa());
  if (onednn::cpu_isa_has_avx2()) CHECK(chain->inner_reorders({4, 1, 28, 28}) == 0);
  // Switched off, each block is its own step again, its body and shortcut chains of their own.
  set_fusion_options({true, true, false});
  model.set_backend(Backend::reference);
  model.set_backend(Backend::onednn);
  CHECK(model.step_count() == 8);  // stem, block, ReLU, block, ReLU, pooling, Flatten, Linear
  set_fusion_options({});
  // A block with a layer no chain runs is a step of its own, the chain ending before it; the
  // block's body runs its own chain inside.
  const Specs mixed_specs{{LayerSpec::conv, 4, 3, 1, 1},
                          {LayerSpec::residual,
                           0,
                           0,
                           1,
                           0,
                           true,
                           {{LayerSpec::conv, 4, 3, 1, 1}, {LayerSpec::sigmoid}},
                           {}},
                          {LayerSpec::relu}};
  Sequential<float> mixed;
  add_layers(mixed, 1, mixed_specs, false);
  mixed.set_backend(Backend::onednn);
  CHECK(mixed.step_count() == 3);
  CHECK(dynamic_cast<OnednnChain*>(&mixed.step(0)) != nullptr);
  CHECK(dynamic_cast<OnednnChain*>(&mixed.step(1)) == nullptr);
  Rng parity(5);
  CHECK_FALSE(check_chain_parity({2, 1, 6, 6}, mixed_specs, false, true, parity).chained);
}

// bf16 mixed precision (framework/precision.h) against the float64 layers. bf16 keeps 8 bits of
// mantissa: each operand a convolution reads is rounded with a relative error up to u = 2⁻⁹
// (≈ 0.002), so each product is off by up to 2u, and a sum of K products, accumulated in float32
// by oneDNN, by about 2u·√K times a typical product for random signs — relative to the sum's own
// scale (also √K times a product), about 2u: one convolution's results land within 2u of
// float64's (measured: 0.0033–0.0044 on single convolutions). Every convolution a result passes
// through adds its own rounding (forward to the output, backward through the layers above to
// the gradients), and batch norms rescale what arrives, so the error grows with depth (measured:
// up to 0.026 through seven). The tolerance is 4u per convolution in the chain, plus 4u:
// twice the single-convolution figure per layer; over five seeds' trials the worst error came
// to 0.55 of it.
constexpr double kBf16ErrorPerConvolution = 4.0 / 512;

std::size_t convolutions(const Specs& specs) {
  std::size_t count = 0;
  for (const LayerSpec& layer : specs)
    count +=
        (layer.kind == LayerSpec::conv) + convolutions(layer.body) + convolutions(layer.shortcut);
  return count;
}

// The layers without ReLU and max-pooling, inside residual blocks too. Both are exact in any
// precision, but where bf16 moves a value across a kink (a pre-activation within rounding of
// zero, two window values within rounding of each other) backward sends that element's gradient
// elsewhere than float64 does: a discontinuity, not a rounding error, of size one whole term of
// a weight gradient's sum (in a small test tensor, a tenth of it). The precision tier leaves
// them out; the chains with them are checked where the function is continuous, forward.
Specs without_kinks(const Specs& specs) {
  Specs kept;
  for (LayerSpec layer : specs) {
    if (layer.kind == LayerSpec::relu || layer.kind == LayerSpec::pool) continue;
    layer.body = without_kinks(layer.body);
    layer.shortcut = without_kinks(layer.shortcut);
    kept.push_back(layer);
  }
  return kept;
}

// A random run (random_chain) or a random ResNet (a stem and one or two random blocks, with
// ReLUs), on at least two input channels (one input channel runs float32: gradlab's kernels),
// the runs' convolutions with at least four output channels: a batch norm's γ gradient is one
// sum per channel, which can cancel to near zero by chance, and against so small a value bf16's
// error is large; over four channels or more, the largest sets the scale.
std::pair<Shape, Specs> random_bf16_case(Rng& rng, int trial) {
  if (trial % 2 == 0) {
    auto [input, specs] = random_chain(rng, true);
    input[1] = std::max<std::size_t>(input[1], 2);
    for (LayerSpec& layer : specs) layer.C_out = std::max<std::size_t>(layer.C_out, 4);
    return {input, specs};
  }
  std::size_t C = 2 + rng.below(20), H = 5 + rng.below(10), W = 5 + rng.below(10);
  const Shape input{2 + rng.below(3), C, H, W};
  Specs specs{{LayerSpec::conv, 2 + rng.below(24), 3, 1, 1}, {LayerSpec::bn}, {LayerSpec::relu}};
  C = specs[0].C_out;
  const std::size_t blocks = 1 + rng.below(2);
  for (std::size_t b = 0; b < blocks; ++b) {
    specs.push_back(random_residual(rng, C, H, W));
    specs.push_back({LayerSpec::relu});
  }
  return {input, specs};
}

bool names_bf16_kernel(const std::vector<std::string>& implementations) {
  for (const std::string& implementation : implementations)
    if (implementation.find("bf16") != std::string::npos ||
        implementation.find("amx") != std::string::npos)
      return true;
  return false;
}

TEST_CASE("bf16 chains match the float64 layers to bf16's precision, or run float32 without it",
          "[fusion][bf16]") {
  // Random runs of convolutions and batch norms, and random ResNets, without their kinks, with
  // bf16 asked for. On a CPU with AVX512_BF16 or AMX the convolutions compute in bf16 (their
  // error shows: above float32's tolerance, below bf16's): output, input gradient, every
  // parameter gradient and running statistic, in training and evaluation. Elsewhere they run
  // float32, to float32's tolerance, and say so once.
  NoticeCapture capture;
  const bool bf16 = onednn::cpu_isa_has_bf16();
  INFO("oneDNN's instruction set: " << onednn::cpu_isa());
  Rng rng(41);
  double worst = 0, worst_share = 0;  // the largest error, and of the tolerance
  bool bf16_kernel = false;
  for (int trial = 0; trial < 40; ++trial) {
    auto [input, specs] = random_bf16_case(rng, trial);
    specs = without_kinks(specs);
    if (convolutions(specs) == 0) specs.insert(specs.begin(), {LayerSpec::conv, 8, 3, 1, 1});
    const bool training = trial % 3 != 2, input_grad = trial % 4 != 3;
    INFO("trial " << trial << ": " << to_string(input) << describe(specs)
                  << (training ? " training" : " evaluation") << (input_grad ? "" : " no dx"));
    const double tolerance =
        bf16 ? kBf16ErrorPerConvolution * static_cast<double>(convolutions(specs) + 1)
             : kParityTolerance;
    const ChainResult result =
        check_chain_parity(input, specs, trial % 5 != 4, input_grad, rng, std::nan(""),
                           std::nan(""), training, Run{Precision::bf16, tolerance});
    CHECK(result.chained);
    worst = std::max(worst, result.worst_error);
    worst_share = std::max(worst_share, result.worst_error / tolerance);
    bf16_kernel = bf16_kernel || names_bf16_kernel(result.implementations);
  }
  WARN("bf16 against float64, 40 trials without kinks: worst scaled error "
       << worst << ", at most " << worst_share << " of its tolerance");
  if (bf16) {
    CHECK(bf16_kernel);
    CHECK(worst > 10 * kParityTolerance);  // bf16 did run: float32 is within 1e-4
  } else {
    CHECK_FALSE(bf16_kernel);
    CHECK(capture.any_contains("precision bf16: this CPU has neither AVX512_BF16 nor AMX"));
  }
}

TEST_CASE("bf16 chains with ReLU and max-pooling match the float64 layers forward",
          "[fusion][bf16]") {
  // The same random chains and ResNets with their kinks: the functions are continuous, so
  // outputs and running statistics stay within bf16's tolerance; backward runs (its gradients
  // may differ where a value crossed a kink, see without_kinks).
  const bool bf16 = onednn::cpu_isa_has_bf16();
  INFO("oneDNN's instruction set: " << onednn::cpu_isa());
  Rng rng(43);
  for (int trial = 0; trial < 20; ++trial) {
    const auto [input, specs] = random_bf16_case(rng, trial);
    const bool training = trial % 3 != 2;
    INFO("trial " << trial << ": " << to_string(input) << describe(specs)
                  << (training ? " training" : " evaluation"));
    const double tolerance =
        bf16 ? kBf16ErrorPerConvolution * static_cast<double>(convolutions(specs) + 1)
             : kParityTolerance;
    CHECK(check_chain_parity(input, specs, true, true, rng, std::nan(""), std::nan(""), training,
                             Run{Precision::bf16, tolerance, false})
              .chained);
  }
}

TEST_CASE("A chain's batch norm switches between batch and running statistics with train/eval",
          "[fusion][parity]") {
  // Two training steps, then evaluation, then training again: the same chain, its plans kept.
  Sequential<double> reference;
  Sequential<float> fast;
  add_layers(reference, 3, kResidualBody, true);
  add_layers(fast, 3, kResidualBody, true);
  reference.set_backend(Backend::reference);
  fast.set_backend(Backend::onednn);
  REQUIRE(fast.step_count() == 1);
  copy_parameters(reference, fast);
  Rng rng(19);
  const Tensor<double> x = random_tensor({3, 3, 9, 9}, rng);
  const Tensor<double> dy = random_tensor({3, 16, 9, 9}, rng);
  for (const bool training : {true, true, false, true}) {
    INFO((training ? "training" : "evaluation"));
    reference.train(training);
    fast.train(training);
    CHECK(scaled_error(fast.forward(to_float(x)), reference.forward(x)) <= kParityTolerance);
    CHECK(scaled_error(fast.backward(to_float(dy)), reference.backward(dy)) <= kParityTolerance);
    const auto a = reference.named_buffers();
    const auto f = fast.named_buffers();
    REQUIRE(a.size() == 4);
    for (std::size_t i = 0; i < a.size(); ++i) {
      INFO(a[i].name);
      CHECK(scaled_error(*f[i].tensor, *a[i].tensor) <= kParityTolerance);
    }
  }
}

TEST_CASE("Each batch norm in a chain keeps its own mode, as a frozen one set to eval alone",
          "[fusion][parity]") {
  // PyTorch's way of freezing BatchNorm while the rest trains: eval() on that layer alone. The
  // chain's two batch norms each run in their own layer's mode, one frozen at a time.
  for (const std::size_t frozen : {0, 1}) {
    INFO("frozen batch norm " << frozen);
    Sequential<double> reference;
    Sequential<float> fast;
    add_layers(reference, 3, kResidualBody, false);  // no conv bias: BatchNorm's shift is one
    add_layers(fast, 3, kResidualBody, false);
    reference.set_backend(Backend::reference);
    fast.set_backend(Backend::onednn);
    REQUIRE(fast.step_count() == 1);
    copy_parameters(reference, fast);
    std::vector<std::size_t> norms;
    for (std::size_t i = 0; i < reference.size(); ++i)
      if (dynamic_cast<BatchNorm<double>*>(&reference[i])) norms.push_back(i);
    REQUIRE(norms.size() == 2);
    Rng rng(23);
    // Running statistics unlike any batch's, so that using the wrong ones shows.
    for (std::size_t c = 0; c < 16; ++c) {
      auto& norm = dynamic_cast<BatchNorm<double>&>(reference[norms[frozen]]);
      norm.running_mean_data()[c] = rng.uniform(-1.0, 1.0);
      norm.running_var_data()[c] = rng.uniform(0.25, 4.0);
    }
    const auto reference_buffers = reference.named_buffers();
    const auto fast_buffers = fast.named_buffers();
    for (std::size_t i = 0; i < fast_buffers.size(); ++i)
      *fast_buffers[i].tensor = to_float(*reference_buffers[i].tensor);
    reference[norms[frozen]].eval();
    fast[norms[frozen]].eval();
    const Tensor<double> x = random_tensor({3, 3, 9, 9}, rng);
    const Tensor<double> dy = random_tensor({3, 16, 9, 9}, rng);
    for (int step = 0; step < 2; ++step) {
      INFO("step " << step);
      CHECK(scaled_error(fast.forward(to_float(x)), reference.forward(x)) <= kParityTolerance);
      CHECK(scaled_error(fast.backward(to_float(dy)), reference.backward(dy)) <= kParityTolerance);
      const auto a = reference.named_parameters();
      const auto f = fast.named_parameters();
      REQUIRE(a.size() == f.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        INFO(a[i].name);
        CHECK(scaled_error(f[i].parameter->grad, a[i].parameter->grad) <= kParityTolerance);
      }
      // Running statistics as the layers': the frozen one's unchanged, the training one's moved.
      for (std::size_t i = 0; i < fast_buffers.size(); ++i) {
        INFO(reference_buffers[i].name);
        CHECK(scaled_error(*fast_buffers[i].tensor, *reference_buffers[i].tensor) <=
              kParityTolerance);
      }
    }
  }
}

TEST_CASE("A chain's batch norm refuses one value per channel in training, naming the layer",
          "[fusion]") {
  Sequential<float> model;
  add_layers(model, 2, {{LayerSpec::conv, 4, 1, 1, 0}, {LayerSpec::bn}}, true);
  model.set_backend(Backend::onednn);
  REQUIRE(dynamic_cast<OnednnChain*>(&model.step(0)) != nullptr);
  const Tensor<float> one_pixel = Tensor<float>::from_shape({1, 2, 1, 1});
  CHECK_THROWS_WITH(model.forward(one_pixel),
                    Catch::Contains("BatchNorm2d(4): expected more than 1 value per channel"));
  model.eval();
  CHECK(model.forward(one_pixel).size() == 4);
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
