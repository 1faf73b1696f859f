// Evaluation: a config's model, a model restored from a checkpoint, and a model's metrics over a
// data loader. What the trainer (train/trainer.h) and the run report (train/report/report.h) both
// use, so that neither includes the other's header for it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "datasets/loader.h"
#include "datasets/test_time_augmentation.h"
#include "framework/distributed/communicator.h"
#include "framework/losses/classification_loss.h"
#include "framework/sequential.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/metrics.h"

namespace gradlab {

// The config's model for samples of this shape; its errors name the config's file (source).
template <class T>
std::unique_ptr<Sequential<T>> build_experiment_model(const ExperimentConfig& config,
                                                      const Shape& sample_shape,
                                                      std::size_t classes);

// A model restored from a checkpoint (in eval mode), with the checkpoint and the parsed config it
// was trained with; its weight average where the run kept one (the weights the run delivers).
// backend: "" for the one it was trained with. Throws DataError naming the file.
struct LoadedModel {
  Checkpoint checkpoint;
  ExperimentConfig config;
  std::unique_ptr<Sequential<float>> model;
};
LoadedModel load_trained_model(const std::string& checkpoint_path, const std::string& backend);

// Sees each batch's logits and labels as evaluate() computes them.
using BatchObserver = std::function<void(const Tensor<float>& logits, const Labels& labels)>;

// Loss and predictions of the model over a whole loader, in eval mode; the model is left in the
// mode it was in. With a world of several ranks, each evaluates its shard of the loader and the
// metrics are summed over the ranks; `observe` sees this rank's batches. With test-time views
// (tta), each batch's logits are the average over the batch and its views; `without_views`, if
// given, gets the metrics of the plain images' logits, from the same passes (the first view is
// the image itself), as evaluate() without views would give them.
ClassificationMetrics evaluate(Sequential<float>& model, ClassificationLoss<float>& loss,
                               DataLoader& loader, std::size_t classes,
                               Communicator* world = nullptr, const BatchObserver& observe = {},
                               const TestTimeAugmentation* tta = nullptr,
                               ClassificationMetrics* without_views = nullptr);

// Sums metrics over the ranks (each holds its shard's); nothing for a job of one.
void reduce(ClassificationMetrics& metrics, Communicator& world);

}  // namespace gradlab
