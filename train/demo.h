// The core framework's demo: an MLP learns the 3-class spiral with softmax cross-entropy and SGD.
#pragma once

#include <cstdint>
#include <ostream>

namespace gradlab {

struct DemoOptions {
  std::uint64_t seed = 42;
  std::size_t epochs = 200;
  std::size_t batch_size = 30;
  double learning_rate = 0.2;
  std::size_t hidden = 64;
  std::size_t print_every = 20;  // epochs
};

struct DemoResult {
  double first_loss, final_loss, final_accuracy;
};

// Prints one line every print_every epochs (epoch, mean training loss, training accuracy).
DemoResult run_spiral_demo(const DemoOptions& options, std::ostream& log);

}  // namespace gradlab
