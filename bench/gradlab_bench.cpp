// Benchmarks of gradlab (not tests: nothing here asserts). Prints one JSON object.
//   gradlab_bench kernels  — GFLOP/s of every matmul and convolution pass at the reference
//                            models' shapes (batch 64), both backends; the CNNs' convolutions as
//                            the training step runs them (chained with ReLU and pooling) and a
//                            layer alone
//   gradlab_bench train MODEL BACKEND BATCH [MNIST] — training and inference images/second of
//                            MODEL (mlp, lenet, strided, resnet (MNIST's) or fashion_resnet) on
//                            MNIST images from the folder MNIST (else random ones), the training
//                            GFLOP/s, and peak resident memory
//   gradlab_bench profile MODEL BATCH [MNIST] — a training step's time by part: each layer's
//                            forward and backward, the loss, the optimizer (oneDNN backend)
//   gradlab_bench overhead MODEL BATCH [MNIST] — a training step against the kernels it contains,
//                            alternating in one process (see overhead() below)
//   gradlab_bench batchnorm BATCH [MNIST] — the shipped ResNet's training images/second with
//                            BatchNorm2d as a layer, on oneDNN, and on oneDNN with its ReLU fused
//   gradlab_bench residual MODEL BATCH [MNIST] — a ResNet's training images/second with its
//                            residual blocks as steps of their own and inside the chain
//   gradlab_bench precision MODEL BATCH [MNIST] — training images/second in bf16 against f32
//                            (where the CPU has neither AVX512_BF16 nor AMX, bf16 runs f32)
//   gradlab_bench layer_stats MODEL BATCH [MNIST] — what a reading of the layer statistics
//                            (train/layer_stats.h) adds to a training step, alternating in one
//                            process, and so what they cost at an interval of N steps
// GRADLAB_BENCH_PRECISION=bf16 runs the train, profile and overhead modes' models in bf16.
//   gradlab_bench machine  — the CPU, the instruction sets oneDNN and gradlab's own kernels use,
//                            and the f32 matmul rate (2048³ sgemm, best of 5), and bf16's where
//                            the CPU has it
// The reference models: MLP 784-256-128-10 (SGD momentum 0.9, lr 0.1), the LeNet-style CNN and
// the strided CNN of issue #11 (3×3 convolutions, stride 2 and padding 2, 27, 21 and 33 channels,
// no Conv→ReLU→Pool triple) (Adam, lr 1e-3), softmax cross-entropy. bench/run.sh runs
// everything, and PyTorch on the same work, in one invocation.
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <oneapi/dnnl/dnnl.hpp>

#include "bench/data_bench.h"
#include "framework/fusion/onednn_chain.h"
#include "framework/fusion/plan.h"
#include "framework/kernels/backend.h"
#include "framework/kernels/onednn/chain/chain.h"
#include "framework/kernels/onednn/context.h"
#include "framework/kernels/reference/conv2d.h"
#include "framework/kernels/simd.h"
#include "framework/layers/linear.h"
#include "framework/losses/softmax_cross_entropy.h"
#include "framework/optim/adam.h"
#include "framework/optim/sgd.h"
#include "framework/precision.h"
#include "framework/runtime.h"
#include "models/builder.h"
#include "train/layer_stats.h"

using namespace gradlab;
using Clock = std::chrono::steady_clock;

namespace {

// Median-free but robust enough: run `work` until at least min_seconds and min_runs have passed
// (after warm-up runs), return seconds per run.
double time_per_run(const std::function<void()>& work, double min_seconds = 0.5, int min_runs = 5,
                    int warmup = 3) {
  for (int i = 0; i < warmup; ++i) work();
  int runs = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while (runs < min_runs || elapsed < min_seconds) {
    work();
    ++runs;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return elapsed / runs;
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // Linux reports KiB
}

std::vector<float> random_vector(std::size_t n, Rng& rng) {
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(rng.uniform(-1, 1));
  return v;
}

nlohmann::json bench_gemm(const std::string& name, Backend backend, bool ta, bool tb, std::size_t M,
                          std::size_t N, std::size_t K, Rng& rng) {
  const auto A = random_vector(M * K, rng), B = random_vector(K * N, rng);
  std::vector<float> C(M * N);
  const double seconds = time_per_run(
      [&] { kernels<float>(backend).gemm(ta, tb, M, N, K, A.data(), B.data(), C.data(), false); },
      backend == Backend::reference ? 0.2 : 0.3);
  const double flops = 2.0 * M * N * K;
  return {{"kernel", name},
          {"backend", to_string(backend)},
          {"counted", true},
          {"microseconds", seconds * 1e6},
          {"gflops", flops / seconds / 1e9}};
}

// A convolution pass with the reference loops, for the reference column.
nlohmann::json bench_reference_conv(const std::string& name, const std::string& pass,
                                    const reference::Conv2dGeometry& g, Rng& rng) {
  const auto x = random_vector(g.N * g.C_in * g.H * g.W, rng),
             w = random_vector(g.C_out * g.C_in * g.K * g.K, rng), b = random_vector(g.C_out, rng),
             dy = random_vector(g.N * g.C_out * g.H_out * g.W_out, rng);
  std::vector<float> y(dy.size()), dx(x.size()), dw(w.size()), db(b.size());
  std::function<void()> work;
  if (pass == "forward")
    work = [&] { reference::conv2d_forward(g, x.data(), w.data(), b.data(), y.data()); };
  else if (pass == "backward_data")
    work = [&] { reference::conv2d_backward_data(g, dy.data(), w.data(), dx.data()); };
  else
    work = [&] {
      reference::conv2d_backward_weights(g, x.data(), dy.data(), dw.data(), db.data());
    };
  const double seconds = time_per_run(work, 0.2, 2, 1);
  const double flops = 2.0 * g.N * g.C_out * g.H_out * g.W_out * g.C_in * g.K * g.K;
  return {{"kernel", name + " " + pass},
          {"backend", "reference"},
          {"counted", true},
          {"microseconds", seconds * 1e6},
          {"gflops", flops / seconds / 1e9}};
}

// Every kind of work a chain reports, with its name in the benchmark's output.
const std::vector<std::pair<onednn::Work, std::string>>& work_names() {
  using onednn::Work;
  static const std::vector<std::pair<Work, std::string>> names = {
      {Work::convolution_forward, "convolution forward"},
      {Work::convolution_backward_data, "convolution backward-data"},
      {Work::convolution_backward_weights, "convolution backward-weights"},
      {Work::batch_norm, "batch norm"},
      {Work::pooling, "pooling"},
      {Work::relu, "relu"},
      {Work::residual_sum, "residual sum"},
      {Work::reorder, "reorder"}};
  return names;
}

// Adds up a chain's time by op and kind of work (onednn::ChainObserver).
class WorkTotals : public onednn::ChainObserver {
 public:
  void ran(std::size_t op, onednn::Work work, double seconds) override {
    totals_[{op, work}] += seconds;
  }
  double seconds(std::size_t op, onednn::Work work) const {
    const auto found = totals_.find({op, work});
    return found == totals_.end() ? 0.0 : found->second;
  }
  double seconds(onednn::Work work) const {
    double sum = 0;
    for (const auto& [key, value] : totals_)
      if (key.second == work) sum += value;
    return sum;
  }
  // The convolution passes: the kernels of a step, apart from its pooling, ReLU and reorders.
  double convolution_seconds() const {
    return seconds(onednn::Work::convolution_forward) +
           seconds(onednn::Work::convolution_backward_data) +
           seconds(onednn::Work::convolution_backward_weights);
  }
  void reset() { totals_.clear(); }

 private:
  std::map<std::pair<std::size_t, onednn::Work>, double> totals_;
};

// A CNN's chain of layers (what a training step runs on oneDNN between the input and Flatten),
// timed by kind of work over repeated training steps: each convolution pass on its own, then
// pooling, ReLU and reorders together. With input_grad, the first layer's input gradient too
// (as a layer in the middle of a network would compute it).
// Rows are named "<model> conv<first_number + i> <C_in>-><C_out> <pass><suffix>".
nlohmann::json bench_chain(const std::string& model,
                           const std::vector<onednn::Chain::Layer>& layers,
                           const onednn::Chain::Shape4& input, bool counted, bool input_grad,
                           Rng& rng, std::size_t first_number = 1, const std::string& suffix = "") {
  onednn::Chain chain(layers);
  // Shapes through the chain, the convolutions' geometries and parameters.
  std::vector<reference::Conv2dGeometry> convolutions;
  std::vector<std::vector<float>> weights, biases, weight_grads, bias_grads;
  std::array<std::size_t, 4> shape = input;
  for (const onednn::Chain::Layer& layer : layers) {
    if (layer.kind == onednn::Chain::Layer::Kind::convolution) {
      const auto g = reference::make_conv2d_geometry(shape[0], shape[1], shape[2], shape[3],
                                                     layer.out_channels, layer.kernel_size,
                                                     layer.stride, layer.padding);
      convolutions.push_back(g);
      weights.push_back(random_vector(g.C_out * g.C_in * g.K * g.K, rng));
      biases.push_back(random_vector(g.C_out, rng));
      weight_grads.emplace_back(weights.back().size());
      bias_grads.emplace_back(biases.back().size());
      shape = {g.N, g.C_out, g.H_out, g.W_out};
    } else if (layer.kind == onednn::Chain::Layer::Kind::max_pool) {
      shape = {shape[0], shape[1], (shape[2] - layer.kernel_size) / layer.stride + 1,
               (shape[3] - layer.kernel_size) / layer.stride + 1};
    }
  }
  std::vector<onednn::LayerParameters> parameters;
  for (std::size_t c = 0; c < convolutions.size(); ++c)
    parameters.push_back(
        {weights[c].data(), biases[c].data(), weight_grads[c].data(), bias_grads[c].data()});
  const auto x = random_vector(input[0] * input[1] * input[2] * input[3], rng);
  const auto dy = random_vector(shape[0] * shape[1] * shape[2] * shape[3], rng);
  std::vector<float> y(dy.size()), dx(input_grad ? x.size() : 0);
  auto step = [&] {
    chain.forward(input, x.data(), y.data(), parameters);
    chain.backward(dy.data(), input_grad ? dx.data() : nullptr, parameters);
  };
  for (int i = 0; i < 3; ++i) step();
  WorkTotals totals;
  chain.set_observer(&totals);
  int runs = 0;
  const auto start = Clock::now();
  while (runs < 5 || std::chrono::duration<double>(Clock::now() - start).count() < 0.5) {
    step();
    ++runs;
  }
  nlohmann::json rows = nlohmann::json::array();
  auto add = [&](const std::string& name, double seconds, bool counts, double flops) {
    nlohmann::json row{{"kernel", name},
                       {"backend", "onednn"},
                       {"counted", counts},
                       {"microseconds", seconds / runs * 1e6}};
    if (flops > 0) row["gflops"] = flops / (seconds / runs) / 1e9;
    rows.push_back(row);
  };
  // The chain's ops: each convolution with its ReLU merged, so op indices skip merged ReLUs.
  std::size_t op = 0, c = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const onednn::Chain::Layer& layer = layers[i];
    if (layer.kind == onednn::Chain::Layer::Kind::relu && i > 0 &&
        layers[i - 1].kind == onednn::Chain::Layer::Kind::convolution)
      continue;  // ran as the convolution's post-op
    if (layer.kind == onednn::Chain::Layer::Kind::convolution) {
      const reference::Conv2dGeometry& g = convolutions[c];
      const double flops = 2.0 * g.N * g.C_out * g.H_out * g.W_out * g.C_in * g.K * g.K;
      const std::string name = model + " conv" + std::to_string(c + first_number) + " " +
                               std::to_string(g.C_in) + "->" + std::to_string(g.C_out);
      add(name + " forward" + suffix, totals.seconds(op, onednn::Work::convolution_forward),
          counted, flops);
      const double data = totals.seconds(op, onednn::Work::convolution_backward_data);
      if (data > 0) add(name + " backward_data" + suffix, data, counted, flops);
      add(name + " backward_weights" + suffix,
          totals.seconds(op, onednn::Work::convolution_backward_weights), counted, flops);
      ++c;
    }
    ++op;
  }
  const double elementwise =
      totals.seconds(onednn::Work::pooling) + totals.seconds(onednn::Work::relu);
  if (elementwise > 0)
    add(model + " chain: max-pooling and ReLU, forward and backward" + suffix, elementwise, false,
        0);
  add(model + " chain: reorders" + suffix, totals.seconds(onednn::Work::reorder), false, 0);
  return rows;
}

// The benchmark's models, as model configs (models/builder.h).
nlohmann::json model_spec(const std::string& name) {
  if (name == "mlp") return {{"name", "mlp"}, {"hidden", {256, 128}}};
  if (name == "lenet") return {{"name", "lenet"}};
  if (name == "strided")  // issue #11: no Conv→ReLU→Pool triple, channel counts not multiples of 8
    return nlohmann::json::parse(R"({"layers": [
      {"type": "conv2d", "out_channels": 27, "kernel_size": 3, "stride": 2, "padding": 2},
      {"type": "relu"},
      {"type": "conv2d", "out_channels": 21, "kernel_size": 3, "stride": 2, "padding": 2},
      {"type": "relu"},
      {"type": "conv2d", "out_channels": 33, "kernel_size": 3, "stride": 1, "padding": 2},
      {"type": "maxpool2d", "kernel_size": 2}, {"type": "relu"},
      {"type": "flatten"}, {"type": "linear", "out_features": 10}]})");
  if (name == "resnet" || name == "fashion_resnet") {  // the shipped ResNets' models, read from
    // their configs (run from the repository root)
    const std::string path =
        name == "resnet" ? "experiments/mnist_resnet.json" : "experiments/fashion_resnet.json";
    std::ifstream file(path);
    if (!file) throw std::invalid_argument(path + ": cannot open (run from the repository root)");
    return nlohmann::json::parse(file).at("model");
  }
  throw std::invalid_argument("unknown model '" + name +
                              "' (valid: mlp, lenet, strided, resnet, fashion_resnet)");
}

// What a CNN's first step (its chain of convolutions, ReLU and pooling) runs on oneDNN.
std::vector<onednn::Chain::Layer> chain_layers(const std::string& model_name) {
  auto model = build_model<float>(model_spec(model_name), {1, 28, 28}, 10, 42);
  model->set_backend(Backend::onednn);
  const auto* chain = dynamic_cast<const OnednnChain*>(&model->step(0));
  if (!chain) throw std::logic_error(model_name + ": its first step is not a chain");
  return chain->kernel_layers();
}

nlohmann::json kernel_benchmarks() {
  Rng rng(1);
  nlohmann::json results = nlohmann::json::array();
  const std::size_t B = 64;
  struct LinearShape {
    const char* name;
    std::size_t in, out;
    bool first;
  };
  // MLP layers and LeNet's two linear layers: forward Y = XW, backward dX = dY Wᵀ, dW = Xᵀ dY.
  const LinearShape linears[] = {
      {"mlp linear 784x256", 784, 256, true},  {"mlp linear 256x128", 256, 128, false},
      {"mlp linear 128x10", 128, 10, false},   {"lenet linear 1568x128", 1568, 128, false},
      {"lenet linear 128x10", 128, 10, false}, {"strided linear 825x10", 825, 10, false}};
  for (Backend backend : {Backend::onednn, Backend::reference})
    for (const LinearShape& l : linears) {
      results.push_back(
          bench_gemm(std::string(l.name) + " forward", backend, false, false, B, l.out, l.in, rng));
      if (!l.first)
        results.push_back(bench_gemm(std::string(l.name) + " backward_data", backend, false, true,
                                     B, l.in, l.out, rng));
      results.push_back(bench_gemm(std::string(l.name) + " backward_weights", backend, true, false,
                                   l.in, l.out, B, rng));
    }
  // The CNNs' chains as their training steps run them (the first layer computes no input
  // gradient); their convolution passes are the steps' kernels.
  for (const std::string model : {"lenet", "strided"})
    for (const nlohmann::json& row :
         bench_chain(model, chain_layers(model), {B, 1, 28, 28}, true, false, rng))
      results.push_back(row);
  // LeNet's second convolution as a layer alone (plain tensors in and out, reorders around it),
  // for comparison; not a kernel of any step.
  const onednn::Chain::Layer conv2_alone = chain_layers("lenet").at(3);  // conv, ReLU, pool, conv
  for (const nlohmann::json& row :
       bench_chain("lenet", {conv2_alone}, {B, 16, 14, 14}, false, true, rng, 2, " (layer alone)"))
    results.push_back(row);
  const auto conv1 = reference::make_conv2d_geometry(B, 1, 28, 28, 16, 5, 1, 2);
  const auto conv2 = reference::make_conv2d_geometry(B, 16, 14, 14, 32, 5, 1, 2);
  for (const char* pass : {"forward", "backward_weights"})
    results.push_back(bench_reference_conv("lenet conv1 1->16", pass, conv1, rng));
  for (const char* pass : {"forward", "backward_data", "backward_weights"})
    results.push_back(bench_reference_conv("lenet conv2 16->32", pass, conv2, rng));
  return {{"kernels", results}, {"threads", num_threads()}};
}

// `count` bytes of a file from `offset` on; an error names the file if it holds fewer.
std::vector<std::uint8_t> read_bytes(const std::string& path, std::size_t offset,
                                     std::size_t count) {
  std::ifstream file(path, std::ios::binary);
  std::vector<std::uint8_t> bytes(count);
  file.seekg(static_cast<std::streamoff>(offset));
  file.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(count));
  if (!file)
    throw std::invalid_argument(path + ": cannot read " + std::to_string(count) +
                                " bytes from offset " + std::to_string(offset));
  return bytes;
}

// One of the reference models with its optimizer, loss and a pool of 8 batches, cycled through:
// the first 8·batch MNIST training images and labels when a data folder is given (normalised
// as experiments/mnist_*.json do), else random values shaped like them. The data matters: on
// random activations branchy code mispredicts at every element, on MNIST (mostly background)
// far less; bench/run.sh gives both sides the real images.
struct TrainingSetup {
  std::unique_ptr<Sequential<float>> model;
  std::unique_ptr<Optimizer<float>> optimizer;
  SoftmaxCrossEntropy<float> loss;
  std::vector<Tensor<float>> images;
  std::vector<Labels> labels;
  std::size_t next = 0;

  // precision: the model's (framework/precision.h); $GRADLAB_BENCH_PRECISION ("bf16") when
  // not given, so that every mode can be measured in bf16.
  TrainingSetup(const std::string& model_name, Backend backend, std::size_t batch,
                const std::string& data_folder, std::optional<Precision> precision = {}) {
    enable_flush_to_zero();
    model = build_model<float>(model_spec(model_name), {1, 28, 28}, 10, 42);
    model->set_backend(backend);
    const char* asked = std::getenv("GRADLAB_BENCH_PRECISION");
    model->set_precision(precision ? *precision : parse_precision(asked ? asked : "f32"));
    model->set_needs_input_grad(false);
    if (model_name == "mlp")
      optimizer = std::make_unique<SGD<float>>(model->named_parameters(), 0.1, 0.9);
    else
      optimizer = std::make_unique<Adam<float>>(model->named_parameters(), 1e-3);
    const std::size_t pool = 8;
    images.assign(pool, Tensor<float>::from_shape({batch, 1, 28, 28}));
    labels.assign(pool, Labels(batch));
    if (!data_folder.empty()) {
      // Only the bytes needed (the IDX headers are 16 and 8 bytes; the files are checked by
      // scripts/fetch-mnist.sh), so that reading 47 MB does not count in the peak memory.
      const std::vector<std::uint8_t> pixels =
          read_bytes(data_folder + "/train-images-idx3-ubyte", 16, pool * batch * 784);
      const std::vector<std::uint8_t> classes =
          read_bytes(data_folder + "/train-labels-idx1-ubyte", 8, pool * batch);
      for (std::size_t i = 0; i < pool; ++i) {
        for (std::size_t p = 0; p < batch * 784; ++p)
          images[i].data()[p] =
              static_cast<float>((pixels[i * batch * 784 + p] / 255.0 - 0.1307) / 0.3081);
        for (std::size_t n = 0; n < batch; ++n) labels[i][n] = classes[i * batch + n];
      }
      return;
    }
    Rng rng(7);
    for (std::size_t i = 0; i < pool; ++i) {
      for (float& p : images[i]) p = static_cast<float>(rng.uniform(-0.42, 2.8));
      for (int& y : labels[i]) y = static_cast<int>(rng.below(10));
    }
  }
};

// Where a training step's time goes: each step's forward and backward (a layer, or a block
// Sequential fused), the loss, the optimizer, timed one by one over many steps (oneDNN backend).
nlohmann::json profile(const std::string& model_name, std::size_t batch,
                       const std::string& data_folder) {
  TrainingSetup setup(model_name, Backend::onednn, batch, data_folder);
  Sequential<float>& model = *setup.model;
  const std::size_t layers = model.step_count();
  std::vector<double> forward_seconds(layers), backward_seconds(layers);
  // Inside each chain: each op's time by kind of work.
  std::vector<std::pair<OnednnChain*, std::unique_ptr<WorkTotals>>> chains;
  for (std::size_t l = 0; l < layers; ++l)
    if (auto* chain = dynamic_cast<OnednnChain*>(&model.step(l))) {
      chains.emplace_back(chain, std::make_unique<WorkTotals>());
      chain->kernel().set_observer(chains.back().second.get());
    }
  double loss_seconds = 0, zero_grad_seconds = 0, step_seconds = 0;
  auto seconds_of = [](const std::function<void()>& work) {
    const auto start = Clock::now();
    work();
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  const int warmup = 20, steps = 300;
  for (int s = 0; s < warmup + steps; ++s) {
    if (s == warmup) {
      std::fill(forward_seconds.begin(), forward_seconds.end(), 0.0);
      std::fill(backward_seconds.begin(), backward_seconds.end(), 0.0);
      loss_seconds = zero_grad_seconds = step_seconds = 0;
      for (auto& chain : chains) chain.second->reset();
    }
    const std::size_t i = setup.next++ % setup.images.size();
    zero_grad_seconds += seconds_of([&] { setup.optimizer->zero_grad(); });
    const Tensor<float>* x = &setup.images[i];
    for (std::size_t l = 0; l < layers; ++l)
      forward_seconds[l] += seconds_of([&] { x = &model.step(l).forward(*x); });
    loss_seconds += seconds_of([&] { setup.loss.forward(*x, setup.labels[i]); });
    const Tensor<float>* grad = &setup.loss.backward();
    for (std::size_t l = layers; l-- > 0;) {
      backward_seconds[l] += seconds_of([&] { grad = &model.step(l).backward(*grad); });
      if (!model.step(l).needs_input_grad())
        break;  // as Sequential::backward: nothing below needs it
    }
    step_seconds += seconds_of([&] { setup.optimizer->step(); });
  }
  nlohmann::json parts = nlohmann::json::array();
  double total = 0;
  auto add = [&](const std::string& name, double seconds) {
    parts.push_back({{"part", name}, {"microseconds", seconds / steps * 1e6}});
    total += seconds / steps;
  };
  add("optimizer zero_grad", zero_grad_seconds);
  for (std::size_t l = 0; l < layers; ++l)
    add(std::to_string(l) + " " + model.step(l).name() + " forward", forward_seconds[l]);
  add("loss forward + backward", loss_seconds);
  for (std::size_t l = layers; l-- > 0;)
    if (backward_seconds[l] > 0)  // modules below the first with parameters never run backward
      add(std::to_string(l) + " " + model.step(l).name() + " backward", backward_seconds[l]);
  add("optimizer step", step_seconds);
  nlohmann::json inside = nlohmann::json::array();
  for (const auto& [chain, totals] : chains) {
    const std::vector<std::string> ops = chain->kernel().op_names();
    for (std::size_t op = 0; op < ops.size(); ++op)
      for (const auto& [work, name] : work_names()) {
        const double seconds = totals->seconds(op, work);
        if (seconds > 0)
          inside.push_back({{"op", std::to_string(op) + " " + ops[op]},
                            {"work", name},
                            {"microseconds", seconds / steps * 1e6}});
      }
  }
  return {{"model", model_name},      {"batch", batch},
          {"threads", num_threads()}, {"step_microseconds", total * 1e6},
          {"parts", parts},           {"inside_chains", inside}};
}

nlohmann::json train(const std::string& model_name, const std::string& backend_name,
                     std::size_t batch, const std::string& data_folder) {
  const Backend backend = parse_backend(backend_name);
  TrainingSetup setup(model_name, backend, batch, data_folder);
  auto& model = setup.model;
  auto& images = setup.images;
  std::size_t& next = setup.next;
  auto step = [&] {
    const std::size_t i = next++ % images.size();
    setup.optimizer->zero_grad();
    setup.loss.forward(model->forward(images[i]), setup.labels[i]);
    model->backward(setup.loss.backward());
    setup.optimizer->step();
  };
  const bool slow = backend == Backend::reference && model_name != "mlp";
  const double step_seconds = time_per_run(step, slow ? 3.0 : 2.0, slow ? 3 : 20, slow ? 1 : 5);
  model->eval();
  const double infer_seconds = time_per_run([&] { model->forward(images[next++ % images.size()]); },
                                            slow ? 2.0 : 1.0, slow ? 3 : 20, slow ? 1 : 5);
  // Training FLOPs: the forward pass's (as `gradlab summary` counts them) times 3, for the
  // forward, backward-data and backward-weights passes of every layer.
  const double forward_flops = static_cast<double>(model->forward_flops({1, 1, 28, 28}));
  return {{"model", model_name},
          {"backend", backend_name},
          {"batch", batch},
          {"data", data_folder.empty() ? "random" : "mnist"},
          {"threads", num_threads()},
          {"train_step_ms", step_seconds * 1e3},
          {"train_images_per_second", batch / step_seconds},
          {"forward_flops_per_image", forward_flops},
          {"train_gflops", 3 * forward_flops * batch / step_seconds / 1e9},
          {"inference_images_per_second", batch / infer_seconds},
          {"peak_rss_mib", peak_rss_mib()}};
}

}  // namespace

// A training step against the kernels it contains, measured in one process, alternating, so that
// both see the machine in the same state (its speed changes by 2× within minutes): in each of
// `rounds` rounds, a block of training steps — whose convolution passes the chains' observer
// times as they run — then the model's GEMMs (each Linear layer's forward, backward-weights and,
// unless the step skips it, backward-data) run alone, as many times. The ratio per round is the
// step over its convolution passes plus its GEMMs; the report gives the median and the range.
nlohmann::json overhead(const std::string& model_name, std::size_t batch,
                        const std::string& data_folder) {
  TrainingSetup setup(model_name, Backend::onednn, batch, data_folder);
  Sequential<float>& model = *setup.model;
  WorkTotals convolutions;
  for (std::size_t i = 0; i < model.step_count(); ++i)
    if (auto* chain = dynamic_cast<OnednnChain*>(&model.step(i)))
      chain->kernel().set_observer(&convolutions);
  struct Gemm {
    bool ta, tb;
    std::size_t M, N, K;
    std::vector<float> A, B, C;
  };
  std::vector<Gemm> gemms;
  Rng rng(3);
  for (std::size_t i = 0; i < model.size(); ++i)
    if (const auto* linear = dynamic_cast<const Linear<float>*>(&model[i])) {
      const std::size_t in = linear->in_features(), out = linear->out_features();
      auto add = [&](bool ta, bool tb, std::size_t M, std::size_t N, std::size_t K) {
        gemms.push_back({ta, tb, M, N, K, random_vector(M * K, rng), random_vector(K * N, rng),
                         std::vector<float>(M * N)});
      };
      add(false, false, batch, out, in);                                  // Y = X W
      add(true, false, in, out, batch);                                   // dW = Xᵀ dY
      if (model[i].needs_input_grad()) add(false, true, batch, in, out);  // dX = dY Wᵀ
    }
  auto step = [&] {
    const std::size_t i = setup.next++ % setup.images.size();
    setup.optimizer->zero_grad();
    setup.loss.forward(model.forward(setup.images[i]), setup.labels[i]);
    model.backward(setup.loss.backward());
    setup.optimizer->step();
  };
  for (int i = 0; i < 20; ++i) step();
  const int rounds = 25, per_block = model_name == "mlp" ? 40 : 8;
  std::vector<double> steps, kernel_times, ratios;
  for (int round = 0; round < rounds; ++round) {
    convolutions.reset();
    auto start = Clock::now();
    for (int s = 0; s < per_block; ++s) step();
    const double step_seconds =
        std::chrono::duration<double>(Clock::now() - start).count() / per_block;
    double kernel_seconds = convolutions.convolution_seconds() / per_block;
    for (Gemm& g : gemms) {
      start = Clock::now();
      for (int s = 0; s < per_block; ++s)
        kernels<float>(Backend::onednn)
            .gemm(g.ta, g.tb, g.M, g.N, g.K, g.A.data(), g.B.data(), g.C.data(), false);
      kernel_seconds += std::chrono::duration<double>(Clock::now() - start).count() / per_block;
    }
    steps.push_back(step_seconds * 1e3);
    kernel_times.push_back(kernel_seconds * 1e3);
    ratios.push_back(step_seconds / kernel_seconds);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  return {{"model", model_name},
          {"batch", batch},
          {"threads", num_threads()},
          {"rounds", rounds},
          {"step_ms", median(steps)},
          {"kernels_ms", median(kernel_times)},
          {"ratio", median(ratios)},
          {"ratio_min", *std::min_element(ratios.begin(), ratios.end())},
          {"ratio_max", *std::max_element(ratios.begin(), ratios.end())}};
}

// What the layer statistics cost (train/layer_stats.h): training steps with a reading (the
// outputs read in the forward, out of the chains' blocked layouts; the weights kept and the
// norms, the update measured, the line serialised) alternate with steps without, pair by pair,
// so that the machine's drift falls on both alike. The median of the pairs' differences is a
// reading's cost; at an interval of N steps the statistics add that / (N · a plain step).
nlohmann::json layer_stats_cost(const std::string& model_name, std::size_t batch,
                                const std::string& data_folder) {
  TrainingSetup setup(model_name, Backend::onednn, batch, data_folder);
  Sequential<float>& model = *setup.model;
  LayerStats stats(model.named_parameters(), 1e-3);
  stats.watch_outputs(model);
  std::size_t line_bytes = 0;
  const auto step = [&](bool reading) {
    const std::size_t i = setup.next++ % setup.images.size();
    setup.optimizer->zero_grad();
    if (reading) stats.before_forward();
    setup.loss.forward(model.forward(setup.images[i]), setup.labels[i]);
    model.backward(setup.loss.backward());
    if (reading) stats.before_step();
    setup.optimizer->step();
    if (reading) line_bytes = stats.after_step(1, 1, 1e-3).dump().size();
  };
  for (int i = 0; i < 10; ++i) step(i % 2 == 0);
  const int pairs = 60;
  std::vector<double> plain, with_reading, extra;
  for (int pair = 0; pair < pairs; ++pair) {
    double seconds[2];
    for (int reading = 0; reading < 2; ++reading) {
      // Half the pairs read first, so that neither side always follows the other.
      const bool reads = (reading == 1) != (pair % 2 == 1);
      const auto start = Clock::now();
      step(reads);
      seconds[reads] = std::chrono::duration<double>(Clock::now() - start).count();
    }
    plain.push_back(seconds[0] * 1e3);
    with_reading.push_back(seconds[1] * 1e3);
    extra.push_back((seconds[1] - seconds[0]) * 1e3);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::sort(extra.begin(), extra.end());
  const double step_ms = median(plain), reading_ms = median(extra);
  return {{"model", model_name},
          {"batch", batch},
          {"threads", num_threads()},
          {"pairs", pairs},
          {"tensors", model.named_parameters().size()},
          {"line_bytes", line_bytes},
          {"step_ms", step_ms},
          {"step_with_reading_ms", median(with_reading)},
          {"reading_ms", reading_ms},
          {"reading_ms_quartiles", {extra[pairs / 4], extra[3 * pairs / 4]}},
          {"share_every_100_steps", reading_ms / (100 * step_ms)},
          {"share_every_10_steps", reading_ms / (10 * step_ms)},
          {"share_every_step", reading_ms / step_ms}};
}

// One way of running a model: fusion options and precision.
struct Way {
  std::string name;
  FusionOptions fusion;
  Precision precision = Precision::f32;
};

// What parts of fusion, or bf16, are worth on a model's training step: one model per way in one
// process, timed in alternation over `rounds` rounds (the machine's speed drifts); each way's
// median images/s, and its median ratio per round to the first.
nlohmann::json compare_ways(const std::string& model_name, std::size_t batch,
                            const std::string& data_folder, const std::vector<Way>& ways) {
  struct Variant {
    std::string name;
    std::unique_ptr<TrainingSetup> setup;
    std::vector<double> images_per_second, ratios;
  };
  std::vector<Variant> variants;
  const auto step = [](TrainingSetup& setup) {
    const std::size_t i = setup.next++ % setup.images.size();
    setup.optimizer->zero_grad();
    setup.loss.forward(setup.model->forward(setup.images[i]), setup.labels[i]);
    setup.model->backward(setup.loss.backward());
    setup.optimizer->step();
  };
  for (const Way& way : ways) {
    set_fusion_options(way.fusion);  // read when the model is put on its backend
    variants.push_back({way.name,
                        std::make_unique<TrainingSetup>(model_name, Backend::onednn, batch,
                                                        data_folder, way.precision),
                        {},
                        {}});
    for (int i = 0; i < 5; ++i) step(*variants.back().setup);
  }
  set_fusion_options({});
  const int rounds = 7, per_round = 10;
  for (int round = 0; round < rounds; ++round)
    for (Variant& variant : variants) {
      const auto start = Clock::now();
      for (int s = 0; s < per_round; ++s) step(*variant.setup);
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      variant.images_per_second.push_back(per_round * batch / seconds);
      variant.ratios.push_back(variant.images_per_second.back() /
                               variants.front().images_per_second.back());
    }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  nlohmann::json rows = nlohmann::json::array();
  for (const Variant& variant : variants)
    rows.push_back(
        {{"variant", variant.name},
         {"steps", variant.setup->model->step_count()},
         {"train_images_per_second", median(variant.images_per_second)},
         {"ratio_to_first", median(variant.ratios)},
         {"ratio_min", *std::min_element(variant.ratios.begin(), variant.ratios.end())},
         {"ratio_max", *std::max_element(variant.ratios.begin(), variant.ratios.end())}});
  return {{"model", model_name},      {"batch", batch},
          {"threads", num_threads()}, {"rounds", rounds},
          {"variants", rows},         {"data", data_folder.empty() ? "random" : "mnist"}};
}

// The machine's float32 matmul rate as oneDNN reaches it: a 2048³ sgemm (2 · 2048³ FLOPs), best
// of 5 after one warm-up, on the threads the process has. Every speed figure reads against it.
double matmul_gflops() {
  const std::size_t n = 2048;
  std::vector<float> a(n * n, 1.0f), b(n * n, 0.5f), c(n * n);
  const Kernels<float>& k = kernels<float>(Backend::onednn);
  k.gemm(false, false, n, n, n, a.data(), b.data(), c.data(), false);
  double best = 0;
  for (int run = 0; run < 5; ++run) {
    const auto start = Clock::now();
    k.gemm(false, false, n, n, n, a.data(), b.data(), c.data(), false);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    best = std::max(best, 2.0 * n * n * n / seconds / 1e9);
  }
  return best;
}

// The bf16 matmul rate as oneDNN reaches it where the CPU has bf16 instructions (AVX512_BF16 or
// AMX): a 2048³ matmul of bf16 operands into an f32 result, the shape of mixed-precision training's
// GEMMs, best of 5 after one warm-up; with the implementation oneDNN chose (a "ref:" one would be
// emulation, not the CPU's rate). Null where the CPU has neither.
nlohmann::json matmul_bf16() {
  const std::string isa = onednn::cpu_isa();
  if (isa != "avx512_core_bf16" && isa != "avx512_core_amx")
    return {{"gflops", nullptr}, {"why", "no AVX512_BF16 or AMX (oneDNN ISA " + isa + ")"}};
  const dnnl::memory::dim n = 2048;
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  const dnnl::memory::desc a_md({n, n}, dt::bf16, tag::ab), b_md({n, n}, dt::bf16, tag::ab),
      c_md({n, n}, dt::f32, tag::ab);
  dnnl::engine& engine = onednn::cpu_engine();
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), engine);
  dnnl::memory a(a_md, engine), b(b_md, engine), c(c_md, engine);
  // bf16 1.0 and 0.5: the upper halves of the floats' bits.
  std::fill_n(static_cast<std::uint16_t*>(a.get_data_handle()), n * n, std::uint16_t{0x3f80});
  std::fill_n(static_cast<std::uint16_t*>(b.get_data_handle()), n * n, std::uint16_t{0x3f00});
  dnnl::matmul matmul(pd);
  dnnl::stream& stream = onednn::cpu_stream();
  const auto run = [&] {
    matmul.execute(stream, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
    stream.wait();
  };
  run();
  double best = 0;
  for (int r = 0; r < 5; ++r) {
    const auto start = Clock::now();
    run();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    best = std::max(best, 2.0 * n * n * n / seconds / 1e9);
  }
  return {{"gflops", best}, {"implementation", pd.impl_info_str()}};
}

// The CPU this runs on, the instruction sets the kernels use on it, and its matmul rate.
nlohmann::json machine() {
  std::string model = "unknown";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  return {{"cpu", model},
          {"cores", std::thread::hardware_concurrency()},
          {"onednn_isa", onednn::cpu_isa()},
          {"gradlab_simd", to_string(simd_level())},
          {"threads", num_threads()},
          {"matmul_2048_f32_gflops", matmul_gflops()},
          {"matmul_2048_bf16", matmul_bf16()}};
}

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "machine" && argc == 2) {
      std::cout << machine().dump(2) << "\n";
      return 0;
    }
    if (mode == "kernels" && argc == 2) {
      std::cout << kernel_benchmarks().dump(2) << "\n";
      return 0;
    }
    if (mode == "profile" && (argc == 4 || argc == 5)) {
      std::cout << profile(argv[2], std::stoul(argv[3]), argc == 5 ? argv[4] : "").dump(2) << "\n";
      return 0;
    }
    if (mode == "overhead" && (argc == 4 || argc == 5)) {
      std::cout << overhead(argv[2], std::stoul(argv[3]), argc == 5 ? argv[4] : "").dump(2) << "\n";
      return 0;
    }
    if (mode == "layer_stats" && (argc == 4 || argc == 5)) {
      std::cout << layer_stats_cost(argv[2], std::stoul(argv[3]), argc == 5 ? argv[4] : "").dump(2)
                << "\n";
      return 0;
    }
    if (mode == "batchnorm" && (argc == 3 || argc == 4)) {
      // What running BatchNorm2d in the chains on oneDNN's primitive is worth, on the shipped
      // ResNet: batch norm as its own layer (gradlab's loops, the chains cut around it), on
      // oneDNN with the ReLU after it apart, and with the ReLU inside (fuse_norm_relu).
      std::cout << compare_ways("resnet", std::stoul(argv[2]), argc == 4 ? argv[3] : "",
                                {{"BatchNorm2d as a layer (plain loops)", {false, false, false}},
                                 {"oneDNN batch norm, ReLU apart", {true, false, false}},
                                 {"oneDNN batch norm, ReLU inside", {true, true, false}}})
                       .dump(2)
                << "\n";
      return 0;
    }
    if (mode == "residual" && (argc == 4 || argc == 5)) {
      // What running residual blocks inside the chains is worth (issue #29): each block a step
      // of its own (its branches chains, the sum and ReLU on plain tensors), against the whole
      // network one chain.
      std::cout << compare_ways(argv[2], std::stoul(argv[3]), argc == 5 ? argv[4] : "",
                                {{"residual blocks as steps", {true, true, false}},
                                 {"residual blocks in the chain", {true, true, true}}})
                       .dump(2)
                << "\n";
      return 0;
    }
    if (mode == "precision" && (argc == 4 || argc == 5)) {
      // bf16 against float32 on a model's training step (framework/precision.h).
      std::cout << compare_ways(argv[2], std::stoul(argv[3]), argc == 5 ? argv[4] : "",
                                {{"f32", {}, Precision::f32}, {"bf16", {}, Precision::bf16}})
                       .dump(2)
                << "\n";
      return 0;
    }
    if (mode == "table" && argc == 4) {
      std::cout << gradlab::table_benchmark(argv[2], argv[3]).dump(2) << "\n";
      return 0;
    }
    if (mode == "data" && (argc == 4 || argc == 5)) {
      std::cout
          << gradlab::data_benchmark(argv[2], argv[3], argc == 5 ? std::stoul(argv[4]) : 7).dump(2)
          << "\n";
      return 0;
    }
    if (mode == "train" && (argc == 5 || argc == 6)) {
      std::cout << train(argv[2], argv[3], std::stoul(argv[4]), argc == 6 ? argv[5] : "").dump(2)
                << "\n";
      return 0;
    }
  } catch (const std::exception& error) {
    std::cerr << "gradlab_bench: " << error.what() << "\n";
    return 1;
  }
  std::cerr
      << "usage: gradlab_bench kernels | gradlab_bench train "
         "mlp|lenet|strided|resnet|fashion_resnet "
         "onednn|reference BATCH [MNIST_FOLDER] | gradlab_bench profile "
         "mlp|lenet|strided|resnet|fashion_resnet BATCH [MNIST_FOLDER] | gradlab_bench overhead "
         "mlp|lenet|strided BATCH [MNIST_FOLDER] | gradlab_bench batchnorm BATCH "
         "[MNIST_FOLDER] | gradlab_bench residual|precision|layer_stats MODEL BATCH "
         "[MNIST_FOLDER] | "
         "gradlab_bench data IDX_FOLDER IMAGE_FOLDER [ROUNDS] | gradlab_bench "
         "table FILE.csv LABEL | gradlab_bench machine\n";
  return 2;
}
