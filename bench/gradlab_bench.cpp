// Benchmarks of gradlab (not tests: nothing here asserts). Prints one JSON object.
//   gradlab_bench kernels  — GFLOP/s of every matmul and convolution pass at the reference
//                            models' shapes (batch 64), both backends; LeNet's convolutions as
//                            the step runs them (fused with ReLU and pooling) and alone
//   gradlab_bench train MODEL BACKEND BATCH — training and inference images/second of MODEL
//                            (mlp or lenet) on random MNIST-shaped data, and peak resident memory
//   gradlab_bench profile MODEL BATCH — a training step's time by part: each layer's forward
//                            and backward, the loss, the optimizer (oneDNN backend)
// The reference models: MLP 784-256-128-10 (SGD momentum 0.9, lr 0.1) and the LeNet-style CNN
// (Adam, lr 1e-3), softmax cross-entropy, as in issue #3. bench/run.sh runs everything, and
// PyTorch on the same work, in one invocation.
#include <sys/resource.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "framework/kernels/gemm.h"
#include "framework/kernels/onednn/context.h"
#include "framework/kernels/onednn/conv2d.h"
#include "framework/kernels/onednn/conv_relu_pool.h"
#include "framework/kernels/reference/conv2d.h"
#include "framework/losses/softmax_cross_entropy.h"
#include "framework/optim/adam.h"
#include "framework/optim/sgd.h"
#include "models/builder.h"

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
  const double seconds =
      time_per_run([&] { gemm(backend, ta, tb, M, N, K, A.data(), B.data(), C.data(), false); },
                   backend == Backend::reference ? 0.2 : 0.3);
  const double flops = 2.0 * M * N * K;
  return {{"kernel", name},
          {"backend", to_string(backend)},
          {"counted", true},
          {"microseconds", seconds * 1e6},
          {"gflops", flops / seconds / 1e9}};
}

// A convolution pass run on its own, plain NCHW in and out (oneDNN: Conv2dKernel, reorders
// included), as an unfused Conv2d layer runs it.
nlohmann::json bench_conv(const std::string& name, const std::string& pass, Backend backend,
                          const reference::Conv2dGeometry& g, Rng& rng) {
  const auto x = random_vector(g.N * g.C_in * g.H * g.W, rng),
             w = random_vector(g.C_out * g.C_in * g.K * g.K, rng), b = random_vector(g.C_out, rng),
             dy = random_vector(g.N * g.C_out * g.H_out * g.W_out, rng);
  std::vector<float> y(dy.size()), dx(x.size()), dw(w.size()), db(b.size());
  onednn::Conv2dKernel kernel(true);
  std::function<void()> work;
  if (pass == "forward")
    work = backend == Backend::onednn
               ? std::function<void()>(
                     [&] { kernel.forward(g, x.data(), w.data(), b.data(), y.data()); })
               : [&] { reference::conv2d_forward(g, x.data(), w.data(), b.data(), y.data()); };
  else if (pass == "backward_data")
    work = backend == Backend::onednn
               ? std::function<void()>(
                     [&] { kernel.backward_data(g, dy.data(), w.data(), dx.data()); })
               : [&] { reference::conv2d_backward_data(g, dy.data(), w.data(), dx.data()); };
  else
    work = backend == Backend::onednn
               ? std::function<void()>(
                     [&] { kernel.backward_weights(g, x.data(), dy.data(), dw.data(), db.data()); })
               : [&] {
                   reference::conv2d_backward_weights(g, x.data(), dy.data(), dw.data(), db.data());
                 };
  const double seconds =
      time_per_run(work, backend == Backend::reference ? 0.2 : 0.3,
                   backend == Backend::reference ? 2 : 5, backend == Backend::reference ? 1 : 3);
  const double flops = 2.0 * g.N * g.C_out * g.H_out * g.W_out * g.C_in * g.K * g.K;
  // With oneDNN, the reference models' convolutions run inside fused blocks, timed apart below;
  // these rows show what a convolution costs alone, and are not counted as the step's kernels.
  const bool in_step = backend == Backend::reference;
  return {{"kernel", name + " " + pass + (in_step ? "" : " (unfused layer)")},
          {"backend", to_string(backend)},
          {"counted", in_step},
          {"microseconds", seconds * 1e6},
          {"gflops", flops / seconds / 1e9}};
}

// LeNet's two Conv2d → ReLU → MaxPool2d blocks as the training step runs them on oneDNN: two
// ConvReluPoolKernels, linked (the first pools straight into the second's input). Each
// convolution pass is timed on its own, then each block's pooling and reorders.
nlohmann::json bench_lenet_blocks(const reference::Conv2dGeometry& conv1,
                                  const reference::Conv2dGeometry& conv2, Rng& rng) {
  const onednn::ConvReluPoolGeometry block1{conv1, 2, 2, conv1.H_out / 2, conv1.W_out / 2},
      block2{conv2, 2, 2, conv2.H_out / 2, conv2.W_out / 2};
  auto random_for = [&](const reference::Conv2dGeometry& g) {
    return std::array<std::vector<float>, 3>{random_vector(g.N * g.C_in * g.H * g.W, rng),
                                             random_vector(g.C_out * g.C_in * g.K * g.K, rng),
                                             random_vector(g.C_out, rng)};
  };
  auto [x, w1, b1] = random_for(conv1);
  auto [unused, w2, b2] = random_for(conv2);
  const auto dy = random_vector(conv2.N * conv2.C_out * block2.H_pool * block2.W_pool, rng);
  std::vector<float> y(dy.size()), dw1(w1.size()), db1(b1.size()), dw2(w2.size()), db2(b2.size());
  onednn::ConvReluPoolKernel first(true), second(true);
  const bool linked = first.link(block1, second, block2);
  std::vector<float> between(linked ? 0 : conv2.N * conv2.C_in * conv2.H * conv2.W),
      grad_between(between.size());
  auto step = [&] {
    first.forward(block1, x.data(), w1.data(), b1.data(), linked ? nullptr : between.data());
    second.forward(block2, linked ? nullptr : between.data(), w2.data(), b2.data(), y.data());
    second.backward(block2, linked ? nullptr : between.data(), w2.data(), dy.data(),
                    linked ? nullptr : grad_between.data(), dw2.data(), db2.data());
    first.backward(block1, x.data(), w1.data(), linked ? nullptr : grad_between.data(), nullptr,
                   dw1.data(), db1.data());
  };
  for (int i = 0; i < 3; ++i) step();
  first.set_timing(true);
  second.set_timing(true);
  int runs = 0;
  const auto start = Clock::now();
  while (runs < 5 || std::chrono::duration<double>(Clock::now() - start).count() < 0.5) {
    step();
    ++runs;
  }
  nlohmann::json rows = nlohmann::json::array();
  auto add = [&](const std::string& name, double seconds, bool counted, double flops) {
    nlohmann::json row{{"kernel", name},
                       {"backend", "onednn"},
                       {"counted", counted},
                       {"microseconds", seconds / runs * 1e6}};
    if (flops > 0) row["gflops"] = flops / (seconds / runs) / 1e9;
    rows.push_back(row);
  };
  auto flops = [](const reference::Conv2dGeometry& g) {
    return 2.0 * g.N * g.C_out * g.H_out * g.W_out * g.C_in * g.K * g.K;
  };
  const onednn::ConvReluPoolKernel::Timing &t1 = first.timing(), &t2 = second.timing();
  // The first layer's backward-data is never run in training (nobody needs the image's gradient).
  add("lenet conv1 1->16 forward", t1.convolution_forward, true, flops(conv1));
  add("lenet conv1 1->16 backward_weights", t1.backward_weights, true, flops(conv1));
  add("lenet conv2 16->32 forward", t2.convolution_forward, true, flops(conv2));
  add("lenet conv2 16->32 backward_data", t2.backward_data, true, flops(conv2));
  add("lenet conv2 16->32 backward_weights", t2.backward_weights, true, flops(conv2));
  const std::string blocks = linked ? "lenet blocks (linked): " : "lenet blocks (not linked): ";
  add(blocks + "max-pooling with ReLU, forward and backward", t1.pooling + t2.pooling, false, 0);
  add(blocks + "reorders", t1.reorders + t2.reorders, false, 0);
  return rows;
}

nlohmann::json kernels() {
  Rng rng(1);
  nlohmann::json results = nlohmann::json::array();
  const std::size_t B = 64;
  struct LinearShape {
    const char* name;
    std::size_t in, out;
    bool first;
  };
  // MLP layers and LeNet's two linear layers: forward Y = XW, backward dX = dY Wᵀ, dW = Xᵀ dY.
  const LinearShape linears[] = {{"mlp linear 784x256", 784, 256, true},
                                 {"mlp linear 256x128", 256, 128, false},
                                 {"mlp linear 128x10", 128, 10, false},
                                 {"lenet linear 1568x128", 1568, 128, false},
                                 {"lenet linear 128x10", 128, 10, false}};
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
  const auto conv1 = reference::make_conv2d_geometry(B, 1, 28, 28, 16, 5, 1, 2);
  const auto conv2 = reference::make_conv2d_geometry(B, 16, 14, 14, 32, 5, 1, 2);
  for (const nlohmann::json& row : bench_lenet_blocks(conv1, conv2, rng)) results.push_back(row);
  for (Backend backend : {Backend::onednn, Backend::reference}) {
    for (const char* pass : {"forward", "backward_weights"})
      results.push_back(bench_conv("lenet conv1 1->16", pass, backend, conv1, rng));
    for (const char* pass : {"forward", "backward_data", "backward_weights"})
      results.push_back(bench_conv("lenet conv2 16->32", pass, backend, conv2, rng));
  }
  return {{"kernels", results}, {"threads", onednn::num_threads()}};
}

// One of the reference models with its optimizer, loss and a pool of random batches shaped like
// normalised MNIST, cycled through.
struct TrainingSetup {
  std::unique_ptr<Sequential<float>> model;
  std::unique_ptr<Optimizer<float>> optimizer;
  SoftmaxCrossEntropy<float> loss;
  std::vector<Tensor<float>> images;
  std::vector<Labels> labels;
  std::size_t next = 0;

  TrainingSetup(const std::string& model_name, Backend backend, std::size_t batch) {
    onednn::enable_flush_to_zero();
    const nlohmann::json spec = model_name == "mlp"
                                    ? nlohmann::json{{"name", "mlp"}, {"hidden", {256, 128}}}
                                    : nlohmann::json{{"name", "lenet"}};
    model = build_model<float>(spec, {1, 28, 28}, 10, 42);
    model->set_backend(backend);
    model->set_needs_input_grad(false);
    if (model_name == "mlp")
      optimizer = std::make_unique<SGD<float>>(model->named_parameters(), 0.1, 0.9);
    else
      optimizer = std::make_unique<Adam<float>>(model->named_parameters(), 1e-3);
    Rng rng(7);
    images.assign(8, Tensor<float>::from_shape({batch, 1, 28, 28}));
    labels.assign(8, Labels(batch));
    for (std::size_t i = 0; i < images.size(); ++i) {
      for (float& p : images[i]) p = static_cast<float>(rng.uniform(-0.42, 2.8));
      for (int& y : labels[i]) y = static_cast<int>(rng.below(10));
    }
  }
};

// Where a training step's time goes: each step's forward and backward (a layer, or a block
// Sequential fused), the loss, the optimizer, timed one by one over many steps (oneDNN backend).
nlohmann::json profile(const std::string& model_name, std::size_t batch) {
  TrainingSetup setup(model_name, Backend::onednn, batch);
  Sequential<float>& model = *setup.model;
  const std::size_t layers = model.step_count();
  std::vector<double> forward_seconds(layers), backward_seconds(layers);
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
  return {{"model", model_name},
          {"batch", batch},
          {"threads", onednn::num_threads()},
          {"step_microseconds", total * 1e6},
          {"parts", parts}};
}

nlohmann::json train(const std::string& model_name, const std::string& backend_name,
                     std::size_t batch) {
  const Backend backend = parse_backend(backend_name);
  TrainingSetup setup(model_name, backend, batch);
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
  const bool slow = backend == Backend::reference && model_name == "lenet";
  const double step_seconds = time_per_run(step, slow ? 3.0 : 2.0, slow ? 3 : 20, slow ? 1 : 5);
  model->eval();
  const double infer_seconds = time_per_run([&] { model->forward(images[next++ % images.size()]); },
                                            slow ? 2.0 : 1.0, slow ? 3 : 20, slow ? 1 : 5);
  return {{"model", model_name},
          {"backend", backend_name},
          {"batch", batch},
          {"threads", onednn::num_threads()},
          {"train_step_ms", step_seconds * 1e3},
          {"train_images_per_second", batch / step_seconds},
          {"inference_images_per_second", batch / infer_seconds},
          {"peak_rss_mib", peak_rss_mib()}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "kernels" && argc == 2) {
      std::cout << kernels().dump(2) << "\n";
      return 0;
    }
    if (mode == "profile" && argc == 4) {
      std::cout << profile(argv[2], std::stoul(argv[3])).dump(2) << "\n";
      return 0;
    }
    if (mode == "train" && argc == 5) {
      std::cout << train(argv[2], argv[3], std::stoul(argv[4])).dump(2) << "\n";
      return 0;
    }
  } catch (const std::exception& error) {
    std::cerr << "gradlab_bench: " << error.what() << "\n";
    return 1;
  }
  std::cerr << "usage: gradlab_bench kernels | gradlab_bench train mlp|lenet onednn|reference "
               "BATCH | gradlab_bench profile mlp|lenet BATCH\n";
  return 2;
}
