// Trains a one-hidden-layer MLP on MNIST for one epoch with gradlab's explicit forward and
// backward passes, then saves a checkpoint that the gradlab CLI evaluates:
//   train_mlp MNIST_FOLDER CHECKPOINT && gradlab eval CHECKPOINT
#include <cstdio>
#include <numeric>

#include <gradlab/gradlab.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: train_mlp MNIST_FOLDER CHECKPOINT\n");
    return 2;
  }
  using namespace gradlab;
  try {
    // The config the checkpoint carries: gradlab eval rebuilds the model and finds the data by it.
    const nlohmann::json config = {
        {"data", {{"dataset", "mnist"}, {"folder", argv[1]}, {"normalize", "dataset"}}},
        {"model", {{"name", "mlp"}, {"hidden", {128}}}},
        {"optimizer", {{"type", "adam"}, {"lr", 1e-3}}},
        {"epochs", 1},
        {"batch_size", 64}};
    const ImageDataset train = load_idx_dataset(argv[1], "train");
    auto model = build_model<float>(config["model"], train.sample_shape(), 10, /*seed=*/1);
    SoftmaxCrossEntropy<float> loss;
    Adam<float> optimizer(model->named_parameters(), config["optimizer"]["lr"]);

    std::vector<std::size_t> all(train.count);
    std::iota(all.begin(), all.end(), 0);
    DataLoader loader(train, all, config["batch_size"], /*shuffle=*/true, /*drop_last=*/false,
                      find_dataset("mnist").statistics);
    Rng rng(1);
    Tensor<float> images;
    Labels labels;
    TrainingProgress progress;
    double loss_sum = 0;
    for (loader.start_epoch(rng); loader.next(images, labels); ++progress.step) {
      optimizer.zero_grad();
      loss_sum += loss.forward(model->forward(images), labels);  // L, and p - y kept for backward
      model->backward(loss.backward());                          // ∂L/∂θ into each parameter
      optimizer.step();
    }
    progress.epoch = 1;
    std::printf("%zu steps, mean training loss %.4f\n", progress.step, loss_sum / progress.step);
    save_checkpoint(argv[2], *model, &optimizer, progress, config, train.sample_shape());
    std::printf("saved %s\n", argv[2]);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "train_mlp: %s\n", error.what());
    return 1;
  }
  return 0;
}
