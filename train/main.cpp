// gradlab: the command line. This stub: --help, --version and the spiral demo.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "train/demo.h"

#ifndef GRADLAB_VERSION
#define GRADLAB_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  CLI::App app{"gradlab: train neural networks on the CPU with explicit backward passes"};
  app.set_version_flag("--version", std::string("gradlab ") + GRADLAB_VERSION);
  app.require_subcommand(1);

  gradlab::DemoOptions demo_options;
  CLI::App* demo = app.add_subcommand("demo", "train an MLP on the synthetic 3-class spiral");
  demo->add_option("--seed", demo_options.seed, "random seed (weights, data, shuffling)");
  demo->add_option("--epochs", demo_options.epochs, "passes over the 300 points")
      ->check(CLI::Range(1, 100000));
  demo->add_option("--lr", demo_options.learning_rate, "SGD learning rate")
      ->check(CLI::PositiveNumber);
  demo->add_option("--batch-size", demo_options.batch_size, "mini-batch size")
      ->check(CLI::Range(1, 300));
  demo->add_option("--hidden", demo_options.hidden, "units in each of the two hidden layers")
      ->check(CLI::Range(1, 4096));

  CLI11_PARSE(app, argc, argv);

  try {
    if (*demo) {
      const gradlab::DemoResult result = gradlab::run_spiral_demo(demo_options, std::cout);
      std::printf("loss %.4f -> %.4f, train accuracy %.1f%%\n", result.first_loss,
                  result.final_loss, 100.0 * result.final_accuracy);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "gradlab: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
