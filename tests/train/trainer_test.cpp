// End to end on a small synthetic data set made by the test (tests/synthetic_data.h).
#include "train/trainer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support.h"
#include "tests/synthetic_data.h"
#include "train/checkpoint.h"
#include "train/evaluation.h"

using namespace gradlab;
namespace fs = std::filesystem;

namespace {
// stateful: a BatchNorm1d after the first Linear, and training images augmented (shifts of up
// to 2 pixels): state that a resumed run must restore or redraw exactly.
// ema: keep a weight average (config "ema").
ExperimentConfig small_experiment(const std::string& data, const std::string& output,
                                  std::size_t epochs, bool stateful = false, bool ema = false) {
  nlohmann::json config = nlohmann::json::parse(R"({
    "seed": 7,
    "data": {"dataset": "idx", "validation_split": 0.2},
    "model": {"layers": [{"type": "flatten"}, {"type": "linear", "out_features": 32}, {"type": "relu"},
                         {"type": "dropout", "p": 0.2}, {"type": "linear", "out_features": 10}]},
    "optimizer": {"type": "adam", "lr": 0.003},
    "schedule": {"type": "cosine", "warmup_epochs": 0.5},
    "batch_size": 32
  })");
  config["data"]["folder"] = data;
  config["output"] = output;
  config["epochs"] = epochs;
  if (stateful) {
    config["model"]["layers"].insert(config["model"]["layers"].begin() + 2,
                                     nlohmann::json{{"type", "batchnorm1d"}});
    config["data"]["augment"] = {{"translate", 2}};
  }
  if (ema) config["ema"] = {{"decay", 0.9}, {"warmup", 5}};
  return parse_experiment(config, "small");
}
std::string temp_run(const std::string& name) {
  return testing::temp_folder("run_" + name).string();
}
}  // namespace

TEST_CASE("Training on synthetic data learns and writes a complete run folder", "[trainer]") {
  const std::string data = testing::make_synthetic_dataset("learn", 1000, 300);
  const std::string run = temp_run("learn");
  std::ostringstream log;
  const TrainResult result = train_experiment(small_experiment(data, run, 3), {}, log);
  INFO(log.str());
  // Ten well-separated blocks: chance is 10%; a working pipeline gets nearly all of them.
  CHECK(result.final_metrics["test"]["accuracy"].get<double>() >= 0.95);
  CHECK(result.final_metrics["test"]["count"] == 300);
  for (const char* file : {"config.json", "split.json", "metrics.jsonl", "final_metrics.json",
                           "checkpoints/last.safetensors", "checkpoints/best.safetensors"})
    CHECK(fs::exists(fs::path(run) / file));
  // split.json: 800 training and 200 validation images of the 1000, each once.
  const nlohmann::json split = nlohmann::json::parse(std::ifstream(fs::path(run) / "split.json"));
  CHECK(split["validation_from"] == "train");
  std::vector<std::size_t> train = split["train"], validation = split["validation"];
  CHECK(train.size() == 800);
  CHECK(validation.size() == 200);
  std::vector<std::size_t> all = train;
  all.insert(all.end(), validation.begin(), validation.end());
  std::sort(all.begin(), all.end());
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
  CHECK(all.back() < 1000);
  std::ifstream metrics(fs::path(run) / "metrics.jsonl");
  std::size_t lines = 0;
  for (std::string line; std::getline(metrics, line); ++lines)
    CHECK(nlohmann::json::parse(line).contains("val_accuracy"));
  CHECK(lines == 3);
  // A second run into the same folder must not overwrite the first.
  CHECK_THROWS_WITH(train_experiment(small_experiment(data, run, 3), {}, log),
                    Catch::Matchers::Contains("already holds a run"));
}

TEST_CASE("Resuming a run gives bit-identical weights to a run never stopped", "[trainer]") {
  const std::string data = testing::make_synthetic_dataset("resume", 400, 50);
  const std::string straight = temp_run("straight"), stopped = temp_run("stopped");
  // With a BatchNorm1d, whose running statistics (buffers) must be restored bit-exactly too, and
  // augmented images, whose shifts must be drawn again as in the run never stopped.
  auto experiment = [&](const std::string& output) {
    return small_experiment(data, output, 3, /*stateful=*/true);
  };
  std::ostringstream log;
  train_experiment(experiment(straight), {}, log);
  TrainOptions interrupted;
  interrupted.stop_after_epoch = 1;  // as if the process died after epoch 1's checkpoint
  train_experiment(experiment(stopped), interrupted, log);
  CHECK(read_checkpoint(stopped + "/checkpoints/last.safetensors").progress.epoch == 1);
  TrainOptions resume;
  resume.resume_dir = stopped;
  train_experiment(experiment(stopped), resume, log);

  const Checkpoint a = read_checkpoint(straight + "/checkpoints/last.safetensors");
  const Checkpoint b = read_checkpoint(stopped + "/checkpoints/last.safetensors");
  REQUIRE(a.file.tensors.size() == b.file.tensors.size());
  for (std::size_t i = 0; i < a.file.tensors.size(); ++i) {
    INFO(a.file.tensors[i].first);
    CHECK(a.file.tensors[i].first == b.file.tensors[i].first);
    CHECK(std::equal(a.file.tensors[i].second.begin(), a.file.tensors[i].second.end(),
                     b.file.tensors[i].second.begin()));
  }
  CHECK(b.progress.step == a.progress.step);
  // The running mean is saved, and moved away from its initial zeros by training.
  bool running_mean_saved = false;
  for (const auto& [name, tensor] : b.file.tensors) {
    if (name != "model.2.running_mean") continue;
    running_mean_saved = std::any_of(tensor.begin(), tensor.end(), [](float v) { return v != 0; });
  }
  CHECK(running_mean_saved);
  std::ifstream metrics(fs::path(stopped) / "metrics.jsonl");
  std::size_t lines = 0;
  for (std::string line; std::getline(metrics, line);) ++lines;
  CHECK(lines == 3);
}

namespace {
const Tensor<float>& tensor_named(const Checkpoint& checkpoint, const std::string& name) {
  for (const auto& [tensor_name, tensor] : checkpoint.file.tensors)
    if (tensor_name == name) return tensor;
  FAIL("no tensor " << name << " in " << checkpoint.path);
  throw std::logic_error("unreachable");
}
}  // namespace

TEST_CASE("A run that keeps a weight average validates it, delivers it and resumes bit-exactly",
          "[trainer][ema]") {
  const std::string data = testing::make_synthetic_dataset("ema", 400, 60);
  const std::string straight = temp_run("ema_straight"), stopped = temp_run("ema_stopped");
  auto experiment = [&](const std::string& output) {
    return small_experiment(data, output, 3, /*stateful=*/true, /*ema=*/true);
  };
  std::ostringstream log;
  const TrainResult result = train_experiment(experiment(straight), {}, log);
  INFO(log.str());

  // Each epoch validates the trained weights and the average.
  std::ifstream metrics(fs::path(straight) / "metrics.jsonl");
  for (std::string line; std::getline(metrics, line);) {
    const nlohmann::json epoch = nlohmann::json::parse(line);
    CHECK(epoch.contains("val_accuracy"));
    CHECK(epoch.contains("ema_val_accuracy"));
    CHECK(epoch["ema_val_loss"] != epoch["val_loss"]);
  }
  // The final metrics are the average's, the trained weights' beside them.
  const nlohmann::json& final_metrics = result.final_metrics;
  CHECK(final_metrics["weights"] == "ema");
  REQUIRE(final_metrics.contains("trained_weights"));
  CHECK(final_metrics["trained_weights"]["test"]["count"] == 60);
  CHECK(final_metrics["test"]["loss"] != final_metrics["trained_weights"]["test"]["loss"]);
  CHECK(log.str().find("weight average of epoch") != std::string::npos);

  // The checkpoint holds an average of every weight and buffer, and eval loads the average.
  const Checkpoint best = read_checkpoint(straight + "/checkpoints/best.safetensors");
  REQUIRE(has_weight_average(best));
  LoadedModel loaded = load_trained_model(straight + "/checkpoints/best.safetensors", "");
  for (const NamedParameter<float>& named : loaded.model->named_parameters()) {
    INFO(named.name);
    CHECK_THAT(named.parameter->value,
               testing::TensorEquals<float>(tensor_named(best, "ema." + named.name)));
    const Tensor<float>& trained = tensor_named(best, "model." + named.name);
    CHECK_FALSE(std::equal(trained.begin(), trained.end(), named.parameter->value.begin()));
  }
  for (const NamedBuffer<float>& named : loaded.model->named_buffers())
    CHECK_THAT(*named.tensor,
               testing::TensorEquals<float>(tensor_named(best, "ema." + named.name)));

  // Stopped after epoch 1 and resumed: every tensor, the averages included, as never stopped.
  TrainOptions interrupted;
  interrupted.stop_after_epoch = 1;
  train_experiment(experiment(stopped), interrupted, log);
  TrainOptions resume;
  resume.resume_dir = stopped;
  train_experiment(experiment(stopped), resume, log);
  const Checkpoint a = read_checkpoint(straight + "/checkpoints/last.safetensors");
  const Checkpoint b = read_checkpoint(stopped + "/checkpoints/last.safetensors");
  REQUIRE(a.file.tensors.size() == b.file.tensors.size());
  std::size_t averages = 0;
  for (std::size_t i = 0; i < a.file.tensors.size(); ++i) {
    INFO(a.file.tensors[i].first);
    CHECK(a.file.tensors[i].first == b.file.tensors[i].first);
    averages += a.file.tensors[i].first.rfind("ema.", 0) == 0;
    CHECK_THAT(b.file.tensors[i].second, testing::TensorEquals<float>(a.file.tensors[i].second));
  }
  CHECK(averages == loaded.model->named_parameters().size() + loaded.model->named_buffers().size());
  CHECK(b.file.metadata.at("ema_updates") == a.file.metadata.at("ema_updates"));
  CHECK(a.file.metadata.at("ema_updates") == std::to_string(a.progress.step));
}

TEST_CASE("Resuming with ema a run that kept no average starts the average there",
          "[trainer][ema]") {
  const std::string data = testing::make_synthetic_dataset("ema_late", 400, 60);
  const std::string run = temp_run("ema_late");
  std::ostringstream log;
  TrainOptions interrupted;
  interrupted.stop_after_epoch = 1;
  train_experiment(small_experiment(data, run, 2), interrupted, log);
  TrainOptions resume;
  resume.resume_dir = run;
  const TrainResult result =
      train_experiment(small_experiment(data, run, 2, false, /*ema=*/true), resume, log);
  CHECK(log.str().find("the checkpoint has no weight average") != std::string::npos);
  const Checkpoint last = read_checkpoint(run + "/checkpoints/last.safetensors");
  // One epoch of updates: the steps since the resume.
  CHECK(std::stoul(last.file.metadata.at("ema_updates")) * 2 == last.progress.step);
  CHECK(result.final_metrics["weights"] == "ema");
}

TEST_CASE("A run with test-time views reports its final metrics with and without them",
          "[trainer][tta]") {
  const std::string data = testing::make_synthetic_dataset("tta", 200, 50);
  const std::string run = temp_run("tta");
  nlohmann::json config = small_experiment(data, run, 1).resolved;
  config["eval"] = {{"tta", {"mirror", "shift_up"}}};
  std::ostringstream log;
  const TrainResult result = train_experiment(parse_experiment(config, "tta"), {}, log);
  INFO(log.str());
  const nlohmann::json& metrics = result.final_metrics;
  CHECK(metrics["tta"] == nlohmann::json{"mirror", "shift_up"});
  REQUIRE(metrics.contains("without_tta"));
  CHECK(metrics["test"]["count"] == 50);
  CHECK(metrics["without_tta"]["test"]["count"] == 50);
  CHECK(metrics["test"]["loss"] != metrics["without_tta"]["test"]["loss"]);
  CHECK(metrics["validation"]["loss"] != metrics["without_tta"]["validation"]["loss"]);
  CHECK(log.str().find("test-time views mirror, shift_up: 3 passes per image") !=
        std::string::npos);
}

TEST_CASE("A one-cycle run sets the optimizer's momentum at every step", "[trainer][schedule]") {
  const std::string data = testing::make_synthetic_dataset("one_cycle", 200, 50);
  const std::string run = temp_run("one_cycle");
  nlohmann::json config = small_experiment(data, run, 2).resolved;
  config["optimizer"] = {{"type", "sgd"}, {"lr", 0.05}, {"momentum", 0.9}};
  config["schedule"] = {{"type", "one_cycle"}};
  std::ostringstream log;
  train_experiment(parse_experiment(config, "one_cycle"), {}, log);
  INFO(log.str());
  CHECK(log.str().find("schedule: one_cycle(T=") != std::string::npos);
  // The last step ran at the cycle's end: max_momentum (0.95, not the config's 0.9) and
  // lr / (div_factor · final_div_factor).
  const Checkpoint last = read_checkpoint(run + "/checkpoints/last.safetensors");
  CHECK(last.file.metadata.at("optimizer") == "SGD(lr=2e-07, momentum=0.95 heavy-ball)");
}

TEST_CASE("A diverging run stops with a message naming the step", "[trainer][errors]") {
  const std::string data = testing::make_synthetic_dataset("diverge", 200, 20);
  const std::string run = temp_run("diverge");
  ExperimentConfig config = small_experiment(data, run, 2);
  // The trainer makes the optimizer and schedule from the specs parse_experiment checked.
  config.optimizer_spec =
      parse_optimizer(ConfigObject({{"type", "sgd"}, {"lr", 1e30}}, "optimizer"));
  config.schedule_spec = parse_schedule(ConfigObject({{"type", "constant"}}, "schedule"), 1e30);
  std::ostringstream log;
  CHECK_THROWS_WITH(
      train_experiment(config, {}, log),
      Catch::Matchers::Matches("step [0-9]+ \\(epoch 1\\): (the loss is .*|a gradient is NaN or "
                               "infinite); stopping.*No checkpoint was written\\."));
  CHECK(!fs::exists(fs::path(run) / "checkpoints" / "last.safetensors"));
}

TEST_CASE("A missing data folder is reported with the path and the fix", "[trainer][errors]") {
  std::ostringstream log;
  CHECK_THROWS_WITH(
      train_experiment(small_experiment("/nonexistent/folder", temp_run("missing"), 1), {}, log),
      Catch::Matchers::StartsWith("/nonexistent/folder/train-images-idx3-ubyte: not found"));
}

TEST_CASE("A shift that moves images out of view is refused naming the key", "[trainer][errors]") {
  const std::string data = testing::make_synthetic_dataset("translate", 40, 10);
  ExperimentConfig config = small_experiment(data, temp_run("translate"), 2);
  config.data.augmentation.translate = 14;  // 28×28 images: a shift of 14 leaves half of one
  std::ostringstream log;
  CHECK_THROWS_WITH(train_experiment(config, {}, log),
                    "data.augment.translate: 14 pixels shifts 28x28 images out of view; at most "
                    "13 (under half the smaller side)");
  config.data.augmentation.translate = 13;
  CHECK_NOTHROW(train_experiment(config, {}, log));
}

namespace {
// The small experiment with another optimizer learning rate (as `--set optimizer.lr=...`) and
// divergence factor.
ExperimentConfig with_rate(const std::string& data, const std::string& run, std::size_t epochs,
                           double lr, double divergence_factor = 10) {
  ExperimentConfig config = small_experiment(data, run, epochs);
  nlohmann::json resolved = config.resolved;
  resolved["optimizer"]["lr"] = lr;
  resolved["schedule"] = {{"type", "constant"}};
  resolved["divergence"]["factor"] = divergence_factor;
  return parse_experiment(resolved, "small");
}
std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

TEST_CASE("A run whose loss climbs far above its first step's stops before a checkpoint",
          "[trainer][errors]") {
  // lr 1e6: the loss climbs to ~1e13 and stays finite, so only NaN/inf checks let it run on.
  const std::string data = testing::make_synthetic_dataset("climb", 400, 50);
  const std::string run = temp_run("climb");
  std::ostringstream log;
  CHECK_THROWS_WITH(train_experiment(with_rate(data, run, 3, 1e6), {}, log),
                    Catch::Matchers::Matches(
                        "step [0-9]+ \\(epoch 1\\): the training loss averaged over steps 1-[0-9]+ "
                        "is .*, more than 10 times the first step's .* \\(divergence.factor\\); "
                        "stopping\\. Lower the learning rate or clip gradients\\. No checkpoint "
                        "was written\\."));
  CHECK_FALSE(fs::exists(fs::path(run) / "checkpoints" / "last.safetensors"));
  // divergence.factor 0 turns the rule off: the same run goes to the end.
  const std::string unguarded = temp_run("climb_off");
  CHECK_NOTHROW(train_experiment(with_rate(data, unguarded, 2, 1e6, 0), {}, log));
}

TEST_CASE("Resuming at a diverging rate stops and keeps the last good checkpoint",
          "[trainer][errors]") {
  // The run's first step's loss is kept in its checkpoints, so the resumed run is held to it;
  // before, a resumed run at lr 1e6 overwrote last.safetensors with garbage weights. And the
  // header says the rate that runs, not the checkpoint's.
  const std::string data = testing::make_synthetic_dataset("resume_climb", 400, 50);
  const std::string run = temp_run("resume_climb");
  std::ostringstream first;
  TrainOptions interrupted;
  interrupted.stop_after_epoch = 1;
  train_experiment(with_rate(data, run, 3, 0.003), interrupted, first);
  const std::string last = run + "/checkpoints/last.safetensors";
  const std::string good = file_bytes(last);
  CHECK(read_checkpoint(last).progress.initial_loss > 0);
  TrainOptions resume;
  resume.resume_dir = run;
  std::ostringstream log;
  CHECK_THROWS_WITH(train_experiment(with_rate(data, run, 3, 1e6), resume, log),
                    Catch::Matchers::Contains("(epoch 2): the training loss averaged over") &&
                        Catch::Matchers::EndsWith("The last good checkpoint is " + last));
  CHECK(file_bytes(last) == good);
  CHECK(log.str().find("optimizer: Adam(lr=1e+06") != std::string::npos);
}

TEST_CASE(
    "A BatchNorm1d model whose last training batch would hold one sample is refused before "
    "training, naming the keys",
    "[trainer]") {
  // PyTorch stops at that batch ("expected more than 1 value per channel when training"); here it
  // stopped at the end of epoch 1, before any checkpoint. 33 training images in batches of 32.
  const std::string data = testing::make_synthetic_dataset("last_one", 33, 10);
  const std::string run = temp_run("last_one");
  ExperimentConfig config = small_experiment(data, run, 1, /*stateful=*/true);
  config.data.validation_split = 0;
  std::ostringstream log;
  CHECK_THROWS_WITH(
      train_experiment(config, {}, log),
      Catch::Contains("batch_size: 32 leaves the 33 training images a last batch of "
                      "1 (1 x 32 + 1); the model's BatchNorm layers need at least 2") &&
          Catch::Contains("change batch_size, or data.limit"));
  CHECK_FALSE(fs::exists(fs::path(run) / "checkpoints"));
  // Batches of one throughout are refused too.
  config.batch_size = 1;
  CHECK_THROWS_WITH(train_experiment(config, {}, log),
                    Catch::Contains("batch_size: 1 gives training batches of 1 samples"));
  // Without the BatchNorm1d, the same batches train: the check is the layer's, not the size's.
  ExperimentConfig plain = small_experiment(data, temp_run("last_one_plain"), 1);
  plain.data.validation_split = 0;
  CHECK_NOTHROW(train_experiment(plain, {}, log));
  // A BatchNorm2d over planes of several values trains on a last batch of one.
  nlohmann::json conv = config.resolved;
  conv["output"] = temp_run("last_one_conv");
  conv["data"]["validation_split"] = 0;
  conv["model"]["layers"] = nlohmann::json::parse(R"([
    {"type": "conv2d", "out_channels": 2, "kernel_size": 3}, {"type": "batchnorm2d"},
    {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "out_features": 10}])");
  conv["batch_size"] = 32;
  CHECK_NOTHROW(train_experiment(parse_experiment(conv, "conv"), {}, log));
}
