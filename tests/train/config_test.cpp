#include "train/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "datasets/registry.h"
#include "framework/kernels/backend.h"
#include "models/builder.h"
#include "tests/support.h"

using namespace gradlab;

namespace {
nlohmann::json minimal() {
  return nlohmann::json::parse(R"({
    "data": {"dataset": "mnist"},
    "model": {"layers": [{"type": "flatten"}, {"type": "linear", "out_features": 32}, {"type": "relu"},
                         {"type": "linear", "out_features": 10}]},
    "optimizer": {"type": "sgd", "lr": 0.1},
    "epochs": 2
  })");
}
std::string error_of(const nlohmann::json& config) {
  try {
    const ExperimentConfig experiment = parse_experiment(config, "test");
    build_model<float>(experiment.model, {1, 28, 28}, 10, experiment.seed);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("A minimal config resolves with every default written out", "[config]") {
  const ExperimentConfig config = parse_experiment(minimal(), "minimal");
  CHECK(config.seed == 42);
  CHECK(config.batch_size == 64);
  CHECK(config.data.folder == "data/mnist");
  CHECK(config.output == "runs/minimal");
  CHECK(config.resolved["data"]["validation_split"] == 0.1);
  CHECK(config.resolved["schedule"]["type"] == "constant");
  CHECK(config.resolved["backend"] == to_string(default_backend()));
  CHECK(config.precision == "f32");
  CHECK_FALSE(config.resolved.contains("precision"));  // as resolved before the key existed
}

TEST_CASE("precision is f32 or bf16, and bf16 runs on the onednn backend", "[config][errors]") {
  nlohmann::json config = minimal();
  config["precision"] = "bf16";
  config["backend"] = "onednn";
  const ExperimentConfig bf16 = parse_experiment(config, "bf16");
  CHECK(bf16.precision == "bf16");
  CHECK(bf16.resolved["precision"] == "bf16");
  config["backend"] = "reference";
  CHECK(error_of(config) ==
        "precision: \"bf16\" runs on the onednn backend; backend is \"reference\"");
  config["precision"] = "fp16";
  CHECK(error_of(config) ==
        "precision: unknown value \"fp16\"; did you mean \"bf16\"? (allowed: f32, bf16)");
}

TEST_CASE("ema keeps a weight average with a decay in (0, 1) and a warmup >= 1", "[config][ema]") {
  CHECK_FALSE(parse_experiment(minimal(), "plain").ema.enabled);
  CHECK_FALSE(parse_experiment(minimal(), "plain").resolved.contains("ema"));
  nlohmann::json config = minimal();
  config["ema"] = nlohmann::json::object();
  const ExperimentConfig defaults = parse_experiment(config, "ema");
  CHECK(defaults.ema.enabled);
  CHECK(defaults.ema.decay == 0.999);
  CHECK(defaults.ema.warmup == 10);
  CHECK(defaults.resolved["ema"] == nlohmann::json{{"decay", 0.999}, {"warmup", 10.0}});
  config["ema"] = {{"decay", 1.0}};
  CHECK(error_of(config) == "ema.decay: must be in (0, 1), got 1.0");
  config["ema"] = {{"decay", 0.99}, {"warmup", 0.5}};
  CHECK(error_of(config) == "ema.warmup: must be in [1, inf), got 0.5");
  config["ema"] = {{"decai", 0.99}};
  CHECK(error_of(config) ==
        "ema.decai: unknown key; did you mean \"decay\"? (valid keys: decay, warmup)");
}

TEST_CASE("eval.tta lists test-time views of images", "[config][tta]") {
  nlohmann::json config = minimal();
  config["eval"] = {{"tta", {"mirror", "shift_left"}}};
  const ExperimentConfig experiment = parse_experiment(config, "tta");
  CHECK(experiment.tta == std::vector<std::string>{"mirror", "shift_left"});
  CHECK(experiment.resolved["eval"]["tta"] == nlohmann::json{"mirror", "shift_left"});
  config["eval"]["tta"] = {"mirror", "shift_lft"};
  CHECK(error_of(config) ==
        "eval.tta[1]: unknown test-time view \"shift_lft\"; did you mean \"shift_left\"? "
        "(valid: mirror, shift_left, shift_right, shift_up, shift_down)");
  config["eval"]["tta"] = {"mirror", "mirror"};
  CHECK(error_of(config) == "eval.tta[1]: test-time view \"mirror\" is given twice");
  config["eval"] = {{"tta", {"mirror"}}};
  const std::filesystem::path table = testing::temp_folder("tta_table") / "table.csv";
  std::ofstream(table) << "x,y\n1,a\n2,b\n";
  config["data"] = {{"dataset", "csv"}, {"file", table.string()}, {"label", "y"}};
  CHECK(error_of(config) == "eval.tta: test-time views are of images; csv is a table");
}

TEST_CASE("one_cycle's momentum cycling needs an optimizer with momentum", "[config][errors]") {
  nlohmann::json config = minimal();  // sgd without momentum
  config["schedule"] = {{"type", "one_cycle"}};
  CHECK(error_of(config) ==
        "schedule.cycle_momentum: the sgd optimizer has no momentum to cycle; give "
        "optimizer.momentum (> 0) or set cycle_momentum to false");
  config["schedule"]["cycle_momentum"] = false;
  CHECK(error_of(config) == "no error");
  config["optimizer"]["momentum"] = 0.9;
  config["schedule"].erase("cycle_momentum");
  CHECK(error_of(config) == "no error");
}

TEST_CASE("Config errors name the key path and suggest the nearest name", "[config][errors]") {
  auto with = [](const std::string& path, const nlohmann::json& value) {
    nlohmann::json config = minimal();
    config[nlohmann::json::json_pointer(path)] = value;
    return config;
  };
  CHECK(error_of(with("/epochs", 0)) == "epochs: must be an integer in [1, 100000], got 0");
  CHECK(error_of(with("/epochs", "3")) == "epochs: expected an integer in [1, 100000], got \"3\"");
  CHECK(error_of(with("/epoch", 3)) ==
        "epoch: unknown key; did you mean \"epochs\"? (valid keys: backend, batch_size, "
        "data, divergence, early_stopping, ema, epochs, eval, gradient_clipping, log, "
        "log_every_steps, loss, model, optimizer, output, precision, schedule, seed)");
  CHECK(error_of(with("/data/dataset", "mnsit")) ==
        "data.dataset: unknown value \"mnsit\"; did you mean \"mnist\"? (allowed: mnist, "
        "fashion_mnist, idx, image_folder, csv)");
  CHECK(error_of(with("/data/validation_split", 1.5)) ==
        "data.validation_split: must be in [0, 1), got 1.5");
  CHECK(error_of(with("/model/layers/1/out_featurs", 5)) ==
        "model.layers[1].out_featurs: unknown key; did you mean \"out_features\"? (valid keys: "
        "bias, in_features, init, "
        "out_features, type)");
  // The allowed types are the registry's, sorted (tests/framework/layers/registry_test.cpp
  // registers one more in this binary).
  CHECK_THAT(error_of(with("/model/layers/2/type", "rleu")),
             Catch::StartsWith("model.layers[2].type: unknown value \"rleu\"; did you mean "
                               "\"relu\"? (allowed: avgpool2d, batchnorm1d, batchnorm2d, concat, "
                               "conv2d, dropout, flatten, gelu, global_avgpool2d, leaky_relu, "
                               "linear, maxpool2d, relu, residual, sigmoid, "));
  CHECK(error_of(with("/model/layers/1/in_features", 100)) ==
        "model.layers[1].in_features: is 100 but the previous layer outputs 784");
  CHECK(error_of(with("/model/layers/3/out_features", 7)) ==
        "model: the last layer outputs [1, 7] per batch, but the data set has 10 classes (expected "
        "[N, 10])");
  CHECK(error_of(with("/loss", {{"type", "cross_entropy"}, {"class_weights", "balance"}})) ==
        "loss.class_weights: expected \"balanced\" or a list of weights, got \"balance\"");
}

TEST_CASE("A model whose shapes do not chain is rejected before training, naming the layer",
          "[config][errors]") {
  nlohmann::json config = minimal();
  config["model"] = nlohmann::json::parse(R"({"layers": [
      {"type": "conv2d", "out_channels": 4, "kernel_size": 5}, {"type": "maxpool2d", "kernel_size": 2},
      {"type": "conv2d", "out_channels": 4, "kernal": 3}]})");
  CHECK(error_of(config) == "model.layers[2].kernel_size: missing (required)");
  config["model"]["layers"][2] = {{"type", "conv2d"}, {"out_channels", 4}, {"kernel_size", 13}};
  CHECK_THAT(error_of(config),
             Catch::Matchers::StartsWith(
                 "model.layers[2]: the shapes do not chain: Conv2d(4 -> 4, kernel_size=13") &&
                 Catch::Matchers::Contains("input [1, 4, 12, 12] is too small"));
  config["model"]["layers"][2] = {{"type", "linear"}, {"out_features", 10}};
  CHECK(error_of(config) ==
        "model.layers[2]: linear needs [N, features] input, the previous layer outputs [1, 4, 12, "
        "12] "
        "(add a flatten layer)");
}

TEST_CASE("Config overrides from --set reach nested keys and list elements", "[config]") {
  nlohmann::json config = minimal();
  apply_override(config, "epochs=5");
  apply_override(config, "optimizer.lr=0.01");
  apply_override(config, "model.layers[1].out_features=64");
  apply_override(config, "data.dataset=fashion_mnist");
  apply_override(config, "early_stopping.patience=2");
  CHECK(config["epochs"] == 5);
  CHECK(config["optimizer"]["lr"] == 0.01);
  CHECK(config["model"]["layers"][1]["out_features"] == 64);
  apply_override(config, "model.layers[3]={\"type\": \"linear\", \"out_features\": 10}");
  CHECK(config["model"]["layers"][3] == nlohmann::json({{"type", "linear"}, {"out_features", 10}}));
  CHECK(config["data"]["dataset"] == "fashion_mnist");
  CHECK(parse_experiment(config, "x").patience == 2);
  CHECK_THROWS_WITH(apply_override(config, "model.layers[9].type=relu"),
                    "--set model.layers[9].type: model.layers has no element [9]");
  CHECK_THROWS_WITH(apply_override(config, "epochs"), "--set epochs: expected key.path=value");
  // Bytes that are not UTF-8 (nlohmann's type_error escaped when the config was written; fuzzing).
  CHECK_THROWS_WITH(apply_override(config, "output=run\xff"), "--set output: not valid UTF-8 text");
  // An index that is not a number, or too long to be one, is named (found by fuzzing).
  CHECK_THROWS_WITH(apply_override(config, "model.layers[x].type=relu"),
                    "--set model.layers[x].type: [x] is not a list index");
  CHECK_THROWS_WITH(apply_override(config, "model.layers[99999999999999999999].type=relu"),
                    "--set model.layers[99999999999999999999].type: [99999999999999999999] is not "
                    "a list index");
  apply_override(config,
                 "optimizer.lrr=0.1");  // a typo is caught by the parser, like any unknown key
  CHECK_THROWS_WITH(parse_experiment(config, "x"),
                    "optimizer.lrr: unknown key; did you mean \"lr\"? (valid keys: lr, "
                    "momentum, nesterov, type, weight_decay)");
}

TEST_CASE("Named models build the documented architectures", "[config][models]") {
  auto lenet = build_model<float>({{"name", "lenet"}}, {1, 28, 28}, 10, 1);
  // (16·25 + 16) + (32·16·25 + 32) + (1568·128 + 128) + (128·10 + 10)
  CHECK(lenet->parameter_count() == 416 + 12832 + 200832 + 1290);
  auto mlp = build_model<float>({{"name", "mlp"}, {"hidden", {256, 128}}}, {1, 28, 28}, 10, 1);
  CHECK(mlp->parameter_count() == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
  CHECK_THROWS_WITH(
      build_model<float>({{"name", "lenet5"}}, {1, 28, 28}, 10, 1),
      "model.name: unknown value \"lenet5\"; did you mean \"lenet\"? (allowed: mlp, lenet)");
}

TEST_CASE("A layer constructor's own refusal comes out as a config error naming the layer",
          "[config][errors]") {
  // Zero input channels pass the config's checks (they come from the data, not a key) and used to
  // end in Conv2d's std::invalid_argument (a checkpoint with sample_shape [0, 28, 28]).
  const nlohmann::json model = {
      {"layers", {{{"type", "conv2d"}, {"out_channels", 2}, {"kernel_size", 3}}}}};
  CHECK_THROWS_MATCHES(build_model<float>(model, {0, 28, 28}, 10, 1), ConfigError,
                       Catch::Matchers::Message(
                           "model.layers[0]: Conv2d(0 -> 2, kernel_size=3, stride=1, padding=0): "
                           "channels, kernel_size and stride must be >= 1"));
}

TEST_CASE("data.normalize takes numbers, one per channel, or the data set's statistics",
          "[config]") {
  nlohmann::json config = minimal();
  CHECK(parse_experiment(config, "t").data.normalization.mean == std::vector<double>{0.0});
  config["data"]["normalize"] = "dataset";
  const ExperimentConfig from_registry = parse_experiment(config, "t");
  CHECK(from_registry.data.normalization.mean == find_dataset("mnist").statistics.mean);
  CHECK(from_registry.data.normalization.std == std::vector<double>{0.3081});
  // Written back as numbers for one value, so resolved configs read as before.
  CHECK(from_registry.resolved["data"]["normalize"]["mean"] == 0.1307);
  config["data"]["normalize"] = {{"mean", {0.1, 0.2, 0.3}}, {"std", {0.5, 0.5, 0.5}}};
  const ExperimentConfig per_channel = parse_experiment(config, "t");
  CHECK(per_channel.data.normalization.mean == std::vector<double>{0.1, 0.2, 0.3});
  CHECK(per_channel.resolved["data"]["normalize"]["std"] == nlohmann::json{0.5, 0.5, 0.5});
  config["data"]["normalize"] = {{"mean", {0.1, 0.2}}, {"std", 0.5}};
  CHECK(error_of(config) == "data.normalize: mean has 2 values, std 1");
  config["data"]["normalize"] = {{"mean", 0.1}, {"std", {0.5, 0.0}}};
  CHECK(error_of(config) == "data.normalize.std[1]: expected a number in (0, inf), got 0.0");
}

TEST_CASE("The data set's entry decides its classes and folder", "[config]") {
  nlohmann::json config = minimal();
  config["data"]["dataset"] = "fashion_mnist";
  CHECK(parse_experiment(config, "t").data.folder == "/usr/share/datasets/fashion-mnist");
  config["data"]["keep_fraction"] = {1, 1, 1};
  CHECK(error_of(config) == "data.keep_fraction: expected one fraction per class (10), got 3");
  config["data"]["dataset"] = "idx";
  config["data"].erase("keep_fraction");
  CHECK(error_of(config).find("data.folder") != std::string::npos);  // no default folder
  config["data"]["dataset"] = "cifar";
  CHECK(error_of(config).find("data.dataset: ") == 0);
  CHECK(error_of(config).find("fashion_mnist") != std::string::npos);  // the valid names
}

TEST_CASE("A config file with a number too large for a double names the file", "[config][errors]") {
  const std::string path = (gradlab::testing::temp_folder("config_huge") / "huge.json").string();
  std::ofstream(path) << R"({"optimizer": {"type": "sgd", "lr": 1e999}})";
  CHECK_THROWS_WITH(load_json_file(path),
                    path + ": holds a number too large for a double (such as 1e999)");
}

TEST_CASE("Pooling and activation layers of small modern CNNs build from the config",
          "[config][models]") {
  nlohmann::json config = minimal();
  config["model"] = nlohmann::json::parse(R"({"layers": [
      {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
      {"type": "leaky_relu", "negative_slope": 0.2},
      {"type": "avgpool2d", "kernel_size": 3, "stride": 2, "padding": 1},
      {"type": "conv2d", "out_channels": 16, "kernel_size": 3}, {"type": "gelu"},
      {"type": "conv2d", "out_channels": 16, "kernel_size": 1}, {"type": "gelu", "approximate": "tanh"},
      {"type": "global_avgpool2d"}, {"type": "flatten"}, {"type": "linear", "out_features": 10}]})");
  const ExperimentConfig experiment = parse_experiment(config, "test");
  auto model = build_model<float>(experiment.model, {1, 28, 28}, 10, 1);
  // 28 → avgpool(3, 2, 1): floor((28 + 2 − 3) / 2) + 1 = 14 → conv 3×3: 12 → global: 1 × 1
  CHECK(model->output_shape({4, 1, 28, 28}) == Shape{4, 10});
  CHECK(model->size() == 10);
  CHECK(model->child(1).name() == "LeakyReLU(negative_slope=0.2)");
  CHECK(model->child(2).name() == "AvgPool2d(kernel_size=3, stride=2, padding=1)");
  CHECK(model->child(4).name() == "GELU");
  CHECK(model->child(6).name() == "GELU(approximate=tanh)");
  CHECK(model->child(7).name() == "GlobalAvgPool2d");

  config["model"]["layers"][2]["padding"] = 2;
  CHECK(error_of(config) == "model.layers[2].padding: is 2, more than half the kernel_size 3");
  config["model"]["layers"][2]["padding"] = 1;
  config["model"]["layers"][4]["approximate"] = "fast";
  CHECK_THAT(error_of(config),
             Catch::Matchers::StartsWith("model.layers[4].approximate: unknown value \"fast\""));
  config["model"]["layers"][4].erase("approximate");
  config["model"]["layers"][1]["negative_slope"] = -1;
  CHECK_THAT(error_of(config),
             Catch::Matchers::StartsWith("model.layers[1].negative_slope: must be"));
}

TEST_CASE("loss.label_smoothing is read for cross-entropy and checked", "[config]") {
  nlohmann::json config = minimal();
  config["loss"] = {{"type", "cross_entropy"}, {"label_smoothing", 0.1}};
  CHECK(parse_experiment(config, "t").loss.label_smoothing == 0.1);
  config["loss"]["label_smoothing"] = 1.5;
  CHECK(error_of(config) == "loss.label_smoothing: must be in [0, 1], got 1.5");
  config["loss"] = {{"type", "focal"}, {"label_smoothing", 0.1}};
  CHECK_THAT(error_of(config), Catch::Matchers::StartsWith("loss.label_smoothing: unknown key"));
}

TEST_CASE("BatchNorm layers build from the config, their channels inferred", "[config][models]") {
  nlohmann::json config = minimal();
  config["model"] = nlohmann::json::parse(R"({"layers": [
      {"type": "conv2d", "out_channels": 6, "kernel_size": 3, "bias": false},
      {"type": "batchnorm2d", "momentum": 0.01}, {"type": "relu"}, {"type": "flatten"},
      {"type": "linear", "out_features": 32}, {"type": "batchnorm1d", "affine": false},
      {"type": "linear", "out_features": 10}]})");
  auto model = build_model<float>(parse_experiment(config, "t").model, {1, 28, 28}, 10, 1);
  CHECK(model->child(1).name() == "BatchNorm2d(6, momentum=0.01)");
  CHECK(model->child(5).name() == "BatchNorm1d(32, affine=false)");
  // γ and β of the first; running statistics of both, named by position.
  CHECK(model->named_buffers().size() == 4);
  CHECK(model->named_buffers()[0].name == "1.running_mean");
  CHECK(model->named_buffers()[3].name == "5.running_var");

  config["model"]["layers"][1]["num_features"] = 8;
  CHECK(error_of(config) == "model.layers[1].num_features: is 8 but the previous layer outputs 6");
  config["model"]["layers"][1] = {{"type", "batchnorm1d"}};
  CHECK(error_of(config) ==
        "model.layers[1]: batchnorm1d needs [N, C] or [N, C, L] input, the "
        "previous layer outputs [1, 6, 26, 26]");
  config["model"]["layers"][1] = {{"type", "batchnorm2d"}, {"eps", 0}};
  CHECK(error_of(config) == "model.layers[1].eps: must be in (0, inf), got 0");
}

TEST_CASE("data.augment is read, mirrors by default only where the classes survive a mirror",
          "[config][augmentation]") {
  nlohmann::json config = minimal();
  CHECK_FALSE(parse_experiment(config, "t").data.augmentation.enabled());
  config["data"]["augment"] = {{"translate", 2}};
  ExperimentConfig mnist = parse_experiment(config, "t");
  CHECK(mnist.data.augmentation.translate == 2);
  CHECK_FALSE(mnist.data.augmentation.horizontal_flip);  // a mirrored 2 is no 2
  CHECK(mnist.resolved["data"]["augment"] ==
        nlohmann::json({{"translate", 2}, {"horizontal_flip", false}}));
  config["data"]["dataset"] = "fashion_mnist";
  CHECK(
      parse_experiment(config, "t").data.augmentation.horizontal_flip);  // a mirrored shirt is one
  config["data"]["augment"]["horizontal_flip"] = false;
  CHECK_FALSE(parse_experiment(config, "t").data.augmentation.horizontal_flip);
  config["data"]["augment"] = {{"translate", -1}};
  CHECK(error_of(config) == "data.augment.translate: must be an integer in [0, 64], got -1");
  config["data"]["augment"] = {{"flip", true}};
  CHECK(error_of(config) ==
        "data.augment.flip: unknown key (valid keys: erase, horizontal_flip, rotate, scale, "
        "translate)");
  config["data"]["augment"] = {{"rotate", 10}, {"scale", {0.9, 1.1}}};
  const ExperimentConfig warped = parse_experiment(config, "t");
  CHECK(warped.data.augmentation.rotate == 10);
  CHECK(warped.data.augmentation.scale_min == 0.9);
  CHECK(warped.data.augmentation.scale_max == 1.1);
  CHECK(warped.resolved["data"]["augment"]["scale"] == nlohmann::json({0.9, 1.1}));
  config["data"]["augment"] = {{"scale", {1.1, 0.9}}};
  CHECK(error_of(config) ==
        "data.augment.scale: expected [smallest, largest] factors, smallest first, got [1.1,0.9]");
  config["data"]["augment"] = {{"scale", {0.1, 1.0}}};
  CHECK(error_of(config) == "data.augment.scale[0]: expected a number in [0.25, 4], got 0.1");
  config["data"]["augment"] = {{"rotate", 200}};
  CHECK(error_of(config) == "data.augment.rotate: must be in [0, 180], got 200");
  config["data"]["augment"] = {{"erase", 0.5}};
  const ExperimentConfig erasing = parse_experiment(config, "t");
  CHECK(erasing.data.augmentation.erase == 0.5);
  CHECK(erasing.resolved["data"]["augment"]["erase"] == 0.5);
  config["data"]["augment"] = {{"erase", 1.5}};
  CHECK(error_of(config) == "data.augment.erase: must be in [0, 1], got 1.5");
}

TEST_CASE("data.class_names: the data set's, or one non-empty name per class", "[config]") {
  nlohmann::json config = minimal();
  CHECK(parse_experiment(config, "t").data.class_names[3] == "3");  // MNIST: the digits
  config["data"]["dataset"] = "fashion_mnist";
  CHECK(parse_experiment(config, "t").data.class_names[9] == "Ankle boot");
  config["data"]["class_names"] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  CHECK(parse_experiment(config, "t").data.class_names[9] == "j");
  config["data"]["class_names"] = {"a", "b"};
  CHECK(error_of(config) ==
        "data.class_names: expected a list of 10 names (one per class), got [\"a\",\"b\"]");
  config["data"]["class_names"] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", 9};
  CHECK(error_of(config) == "data.class_names[9]: expected a non-empty name, got 9");
}

TEST_CASE("Every shipped experiment config parses and builds its model", "[config]") {
  // experiments/*.json and experiments/imbalanced*/*.json, with each data set's sample shape. The
  // CSV configs read their table's columns: a small one made by the experiment's own generator.
  const std::string source(GRADLAB_SOURCE_DIR);
  const std::string tables = gradlab::testing::temp_folder("config_tables").string();
  REQUIRE(std::system(("python3 " + source + "/experiments/imbalanced_table/make_table.py " +
                       tables + " 300 100 >/dev/null")
                          .c_str()) == 0);
  std::size_t configs = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(source + "/experiments")) {
    if (entry.path().extension() != ".json") continue;
    INFO(entry.path().string());
    nlohmann::json config = load_json_file(entry.path().string());
    if (config["data"]["dataset"] == "csv") {
      config["data"]["file"] = tables + "/train.csv";
      config["data"]["test_file"] = tables + "/test.csv";
    }
    const ExperimentConfig experiment = parse_experiment(config, entry.path().filename().string());
    const Shape sample = sample_shape(experiment.data);
    CHECK_NOTHROW(build_model<float>(experiment.model, sample, experiment.data.class_names.size(),
                                     experiment.seed));
    ++configs;
  }
  CHECK(configs >= 13);  // the folder was found: 5 in experiments/, 4 in each imbalanced*/
}
