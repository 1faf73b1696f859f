// gradlab watch's server (train/watch/watch.h): which files it gives out, and what it answers, over
// real HTTP on a free port of 127.0.0.1. (The live page in a browser: tests/watch/watch_test.sh.)
#include "train/watch/watch.h"

#include <chrono>
#include <fstream>
#include <thread>

#include <httplib.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/temp_folder.h"
#include "train/run_folder.h"

namespace fs = std::filesystem;
using gradlab::file_in_run;

namespace {

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A run folder as the trainer leaves it after two epochs, beside a file that is not in it.
fs::path make_run(const std::string& name) {
  const fs::path root = gradlab::testing::temp_folder(name);
  const fs::path run = root / "run";
  fs::create_directories(run / "checkpoints");
  write(run / "config.json",
        R"({"data": {"dataset": "mnist", "folder": "nowhere"}, "model": {"name": "mlp"},
            "optimizer": {"type": "sgd", "lr": 0.1}, "epochs": 5, "batch_size": 10})");
  std::string metrics;
  for (int epoch = 1; epoch <= 2; ++epoch)
    metrics += R"({"epoch": )" + std::to_string(epoch) + R"(, "step": )" +
               std::to_string(6 * epoch) + R"(, "train_loss": 1.0, "train_accuracy": 0.5, )" +
               R"("val_loss": 1.1, "val_accuracy": 0.4, "lr": 0.1, "seconds": 2.0, )" +
               R"("images_per_second": 30})" + "\n";
  write(run / "metrics.jsonl", metrics);
  write(run / "checkpoints" / "note.txt", "inside\n");
  write(root / "secret.txt", "outside\n");
  fs::create_symlink(root / "secret.txt", run / "link_out.txt");
  return run;
}

}  // namespace

TEST_CASE("watch: only regular files inside the run folder are given out", "[watch]") {
  const fs::path run = make_run("watch_files");
  const fs::path root = fs::canonical(run);
  CHECK(file_in_run(run, "config.json") == root / "config.json");
  CHECK(file_in_run(run, "checkpoints/note.txt") == root / "checkpoints" / "note.txt");
  CHECK(file_in_run(run, "checkpoints/../config.json") == root / "config.json");
  CHECK_FALSE(file_in_run(run, "../secret.txt"));
  CHECK_FALSE(file_in_run(run, "checkpoints/../../secret.txt"));
  CHECK_FALSE(file_in_run(run, (run.parent_path() / "secret.txt").string()));  // absolute
  CHECK_FALSE(file_in_run(run, "link_out.txt"));  // a link out of the folder
  CHECK_FALSE(file_in_run(run, "checkpoints"));   // a folder
  CHECK_FALSE(file_in_run(run, "."));
  CHECK_FALSE(file_in_run(run, "missing.json"));
  CHECK_FALSE(file_in_run(run.parent_path() / "no_such_run", "config.json"));
}

TEST_CASE("watch: the server answers the page, the run's data and its files, nothing else",
          "[watch]") {
  const fs::path run = make_run("watch_server");
  gradlab::WatchOptions options;
  options.port = 0;  // any free port
  options.interval_seconds = 0.5;
  gradlab::WatchServer server(run, options);
  REQUIRE(server.port() > 0);
  CHECK(server.url() == "http://127.0.0.1:" + std::to_string(server.port()) + "/");
  std::thread serving([&] { server.serve(); });
  httplib::Client client("127.0.0.1", server.port());

  auto page = client.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(page->body.find("data-interval=\"0.5\"") != std::string::npos);
  CHECK(page->body.find("gradlabReport.render") != std::string::npos);

  auto data = client.Get("/data.json");
  REQUIRE(data);
  CHECK(data->status == 200);
  const nlohmann::json json = nlohmann::json::parse(data->body);
  CHECK(json["live"] == true);
  CHECK(json["epochs"].size() == 2);
  CHECK(json["steps_per_epoch"] == 6);
  CHECK(json["status"]["state"] == "stopped");  // no trainer holds run.lock
  CHECK(json["evaluation"].is_null());

  // The data follows the folder: a third epoch appended is in the next reading.
  std::ofstream(run / "metrics.jsonl", std::ios::app)
      << R"({"epoch": 3, "step": 18, "train_loss": 0.9, "train_accuracy": 0.6, "lr": 0.1,)"
      << R"( "seconds": 2.0, "images_per_second": 30})"
      << "\n";
  auto later = client.Get("/data.json");
  REQUIRE(later);
  CHECK(nlohmann::json::parse(later->body)["epochs"].size() == 3);

  auto file = client.Get("/files/checkpoints/note.txt");
  REQUIRE(file);
  CHECK(file->status == 200);
  CHECK(file->body == "inside\n");
  for (const char* path :
       {"/files/../secret.txt", "/files/%2e%2e/secret.txt", "/files/link_out.txt",
        "/files/checkpoints", "/metrics.jsonl", "/files/"}) {
    INFO(path);
    auto refused = client.Get(path);
    REQUIRE(refused);
    CHECK(refused->status == 404);
    CHECK(refused->body.find("outside") == std::string::npos);
  }

  // A damaged metrics line is an error the page can show, naming the file and line.
  std::ofstream(run / "metrics.jsonl", std::ios::app) << "{not json\n";
  auto damaged = client.Get("/data.json");
  REQUIRE(damaged);
  CHECK(damaged->status == 500);
  CHECK(damaged->body.find("metrics.jsonl:4") != std::string::npos);

  server.stop();
  serving.join();
}

TEST_CASE("watch: a folder that is not a run, and a port in use, are refused at once", "[watch]") {
  const fs::path empty = gradlab::testing::temp_folder("watch_not_a_run");
  gradlab::WatchOptions options;
  options.port = 0;
  CHECK_THROWS_WITH(gradlab::WatchServer(empty, options),
                    Catch::Contains("not a run folder (it has no config.json)"));
  const fs::path run = make_run("watch_port");
  gradlab::WatchServer first(run, options);
  options.port = first.port();
  CHECK_THROWS_WITH(gradlab::WatchServer(run, options),
                    Catch::Contains("cannot listen on 127.0.0.1:" + std::to_string(first.port())));
}

TEST_CASE("watch: a trainer on another machine counts as at work while the folder changes",
          "[watch]") {
  // A shared run folder: run.lock names a process of another host, which cannot be asked.
  const fs::path run = make_run("watch_remote");
  write(run / "run.lock", "12345\nanother-host\n");
  nlohmann::json data = gradlab::live_data(run);
  CHECK(data["status"]["state"] == "running");
  CHECK(data["status"]["text"] == "running on another-host: 2 of 5 epochs done");
  // Nothing written for an hour (more than ten minutes and three of its 2-second epochs).
  const auto hour_ago = fs::file_time_type::clock::now() - std::chrono::hours(1);
  fs::last_write_time(run / "metrics.jsonl", hour_ago);
  fs::last_write_time(run / "run.lock", hour_ago);
  data = gradlab::live_data(run);
  CHECK(data["status"]["state"] == "stopped");
  // This machine's own trainer is asked directly: this process is alive, whatever the file's age.
  write(run / "run.lock", std::to_string(::getpid()) + "\n" + gradlab::this_host() + "\n");
  fs::last_write_time(run / "run.lock", hour_ago);
  CHECK(gradlab::live_data(run)["status"]["state"] == "running");
  // gradlab 0.1 wrote the PID alone.
  write(run / "run.lock", std::to_string(::getpid()) + "\n");
  CHECK(gradlab::live_data(run)["status"]["text"] == "running: 2 of 5 epochs done");
}
