#include "train/demo.h"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <vector>

#include "datasets/spiral.h"
#include "framework/losses/softmax_cross_entropy.h"
#include "framework/optim/sgd.h"
#include "models/mlp.h"

namespace gradlab {

namespace {

// Fraction of rows whose largest logit is at the label.
double accuracy(const Tensor<float>& logits, const Labels& labels) {
  const std::size_t N = logits.shape(0), C = logits.shape(1);
  std::size_t correct = 0;
  for (std::size_t n = 0; n < N; ++n) {
    const float* row = logits.data() + n * C;
    correct += static_cast<int>(std::max_element(row, row + C) - row) == labels[n];
  }
  return static_cast<double>(correct) / static_cast<double>(N);
}

}  // namespace

DemoResult run_spiral_demo(const DemoOptions& options, std::ostream& log) {
  Rng rng(options.seed);
  const SpiralData data = make_spiral(100, 3, 0.2, rng);
  const std::size_t N = data.labels.size(), D = 2, B = options.batch_size;

  auto model = make_mlp<float>({D, options.hidden, options.hidden, 3}, rng);
  model->set_needs_input_grad(false);
  SoftmaxCrossEntropy<float> loss;
  SGD<float> optimizer(model->named_parameters(), options.learning_rate);

  std::vector<std::size_t> order(N);
  std::iota(order.begin(), order.end(), 0);
  Tensor<float> batch;
  Labels batch_labels;
  DemoResult result{};
  char line[160];
  for (std::size_t epoch = 1; epoch <= options.epochs; ++epoch) {
    // Fisher–Yates shuffle from the seeded Rng.
    for (std::size_t i = N - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
    double loss_sum = 0;
    std::size_t batches = 0;
    for (std::size_t start = 0; start < N; start += B) {
      const std::size_t size = std::min(B, N - start);
      batch.resize({size, D});
      batch_labels.resize(size);
      for (std::size_t i = 0; i < size; ++i) {
        const std::size_t row = order[start + i];
        for (std::size_t d = 0; d < D; ++d) batch(i, d) = data.points(row, d);
        batch_labels[i] = data.labels[row];
      }
      optimizer.zero_grad();
      loss_sum += loss.forward(model->forward(batch), batch_labels);
      model->backward(loss.backward());
      optimizer.step();
      ++batches;
    }
    const double mean_loss = loss_sum / static_cast<double>(batches);
    if (epoch == 1) result.first_loss = mean_loss;
    if (epoch % options.print_every == 0 || epoch == 1 || epoch == options.epochs) {
      result.final_loss = mean_loss;
      result.final_accuracy = accuracy(model->forward(data.points), data.labels);
      std::snprintf(line, sizeof line, "epoch %4zu  loss %.4f  train accuracy %.1f%%\n", epoch,
                    mean_loss, 100.0 * result.final_accuracy);
      log << line << std::flush;
    }
  }
  return result;
}

}  // namespace gradlab
