// Data-parallel training against one process (framework/distributed/data_parallel.h): every rank
// trains its slice of each batch, and after K steps the weights must be those of one process
// stepping on whole batches — computed here by each rank itself, from the same data.
#include "framework/distributed/data_parallel.h"

#include <catch2/catch.hpp>

#include "framework/layers/conv2d.h"
#include "framework/layers/dropout.h"
#include "framework/layers/flatten.h"
#include "framework/layers/linear.h"
#include "framework/layers/relu.h"
#include "framework/losses/softmax_cross_entropy.h"
#include "framework/optim/adam.h"
#include "framework/optim/sgd.h"
#include "framework/sequential.h"

using namespace gradlab;

namespace {

template <class T>
std::unique_ptr<Sequential<T>> small_cnn() {
  Rng init(3);
  auto model = std::make_unique<Sequential<T>>();
  model->template emplace<Conv2d<T>>(1, 4, 3, init, 1, 1);
  model->template emplace<ReLU<T>>();
  model->template emplace<Flatten<T>>();
  model->template emplace<Linear<T>>(4 * 6 * 6, 5, init);
  return model;
}

template <class T>
std::unique_ptr<Optimizer<T>> make_optimizer(const std::string& kind, Sequential<T>& model) {
  if (kind == "sgd") return std::make_unique<SGD<T>>(model.named_parameters(), 0.05, 0.9);
  return std::make_unique<Adam<T>>(model.named_parameters(), 1e-2);
}

// The rows [first, first + count) of a batch.
template <class T>
Tensor<T> rows(const Tensor<T>& x, std::size_t first, std::size_t count) {
  Shape shape = shape_of(x);
  const std::size_t per_row = x.size() / shape[0];
  shape[0] = count;
  Tensor<T> slice = Tensor<T>::from_shape(shape);
  std::copy(x.data() + first * per_row, x.data() + (first + count) * per_row, slice.data());
  return slice;
}

struct Worst {
  double difference = 0, scale = 0;
};

// K steps on batches of B (uneven slices when B is odd), class-weighted or not; returns the
// largest difference between this rank's weights and the single-process ones.
template <class T>
Worst train_both(const std::string& optimizer_kind, Backend backend, std::size_t B,
                 std::vector<double> class_weights, int K) {
  Communicator& world = gradlab::world();
  auto alone = small_cnn<T>(), together = small_cnn<T>();
  alone->set_backend(backend);
  together->set_backend(backend);
  auto alone_optimizer = make_optimizer<T>(optimizer_kind, *alone);
  auto together_optimizer = make_optimizer<T>(optimizer_kind, *together);
  SoftmaxCrossEntropy<T> alone_loss(class_weights), together_loss(class_weights);
  DataParallel<T> parallel(world, *together);
  parallel.broadcast_from_root(together_optimizer.get());
  Rng data(11);
  const std::size_t R = static_cast<std::size_t>(world.size()),
                    r = static_cast<std::size_t>(world.rank());
  for (int step = 0; step < K; ++step) {
    Tensor<T> x = Tensor<T>::from_shape({B, 1, 6, 6});
    for (T& v : x) v = static_cast<T>(data.uniform(-1, 1));
    Labels y(B);
    for (int& label : y) label = static_cast<int>(data.below(5));
    // One process, the whole batch.
    alone_optimizer->zero_grad();
    alone_loss.forward(alone->forward(x), y);
    alone->backward(alone_loss.backward());
    alone_optimizer->step();
    // This rank's slice, as DataLoader::set_shard cuts it.
    const std::size_t first = B * r / R, count = B * (r + 1) / R - first;
    const Labels slice_labels(y.begin() + static_cast<std::ptrdiff_t>(first),
                              y.begin() + static_cast<std::ptrdiff_t>(first + count));
    together_optimizer->zero_grad();
    together_loss.forward(together->forward(rows(x, first, count)), slice_labels);
    together->backward(together_loss.backward());
    std::vector<double> totals;
    parallel.reduce_gradients(together_loss.normalizer(slice_labels) / together_loss.normalizer(y),
                              totals);
    together_optimizer->step();
  }
  Worst worst;
  const auto a = alone->parameters(), b = together->parameters();
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = 0; j < a[i]->value.size(); ++j) {
      worst.difference =
          std::max(worst.difference,
                   std::abs(static_cast<double>(a[i]->value.data()[j] - b[i]->value.data()[j])));
      worst.scale = std::max(worst.scale, std::abs(static_cast<double>(a[i]->value.data()[j])));
    }
  CHECK(parallel.first_drifted().empty());
  return worst;
}

}  // namespace

TEST_CASE("N ranks with a slice each step as one process with the whole batch, float64", "[mpi]") {
  // Float64 on the reference kernels: the only difference is the order in which the slices'
  // gradients are added, 1e-16 relative per step.
  for (const std::string optimizer : {"sgd", "adam"})
    for (const std::size_t B : {8, 7}) {
      INFO(optimizer << ", batch " << B);
      const Worst worst = train_both<double>(optimizer, Backend::reference, B, {}, 5);
      CHECK(worst.difference <= 1e-12);
      const Worst weighted =
          train_both<double>(optimizer, Backend::reference, B, {1.0, 2.0, 0.5, 3.0, 1.0}, 5);
      CHECK(weighted.difference <= 1e-12);
    }
}

TEST_CASE("N ranks with a slice each step as one process with the whole batch, float32 oneDNN",
          "[mpi]") {
  // Float32: each slice's gradient sums fewer terms in another order (oneDNN's GEMM blocking
  // differs with the batch), ≈ 1e-7 relative per gradient; Adam divides by √v, so a weight moves
  // by ≈ lr per step and a relative gradient error of ε turns its direction by ≈ ε: after K = 5
  // steps of lr 1e-2 the weights differ by ≲ 5 · 1e-2 · 1e-6. 1e-5 leaves a margin of 20 and still
  // catches a wrong share (a factor of 2 moves the weights by ≈ 1e-2).
  for (const std::string optimizer : {"sgd", "adam"}) {
    INFO(optimizer);
    const Worst worst = train_both<float>(optimizer, Backend::onednn, 7, {}, 5);
    CHECK(worst.difference <= 1e-5 * std::max(1.0, worst.scale));
  }
}

TEST_CASE("Weights start as rank 0's, and a drifted parameter is named on every rank", "[mpi]") {
  Communicator& world = gradlab::world();
  auto model = small_cnn<float>();
  // Every rank but 0 starts elsewhere.
  if (world.rank() != 0)
    for (Parameter<float>* p : model->parameters()) p->value.fill(static_cast<float>(world.rank()));
  DataParallel<float> parallel(world, *model);
  CHECK(parallel.first_drifted() == "0.weight");
  parallel.broadcast_from_root(nullptr);
  CHECK(parallel.first_drifted().empty());
  // One element of the last layer's bias on the last rank.
  if (world.rank() == world.size() - 1) model->parameters().back()->value.data()[2] += 1e-7f;
  CHECK(parallel.first_drifted() == "3.bias");
}

TEST_CASE("Totals and metrics add up over the ranks", "[mpi]") {
  Communicator& world = gradlab::world();
  std::vector<double> values{1.0, static_cast<double>(world.rank())};
  world.sum(values.data(), values.size());
  const double R = world.size();
  CHECK(values[0] == R);
  CHECK(values[1] == R * (R - 1) / 2);
  CHECK(broadcast_string(world, world.rank() == 0 ? "from rank 0" : "", 0) == "from rank 0");
}

TEST_CASE("Each rank drops its own units: Dropout's streams differ by rank, rank 0 keeps its own",
          "[mpi]") {
  Communicator& world = gradlab::world();
  Sequential<float> model;
  model.emplace<Dropout<float>>(0.5, 42);
  Sequential<float> alone;
  alone.emplace<Dropout<float>>(0.5, 42);
  DataParallel<float> parallel(world, model);
  parallel.broadcast_from_root(nullptr);
  parallel.separate_random_streams();
  Tensor<float> x = Tensor<float>::from_shape({4, 64});
  x.fill(1.0f);
  const Tensor<float> mask = model.forward(x);
  const Tensor<float> expected_alone = alone.forward(x);
  // Rank 0 draws as a job of one would; every other rank draws another mask.
  const std::string mine(reinterpret_cast<const char*>(mask.data()), mask.size() * sizeof(float));
  const std::string rank0 = broadcast_string(world, mine, 0);
  if (world.rank() == 0)
    CHECK(std::equal(mask.begin(), mask.end(), expected_alone.begin()));
  else
    CHECK(mine != rank0);
}

TEST_CASE("Ranks that build different models all stop, naming the first difference and the ranks",
          "[mpi]") {
  // As when each host reads its own copy of the config: the last rank's second layer is wider.
  // Summing gradients of different sizes corrupted memory (double free inside MPI_Allreduce).
  Communicator& world = gradlab::world();
  const bool odd_one = world.rank() == world.size() - 1;
  Rng init(3);
  Sequential<float> model;
  model.emplace<Flatten<float>>();
  model.emplace<Linear<float>>(36, odd_one ? 32 : 16, init);
  const std::string last = std::to_string(world.size() - 1);
  CHECK_THROWS_WITH(DataParallel<float>(world, model),
                    Catch::Contains("rank 0 has parameter 1.weight [36, 16], rank " + last +
                                    " has parameter 1.weight [36, 32]"));
  // A parameter only some ranks have (an extra layer) is named too.
  if (odd_one) model.emplace<Linear<float>>(32, 4, init);
  CHECK_THROWS_WITH(DataParallel<float>(world, model),
                    Catch::Contains("rank " + last + " has parameter 1.weight [36, 32]"));
  // The same model everywhere passes.
  Sequential<float> same;
  same.emplace<Flatten<float>>();
  same.emplace<Linear<float>>(36, 16, init);
  CHECK_NOTHROW(DataParallel<float>(world, same));
}
