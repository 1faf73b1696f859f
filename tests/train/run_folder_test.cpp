#include "train/run_folder.h"

#include <fstream>

#include <unistd.h>

#include "framework/config_reader.h"
#include "tests/support.h"

using namespace gradlab;
using gradlab::testing::temp_folder;

TEST_CASE("A run folder is locked while its trainer lives, naming the holder's PID and host",
          "[trainer][errors]") {
  // Two trainers on one folder both ran to the end, interleaving metrics.jsonl, while the first
  // was still loading its data (no checkpoint yet to say the folder was taken).
  const std::string path = (temp_folder("lock") / "run").string();
  char host[256] = {};
  REQUIRE(::gethostname(host, sizeof host - 1) == 0);
  const std::string pid = "(PID " + std::to_string(::getpid()) + " on " + host + ")";
  {
    const RunFolder first = RunFolder::create(path);
    CHECK_THROWS_WITH(RunFolder::create(path),
                      path + " is in use by another gradlab process " + pid +
                          " training there; cannot start another run there until it stops");
    CHECK_THROWS_WITH(RunFolder::open(path),
                      path + " is in use by another gradlab process " + pid +
                          " training there; cannot resume it until it stops");
  }
  // Released with its holder (the kernel does it for a process that dies: tests/cli).
  CHECK_NOTHROW(RunFolder::open(path));
  CHECK_NOTHROW(RunFolder::create(path));  // no checkpoint yet: still a fresh folder
}

TEST_CASE("run.lock names the trainer's PID and host; gradlab 0.1's named the PID alone",
          "[trainer]") {
  const LockHolder holder = read_lock_holder("4242\nnode-7\n");
  CHECK(holder.pid == 4242);
  CHECK(holder.host == "node-7");
  const LockHolder old = read_lock_holder("4242\n");
  CHECK(old.pid == 4242);
  CHECK(old.host.empty());
  CHECK(read_lock_holder("").pid == 0);
  CHECK(read_lock_holder("x\nnode-7\n").pid == 0);
  CHECK(read_lock_holder("-3\n").pid == 0);
  // Damaged: a PID no process can have, a host name no machine can have (found by fuzzing: the
  // bytes went into the page's JSON, which must be UTF-8).
  CHECK(read_lock_holder("4294967297\nnode-7\n").pid == 0);
  CHECK(read_lock_holder("42\nnode\xce\xcf\n").pid == 0);
  CHECK(read_lock_holder("42\n" + std::string(256, 'a') + "\n").pid == 0);
  CHECK(read_lock_holder("42\n" + std::string(255, 'a') + "\n").host.size() == 255);
}

TEST_CASE("Resuming drops the metrics and layer statistics written after the checkpoint",
          "[trainer]") {
  const std::filesystem::path path = temp_folder("truncate") / "run";
  const RunFolder folder = RunFolder::create(path.string());
  for (std::size_t epoch = 1; epoch <= 3; ++epoch) {
    folder.append_metrics({{"epoch", epoch}, {"step", 10 * epoch}, {"train_loss", 1.0}});
    folder.append_layer_stats({{"epoch", epoch}, {"step", 10 * epoch}, {"layers", {}}});
  }
  folder.truncate_metrics(2);  // the checkpoint of epoch 2 is resumed
  for (const char* file : {"metrics.jsonl", "layer_stats.jsonl"}) {
    INFO(file);
    std::ifstream in(path / file);
    std::vector<std::size_t> epochs;
    for (std::string line; std::getline(in, line);)
      epochs.push_back(nlohmann::json::parse(line)["epoch"].get<std::size_t>());
    CHECK(epochs == std::vector<std::size_t>{1, 2});
  }
}
