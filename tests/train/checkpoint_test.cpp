#include "train/checkpoint.h"

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <sys/resource.h>

#include "datasets/idx.h"
#include "framework/layers/dropout.h"
#include "framework/optim/adam.h"
#include "models/builder.h"
#include "models/mlp.h"
#include "tests/support.h"

using namespace gradlab;
using gradlab::testing::temp_folder;
namespace fs = std::filesystem;

namespace {
std::unique_ptr<Sequential<float>> small_model(std::uint64_t seed) {
  Rng rng(seed);
  auto model = make_mlp<float>({4, 5, 3}, rng);
  model->emplace<Dropout<float>>(0.5, seed);
  return model;
}
}  // namespace

TEST_CASE("safetensors files have the documented layout", "[checkpoint]") {
  const fs::path path = temp_folder("ckpt_layout") / "t.safetensors";
  SafetensorsFile file;
  file.metadata["note"] = "hi";
  file.tensors.emplace_back("a", Tensor<float>{{1, 2}, {3, 4}});
  file.tensors.emplace_back("b", Tensor<float>{5});
  save_safetensors(path.string(), file);
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::uint64_t length = 0;
  for (int i = 0; i < 8; ++i)
    length |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  CHECK((8 + length) % 8 == 0);
  const nlohmann::json header = nlohmann::json::parse(bytes.substr(8, length));
  CHECK(header["a"]["dtype"] == "F32");
  CHECK(header["a"]["shape"] == nlohmann::json{2, 2});
  CHECK(header["a"]["data_offsets"] == nlohmann::json{0, 16});
  CHECK(header["b"]["data_offsets"] == nlohmann::json{16, 20});
  CHECK(header["__metadata__"]["note"] == "hi");
  CHECK(bytes.size() == 8 + length + 20);
  float third;  // a[1][0] = 3, little-endian float at data offset 8
  std::memcpy(&third, bytes.data() + 8 + length + 8, 4);
  CHECK(third == 3.0f);

  const SafetensorsFile loaded = load_safetensors(path.string());
  CHECK(loaded.metadata.at("note") == "hi");
  CHECK(loaded.tensors[0].first == "a");
  CHECK(shape_of(loaded.tensors[0].second) == Shape{2, 2});
  CHECK(loaded.tensors[0].second(1, 1) == 4.0f);
  CHECK(loaded.tensors[1].second(0) == 5.0f);
}

TEST_CASE("A checkpoint restores weights, optimizer state and dropout RNG exactly",
          "[checkpoint]") {
  const fs::path path = temp_folder("ckpt_roundtrip") / "last.safetensors";
  auto model = small_model(1);
  Adam<float> adam(model->named_parameters(), 0.01);
  for (Parameter<float>* p : model->parameters()) p->grad.fill(0.5f);
  adam.step();
  adam.step();
  model->forward(Tensor<float>::from_shape({2, 4}));  // advances the dropout RNG
  TrainingProgress progress{3, 2, 0.97, 2, 1};
  save_checkpoint(path.string(), *model, &adam, progress, {{"seed", 1}}, {1, 2, 2});

  auto other = small_model(99);
  Adam<float> other_adam(other->named_parameters(), 0.5);
  const Checkpoint checkpoint = read_checkpoint(path.string());
  restore_model(checkpoint, *other);
  restore_optimizer(checkpoint, other_adam);
  CHECK(checkpoint.progress.epoch == 3);
  CHECK(checkpoint.progress.best_metric == 0.97);
  CHECK(checkpoint.config["seed"] == 1);
  CHECK(checkpoint.sample_shape == Shape{1, 2, 2});
  CHECK(other_adam.steps() == 2);
  CHECK(other_adam.learning_rate() == Approx(0.01));
  for (std::size_t i = 0; i < model->parameters().size(); ++i)
    CHECK(std::equal(model->parameters()[i]->value.begin(), model->parameters()[i]->value.end(),
                     other->parameters()[i]->value.begin()));
  // The same next dropout mask.
  auto& dropout_a = dynamic_cast<Dropout<float>&>((*model)[3]);
  auto& dropout_b = dynamic_cast<Dropout<float>&>((*other)[3]);
  dropout_a.forward(Tensor<float>::from_shape({2, 3}));
  dropout_b.forward(Tensor<float>::from_shape({2, 3}));
  CHECK(std::equal(dropout_a.mask().begin(), dropout_a.mask().end(), dropout_b.mask().begin()));
}

TEST_CASE("An interrupted checkpoint write leaves the previous checkpoint loadable",
          "[checkpoint]") {
  const fs::path path = temp_folder("ckpt_atomic") / "last.safetensors";
  auto model = small_model(1);
  save_checkpoint(path.string(), *model, nullptr, {1, 10, 0.5, 1, 0}, {{"v", 1}}, {1, 2, 2});
  for (Parameter<float>* p : model->parameters()) p->value.fill(42.0f);
  // Simulate a crash after the new file is written but before it replaces the old one.
  CHECK_THROWS_AS(save_checkpoint(path.string(), *model, nullptr, {2, 20, 0.6, 2, 0}, {{"v", 2}},
                                  {1, 2, 2}, [] { throw std::runtime_error("simulated crash"); }),
                  std::runtime_error);
  const Checkpoint checkpoint = read_checkpoint(path.string());
  CHECK(checkpoint.progress.epoch == 1);
  CHECK(checkpoint.config["v"] == 1);
  CHECK(checkpoint.file.tensors[0].second(0, 0) != 42.0f);
}

TEST_CASE("Broken or foreign checkpoints are rejected with the file and the fault",
          "[checkpoint][errors]") {
  const fs::path folder = temp_folder("ckpt_broken");
  const std::string path = (folder / "c.safetensors").string();
  auto model = small_model(1);
  save_checkpoint(path, *model, nullptr, {}, {}, {1, 2, 2});
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();

  std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() - 10);
  CHECK_THROWS_WITH(read_checkpoint(path), Catch::Matchers::Contains("do not fit its shape") &&
                                               Catch::Matchers::Contains("truncated"));
  std::ofstream(path, std::ios::binary) << bytes.substr(0, 5);
  CHECK_THROWS_WITH(read_checkpoint(path),
                    path + ": truncated: shorter than the 8-byte safetensors header length");
  std::ofstream(path, std::ios::binary) << std::string("\x10\0\0\0\0\0\0\0{not json}      ", 24);
  CHECK_THROWS_WITH(read_checkpoint(path), Catch::Matchers::Contains("header is not valid JSON"));

  SafetensorsFile foreign;
  foreign.tensors.emplace_back("w", Tensor<float>{1});
  save_safetensors(path, foreign);
  CHECK_THROWS_WITH(read_checkpoint(path),
                    path + ": not a gradlab checkpoint (no 'format' in its metadata)");

  save_checkpoint(path, *model, nullptr, {}, {}, {1, 2, 2});
  Rng rng(1);
  auto bigger = make_mlp<float>({4, 6, 3}, rng);
  CHECK_THROWS_WITH(restore_model(read_checkpoint(path), *bigger),
                    path + ": tensor 'model.0.weight' has shape [4, 5], the model needs [4, 6]");
}

TEST_CASE(
    "Malformed RNG or optimizer state in a checkpoint is refused, leaving the model as it was",
    "[checkpoint][errors]") {
  const std::string path = (temp_folder("ckpt_metadata") / "m.safetensors").string();
  auto trained = small_model(1);
  Adam<float> adam(trained->named_parameters(), 0.01);
  save_checkpoint(path, *trained, &adam, {}, {}, {1, 2, 2});
  SafetensorsFile file = load_safetensors(path);

  // A dropout RNG state that is not one: nothing of the checkpoint is copied into the model.
  const std::string dropout = trained->named_rngs().at(0).first;
  const std::string good_state = file.metadata.at("rng." + dropout);
  file.metadata["rng." + dropout] = "not a state";
  save_safetensors(path, file);
  auto fresh = small_model(2);
  const Tensor<float> before = fresh->named_parameters()[0].parameter->value;
  CHECK_THROWS_WITH(restore_model(read_checkpoint(path), *fresh),
                    path + ": the RNG state of layer " + dropout + " is malformed");
  const bool unchanged = fresh->named_parameters()[0].parameter->value == before;
  CHECK(unchanged);

  // Optimizer metadata that is not a number (std::stoul's exception escaped before).
  file.metadata["rng." + dropout] = good_state;
  file.metadata["optimizer_steps"] = "many";
  save_safetensors(path, file);
  Adam<float> other(fresh->named_parameters(), 0.01);
  CHECK_THROWS_WITH(restore_optimizer(read_checkpoint(path), other),
                    path +
                        ": malformed optimizer metadata (optimizer_steps 'many', learning_rate "
                        "'0.01')");
}

TEST_CASE("A checkpoint whose sample shape has a zero or too many sizes is refused, naming it",
          "[checkpoint][errors]") {
  const std::string path = (temp_folder("ckpt_sample_shape") / "s.safetensors").string();
  auto trained = small_model(1);
  save_checkpoint(path, *trained, nullptr, {}, {}, {1, 2, 2});
  SafetensorsFile file = load_safetensors(path);
  // Found by fuzzing: [0,28,28] reached Conv2d's constructor, whose std::invalid_argument escaped.
  for (const std::string bad : {"[0,28,28]", "[1,0,28]", "[1,28,100000]", "[]", "[1,1,1,1]"}) {
    file.metadata["sample_shape"] = bad;
    save_safetensors(path, file);
    CHECK_THROWS_WITH(read_checkpoint(path),
                      Catch::Matchers::Contains(path + ": sample_shape " + bad +
                                                " in its metadata is not 1 to 3 sizes"));
  }
}

namespace {
// A layer with a buffer, as BatchNorm's running statistics will be: y = x, and every forward
// adds the batch's mean to a running total, saved in checkpoints but not trained.
class RunningTotal : public Layer<float> {
 public:
  RunningTotal() : total_(Tensor<float>::from_shape({2})) {
    total_.fill(0.0f);
    this->register_buffer("running_total", total_);
  }
  std::string name() const override { return "RunningTotal"; }
  Shape output_shape(const Shape& input) const override { return input; }
  Tensor<float>& total() { return total_; }

 protected:
  void forward_impl(const Tensor<float>& input, Tensor<float>& output) override {
    output = input;
    total_(0) += static_cast<float>(xt::mean(input)());
    total_(1) += 1.0f;
  }
  void backward_impl(const Tensor<float>& grad_output, Tensor<float>* grad_input) override {
    if (grad_input) *grad_input = grad_output;
  }

 private:
  Tensor<float> total_;
};

std::unique_ptr<Sequential<float>> model_with_buffer(std::uint64_t seed) {
  auto model = small_model(seed);
  model->emplace<RunningTotal>();
  return model;
}
}  // namespace

TEST_CASE("Buffers are saved with the parameters and restored bit-exactly", "[checkpoint]") {
  const fs::path path = temp_folder("ckpt_buffers") / "b.safetensors";
  auto model = model_with_buffer(3);
  const std::vector<std::string> names = [&] {
    std::vector<std::string> all;
    for (const NamedBuffer<float>& b : model->named_buffers()) all.push_back(b.name);
    return all;
  }();
  CHECK(names == std::vector<std::string>{"4.running_total"});  // the container's prefix
  Rng rng(4);
  for (int i = 0; i < 3; ++i) {
    Tensor<float> x = Tensor<float>::from_shape({2, 4});
    for (float& v : x) v = static_cast<float>(rng.uniform(-1, 1));
    model->forward(x);
  }
  auto& saved = dynamic_cast<RunningTotal&>((*model)[4]).total();
  REQUIRE(saved(1) == 3.0f);
  save_checkpoint(path.string(), *model, nullptr, {}, nlohmann::json::object(), {4});

  auto fresh = model_with_buffer(99);
  auto& restored = dynamic_cast<RunningTotal&>((*fresh)[4]).total();
  CHECK(restored(1) == 0.0f);
  restore_model(read_checkpoint(path.string()), *fresh);
  CHECK(restored(0) == saved(0));  // bit-exact: float32 stored as is
  CHECK(restored(1) == saved(1));
  CHECK((fresh->named_parameters()[0].parameter->value ==
         model->named_parameters()[0].parameter->value));

  // A model with a buffer refuses a checkpoint without it, naming the tensor, and changes nothing.
  const fs::path without = path.parent_path() / "no_buffer.safetensors";
  auto plain = small_model(3);
  save_checkpoint(without.string(), *plain, nullptr, {}, nlohmann::json::object(), {4});
  const Tensor<float> before = fresh->named_parameters()[0].parameter->value;
  try {
    restore_model(read_checkpoint(without.string()), *fresh);
    FAIL("a checkpoint without the buffer was accepted");
  } catch (const DataError& error) {
    CHECK(std::string(error.what()).find("has no tensor 'model.4.running_total'") !=
          std::string::npos);
  }
  CHECK((fresh->named_parameters()[0].parameter->value == before));
}

TEST_CASE("A checkpoint written before containers and buffers still loads", "[checkpoint]") {
  // tests/fixtures/README.md: written by commit 8234f94 (session 4, before issue #12's changes).
  const std::string path =
      std::string(GRADLAB_SOURCE_DIR) + "/tests/fixtures/tiny_checkpoint_v1.safetensors";
  const Checkpoint checkpoint = read_checkpoint(path);
  CHECK(checkpoint.progress.epoch == 2);
  CHECK(checkpoint.sample_shape == Shape{1, 28, 28});
  auto model = build_model<float>(checkpoint.config["model"], checkpoint.sample_shape, 10, 3);
  restore_model(checkpoint, *model);
  std::size_t compared = 0;
  for (const NamedParameter<float>& named : model->named_parameters())
    for (const auto& [name, tensor] : checkpoint.file.tensors)
      if (name == "model." + named.name) {
        CHECK((named.parameter->value == tensor));
        ++compared;
      }
  CHECK(compared == model->named_parameters().size());
  CHECK(compared == 4);  // conv weight and bias, linear weight and bias
  Adam<float> adam(model->named_parameters(), 0.01);
  restore_optimizer(checkpoint, adam);
  CHECK(adam.state().steps > 0);
}

TEST_CASE("A flipped byte in a checkpoint's header or tensors is caught, naming where",
          "[checkpoint][errors]") {
  const fs::path path = temp_folder("ckpt_checksum") / "c.safetensors";
  auto model = small_model(5);
  save_checkpoint(path.string(), *model, nullptr, {}, {{"note", "a config"}}, {4});
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  REQUIRE_NOTHROW(restore_model(read_checkpoint(path.string()), *small_model(6)));
  auto write_with = [&](std::string changed) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << changed;
  };
  // In the header's text: the config's "a config" becomes "a cOnfig" — valid JSON, a different
  // config, accepted unnoticed before checksums.
  std::string flipped = bytes;
  flipped[flipped.find("a config") + 3] = 'O';
  write_with(flipped);
  CHECK_THROWS_WITH(read_checkpoint(path.string()),
                    path.string() + ": the header's checksum does not match: the file is corrupt");
  // In a tensor's bytes: the last byte of the file is the last weight's.
  flipped = bytes;
  flipped.back() = static_cast<char>(flipped.back() ^ 0x01);
  write_with(flipped);
  CHECK_THROWS_WITH(read_checkpoint(path.string()),
                    Catch::Matchers::Contains("does not match its checksum: the file is corrupt"));
  CHECK_THROWS_WITH(read_checkpoint(path.string()), Catch::Matchers::Contains("tensor 'model."));
  // The checksums live in the metadata, which stays a valid safetensors header for other
  // readers, and are not handed back as metadata.
  write_with(bytes);
  const Checkpoint good = read_checkpoint(path.string());
  for (const auto& [key, value] : good.file.metadata) CHECK(key.rfind("checksum.", 0) != 0);
}

TEST_CASE("A checkpoint write that fails leaves no temporary file and the old checkpoint intact",
          "[checkpoint][errors]") {
  // A full disk, simulated by a file-size limit: writes past it fail with EFBIG.
  const fs::path folder = temp_folder("ckpt_full_disk");
  const fs::path path = folder / "last.safetensors";
  auto model = small_model(7);
  save_checkpoint(path.string(), *model, nullptr, {}, nlohmann::json::object(), {4});
  const auto old_size = fs::file_size(path);
  rlimit before{};
  getrlimit(RLIMIT_FSIZE, &before);
  const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = before;
  small.rlim_cur = 64;  // bytes
  setrlimit(RLIMIT_FSIZE, &small);
  std::string error;
  try {
    save_checkpoint(path.string(), *small_model(8), nullptr, {}, nlohmann::json::object(), {4});
  } catch (const DataError& e) {
    error = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &before);
  std::signal(SIGXFSZ, previous_handler);
  CHECK(error.find("last.safetensors.tmp: write failed") != std::string::npos);
  CHECK(error.find("is unchanged") != std::string::npos);
  CHECK_FALSE(fs::exists(folder / "last.safetensors.tmp"));
  CHECK(fs::file_size(path) == old_size);
  CHECK_NOTHROW(restore_model(read_checkpoint(path.string()), *small_model(9)));
}
