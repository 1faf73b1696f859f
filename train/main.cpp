// gradlab: the command line. Each subcommand lives in train/commands.cpp; this file only parses
// arguments and turns errors into one line on stderr and a non-zero exit code.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "framework/distributed/communicator.h"
#include "framework/kernels/backend.h"
#include "framework/log.h"
#include "framework/precision.h"
#include "framework/runtime.h"
#include "gradlab/version.h"
#include "train/commands.h"
#include "train/data_commands.h"
#include "train/demo.h"
#include "train/pca.h"
#include "train/watch/watch.h"

int main(int argc, char** argv) {
  CLI::App app{"gradlab: train neural networks on the CPU with explicit backward passes"};
  app.set_version_flag("--version", std::string("gradlab ") + GRADLAB_VERSION);
  app.require_subcommand(1);

  std::string config, checkpoint, resume, data, backend, precision;
  // The backends' names, for --backend's help and check.
  const std::vector<std::string> backend_names = gradlab::backend_names();
  std::string backend_list;
  for (const std::string& name : backend_names)
    backend_list += (backend_list.empty() ? "" : " or ") + name;
  int threads = 0;
  app.add_option("--threads", threads,
                 "compute threads (OpenMP), default $OMP_NUM_THREADS or all cores")
      ->check(CLI::Range(1, 1024));
  std::vector<std::string> overrides, images;
  std::size_t batch = 2, elements = 100;

  CLI::App* train = app.add_subcommand("train", "train a model from a JSON experiment config");
  train->add_option("config", config, "experiment config (JSON); optional with --resume");
  train->add_option("--set", overrides, "override a config value: key.path=value (repeatable)");
  train->add_option("--backend", backend, "kernels: " + backend_list + " (overrides the config)")
      ->check(CLI::IsMember(backend_names));
  train
      ->add_option("--precision", precision,
                   "f32, or bf16: mixed precision on CPUs with AVX512_BF16 or AMX (overrides the "
                   "config)")
      ->check(CLI::IsMember(gradlab::precision_names()));
  train->add_option("--resume", resume, "continue the run in this folder from its last checkpoint")
      ->check(CLI::ExistingDirectory);

  CLI::App* eval =
      app.add_subcommand("eval", "metrics and confusion matrix of a checkpoint on a test set");
  eval->add_option("checkpoint", checkpoint, "a .safetensors checkpoint")->required();
  eval->add_option("--data", data, "folder of IDX files (default: the checkpoint's data folder)");
  eval->add_option("--backend", backend, "kernels: " + backend_list)
      ->check(CLI::IsMember(backend_names));
  std::string report_path;
  eval->add_option("--report", report_path,
                   "also write a report (HTML, with PNG copies beside it) of this evaluation");
  std::string tta;
  eval->add_option("--tta", tta,
                   "test-time views averaged with each image, comma-separated (mirror, "
                   "shift_left, shift_right, shift_up, shift_down), or none (default: the "
                   "checkpoint config's eval.tta)");

  std::string run_dir;
  CLI::App* report = app.add_subcommand(
      "report", "write RUN_DIR/report.html: curves, confusion matrix, mistakes (any run)");
  report->add_option("run", run_dir, "a run folder (finished, stopped or still training)")
      ->required()
      ->check(CLI::ExistingDirectory);
  report->add_option("--backend", backend, "kernels for the evaluation: " + backend_list)
      ->check(CLI::IsMember(backend_names));

  gradlab::WatchOptions watch_options;
  CLI::App* watch = app.add_subcommand(
      "watch", "serve a live page of a run while it trains: curves, learning rate, speed, ETA");
  watch->add_option("run", run_dir, "a run folder (training, stopped or finished)")
      ->required()
      ->check(CLI::ExistingDirectory);
  watch->add_option("--host", watch_options.host,
                    "address to listen on (127.0.0.1: this machine only; 0.0.0.0: every network)");
  watch->add_option("--port", watch_options.port, "port (8080; 0: any free one)")
      ->check(CLI::Range(0, 65535));
  watch
      ->add_option("--interval", watch_options.interval_seconds,
                   "seconds between the page's readings of the run (2)")
      ->check(CLI::Range(0.1, 3600.0));

  CLI::App* predict = app.add_subcommand(
      "predict", "class and probabilities for images (PNG, JPEG, PGM, IDX, or folders)");
  predict->add_option("checkpoint", checkpoint, "a .safetensors checkpoint")->required();
  predict->add_option("images", images, "image files or folders of them")->required();
  std::string predict_csv;
  predict->add_option("--csv", predict_csv, "also write the predictions to this CSV file");
  bool predict_json = false;
  predict->add_flag("--json", predict_json,
                    "one JSON line per image: class and logits at full precision");
  predict->add_option("--backend", backend, "kernels: " + backend_list)
      ->check(CLI::IsMember(backend_names));

  std::string onnx_path, export_batch = "dynamic";
  CLI::App* export_onnx =
      app.add_subcommand("export", "write a checkpoint's model as an ONNX graph (opset 13)");
  export_onnx->add_option("checkpoint", checkpoint, "a .safetensors checkpoint")->required();
  export_onnx->add_option("--onnx", onnx_path, "the .onnx file to write")->required();
  export_onnx->add_option("--batch", export_batch,
                          "the batch dimension: dynamic (default) or a fixed size");

  CLI::App* summary = app.add_subcommand(
      "summary", "each layer of a config's model: output shape, parameters, FLOPs");
  summary->add_option("config", config, "experiment config (JSON)")->required();
  summary->add_option("--set", overrides, "override a config value: key.path=value (repeatable)");

  gradlab::LrFindOptions lr_find_options;
  std::string lr_find_output;
  CLI::App* lr_find = app.add_subcommand(
      "lr-find", "learning-rate range test: the loss against an exponentially growing rate");
  lr_find->add_option("config", config, "experiment config (JSON)")->required();
  lr_find->add_option("--set", overrides, "override a config value: key.path=value (repeatable)");
  lr_find->add_option("--steps", lr_find_options.steps, "steps of the test (100)")
      ->check(CLI::Range(2, 1000000));
  lr_find->add_option("--start", lr_find_options.start, "the first rate (1e-7)");
  lr_find->add_option("--end", lr_find_options.end, "the last rate (10)");
  lr_find->add_option("--output", lr_find_output,
                      "folder for lr_find.html, .json and .png (the config's output + _lr_find)");

  CLI::App* gradcheck = app.add_subcommand(
      "gradcheck", "float64 finite-difference check of a config's model and loss");
  gradcheck->add_option("config", config, "experiment config (JSON)")->required();
  gradcheck->add_option("--set", overrides, "override a config value: key.path=value (repeatable)");
  gradcheck->add_option("--batch", batch, "random inputs in the batch")->check(CLI::Range(1, 64));
  gradcheck->add_option("--elements", elements, "elements checked per parameter (0 = all)");

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

  gradlab::PcaOptions pca_options;
  CLI::App* pca = app.add_subcommand(
      "pca",
      "principal components of an MNIST-style image set: variance curve, errors, eigendigits");
  pca->add_option("--data", pca_options.data_dir,
                  "folder of IDX files (train-images-idx3-ubyte[.gz], ...)")
      ->required();
  pca->add_option("--components", pca_options.components, "K, the components fitted and kept")
      ->capture_default_str();
  pca->add_option("--out", pca_options.out_dir, "output folder (created; files in it replaced)")
      ->capture_default_str();
  pca->add_option("--method", pca_options.method,
                  "eigen (of the covariance) or svd (of the centred data)")
      ->capture_default_str()
      ->check(CLI::IsMember({"eigen", "svd"}));
  pca->add_option("--ks", pca_options.ks,
                  "reconstruction errors at these k (default 1, 2, 5, 10, 20, 50, ... up to K)")
      ->delimiter(',');
  pca->add_option("--samples", pca_options.samples,
                  "fit on the first N training images (default all)");

  CLI::App* data_command =
      app.add_subcommand("data", "look at a data set, or write one out as an image folder");
  data_command->require_subcommand(1);
  std::string inspect_path;
  bool inspect_json = false;
  CLI::App* inspect = data_command->add_subcommand(
      "inspect", "classes, counts per class and split, imbalance, image sizes and modes, problems");
  inspect
      ->add_option("path", inspect_path, "an image folder, a folder of IDX files, or a CSV table")
      ->required();
  std::string inspect_label;
  inspect->add_option("--label", inspect_label, "a CSV table's label column: class counts");
  inspect->add_flag("--json", inspect_json, "the report as JSON");
  gradlab::WriteFolderOptions folder_options;
  CLI::App* write_folder = data_command->add_subcommand(
      "write-folder", "write an IDX data set as an image folder (OUT/train/<class>/, OUT/test/)");
  write_folder->add_option("out", folder_options.out, "the folder to write")->required();
  write_folder->add_option("--dataset", folder_options.dataset, "mnist, fashion_mnist or idx")
      ->capture_default_str();
  write_folder->add_option("--data", folder_options.folder,
                           "folder of its IDX files (default: the data set's)");
  write_folder->add_option("--format", folder_options.format, "png or jpeg")
      ->capture_default_str()
      ->check(CLI::IsMember({"png", "jpeg"}));
  write_folder->add_option("--channels", folder_options.channels, "1 (grey) or 3 (RGB)")
      ->capture_default_str()
      ->check(CLI::IsMember({1, 3}));
  write_folder->add_option("--limit", folder_options.limit,
                           "only the first N images of each split");

  CLI11_PARSE(app, argc, argv);

  try {
    gradlab::set_num_threads(threads);
    if (*train) {
      if (config.empty() && resume.empty())
        throw CLI::ValidationError("train: give a CONFIG file, or --resume RUN_DIR");
      return gradlab::train_command(config, overrides, resume, backend, precision);
    }
    if (*eval) return gradlab::eval_command(checkpoint, data, backend, report_path, tta);
    if (*report) return gradlab::report_command(run_dir, backend);
    if (*watch) return gradlab::watch_command(run_dir, watch_options, std::cout);
    if (*predict)
      return gradlab::predict_command(checkpoint, images, backend, predict_json, predict_csv);
    if (*summary) return gradlab::summary_command(config, overrides);
    if (*lr_find)
      return gradlab::lr_find_command(config, overrides, lr_find_options, lr_find_output);
    if (*export_onnx)
      return gradlab::export_command(checkpoint, onnx_path, export_batch, GRADLAB_VERSION);
    if (*gradcheck) return gradlab::gradcheck_command(config, overrides, batch, elements);
    if (*pca) return gradlab::pca_command(pca_options);
    if (*inspect) return gradlab::data_inspect_command(inspect_path, inspect_label, inspect_json);
    if (*write_folder) return gradlab::data_write_folder_command(folder_options);
    if (*demo) {
      const gradlab::DemoResult result = gradlab::run_spiral_demo(demo_options, std::cout);
      std::printf("loss %.4f -> %.4f, train accuracy %.1f%%\n", result.first_loss,
                  result.final_loss, 100.0 * result.final_accuracy);
    }
  } catch (const std::exception& error) {
    // Under mpirun, a rank that fails ends the whole job at once, saying which rank it was: the
    // others would otherwise wait for it in their next collective operation for ever.
    gradlab::Communicator& world = gradlab::world();
    if (world.size() > 1)
      world.abort("gradlab: error on " + world.describe() + ": " + error.what(), 1);
    gradlab::error_line(std::string("gradlab: error: ") + error.what());
    return 1;
  }
  return 0;
}
