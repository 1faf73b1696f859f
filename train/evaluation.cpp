#include "train/evaluation.h"

#include "datasets/idx.h"
#include "datasets/registry.h"
#include "framework/kernels/backend.h"
#include "models/builder.h"

namespace gradlab {

template <class T>
std::unique_ptr<Sequential<T>> build_experiment_model(const ExperimentConfig& config,
                                                      const Shape& sample_shape,
                                                      std::size_t classes) {
  try {
    return build_model<T>(config.model, sample_shape, classes, config.seed);
  } catch (const ConfigError& error) {
    if (config.source.empty()) throw;
    throw ConfigError(config.source + ": " + error.what());
  }
}

template std::unique_ptr<Sequential<float>> build_experiment_model<float>(const ExperimentConfig&,
                                                                          const Shape&,
                                                                          std::size_t);
template std::unique_ptr<Sequential<double>> build_experiment_model<double>(const ExperimentConfig&,
                                                                            const Shape&,
                                                                            std::size_t);

LoadedModel load_trained_model(const std::string& checkpoint_path, const std::string& backend) {
  LoadedModel loaded{read_checkpoint(checkpoint_path), {}, nullptr};
  loaded.config = parse_experiment(loaded.checkpoint.config, "checkpoint");
  // The library can save other ranks; the command line runs images [C, H, W] and table rows [F].
  const std::size_t rank = find_dataset(loaded.config.data.dataset).table ? 1 : 3;
  if (loaded.checkpoint.sample_shape.size() != rank)
    throw DataError(checkpoint_path + ": a model of samples " +
                    to_string(loaded.checkpoint.sample_shape) + "; its data set's samples are " +
                    (rank == 1 ? "table rows [F]" : "images [C, H, W]"));
  loaded.model = build_experiment_model<float>(loaded.config, loaded.checkpoint.sample_shape,
                                               loaded.config.data.class_names.size());
  loaded.model->set_backend(parse_backend(backend.empty() ? loaded.config.backend : backend));
  restore_model(loaded.checkpoint, *loaded.model, Weights::average_if_kept);
  loaded.model->eval();
  return loaded;
}

ClassificationMetrics evaluate(Sequential<float>& model, ClassificationLoss<float>& loss,
                               DataLoader& loader, std::size_t classes, Communicator* world,
                               const BatchObserver& observe, const TestTimeAugmentation* tta,
                               ClassificationMetrics* without_views) {
  ClassificationMetrics metrics(classes), plain(classes);
  const bool views = tta && tta->enabled();
  Tensor<float> images, view, averaged;
  Labels labels;
  Rng unused(0);  // evaluation loaders do not shuffle: batches come in index order
  loader.start_epoch(unused);
  const bool was_training = model.is_training();
  model.eval();
  while (loader.next(images, labels)) {
    if (labels.empty()) continue;  // this rank's slice of a short last batch
    const Tensor<float>* logits = &model.forward(images);
    if (views) {
      averaged = *logits;  // the model's output buffer is overwritten by the next forward
      if (without_views) plain.add(averaged, labels, loss.forward(averaged, labels));
      for (std::size_t k = 0; k < tta->views().size(); ++k) {
        tta->view(k, images, view);
        averaged += model.forward(view);
      }
      averaged /= static_cast<float>(1 + tta->views().size());
      logits = &averaged;
    }
    metrics.add(*logits, labels, loss.forward(*logits, labels));
    if (observe) observe(*logits, labels);
  }
  model.train(was_training);
  if (world) reduce(metrics, *world);
  if (without_views) {
    if (!views) {
      *without_views = metrics;
    } else {
      if (world) reduce(plain, *world);
      *without_views = std::move(plain);
    }
  }
  return metrics;
}

void reduce(ClassificationMetrics& metrics, Communicator& world) {
  if (world.size() == 1) return;
  std::vector<double> totals = metrics.totals();
  world.sum(totals.data(), totals.size());
  metrics.set_totals(totals);
}

}  // namespace gradlab
