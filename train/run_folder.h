// A run folder: where a training run keeps what it writes (train/trainer.h lists it), every file
// written atomically. Made for a new run, or opened to resume one.
//
// One trainer per folder: a RunFolder holds an advisory lock (flock) on <folder>/run.lock for as
// long as it lives, and the file names its process. A second trainer, or a --resume of a run that
// is training, is refused with that process's PID; the kernel releases the lock when the process
// ends however it ends (kill -9 included), so a crashed run can be resumed at once.
#pragma once

#include <filesystem>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace gradlab {

// What run.lock says: "PID\nHOST\n", the trainer's process and its machine's hostname (no host in
// the files of gradlab 0.1). pid 0: the file names nobody (also when damaged: a PID beyond pid_t, a
// host name of more than 255 bytes or with bytes outside printable ASCII).
struct LockHolder {
  long pid = 0;
  std::string host;
};
LockHolder read_lock_holder(const std::string& text);
std::string this_host();  // gethostname()

class RunFolder {
 public:
  // A new run in `path`; refuses (ConfigError) a folder that already holds one, so a run is
  // never overwritten by another. Makes the folder.
  static RunFolder create(const std::string& path);
  // The run in `path`, to resume from its last checkpoint.
  static RunFolder open(const std::string& path);

  const std::filesystem::path& path() const { return path_; }
  std::string last_checkpoint() const { return (path_ / "checkpoints/last.safetensors").string(); }
  std::string best_checkpoint() const { return (path_ / "checkpoints/best.safetensors").string(); }

  void write_config(const nlohmann::json& resolved) const;
  // split.json: which training images the run trained on and which it validated on
  // (TrainingData::split_json), so that another trainer can hold out the same ones.
  void write_split(const nlohmann::json& split) const;
  // A line of metrics.jsonl.
  void append_metrics(const nlohmann::json& line) const;
  // A reading of the layer statistics (train/layer_stats.h) into layer_stats.jsonl.
  void append_layer_stats(const nlohmann::json& line) const;
  // Drops the lines of metrics.jsonl and layer_stats.jsonl past `epoch`: those a run wrote after
  // the checkpoint being resumed.
  void truncate_metrics(std::size_t epoch) const;
  void write_final_metrics(const nlohmann::json& metrics) const;

  RunFolder(RunFolder&& other) noexcept
      : path_(std::move(other.path_)), lock_fd_(std::exchange(other.lock_fd_, -1)) {}
  RunFolder& operator=(RunFolder&&) = delete;
  RunFolder(const RunFolder&) = delete;
  ~RunFolder();

 private:
  explicit RunFolder(std::filesystem::path path) : path_(std::move(path)) {}
  // Makes the folder and takes its lock, or throws ConfigError naming the process that holds it;
  // `doing` says what was refused ("start a run", "resume it").
  void lock(const std::string& doing);
  std::filesystem::path metrics_path() const { return path_ / "metrics.jsonl"; }
  std::filesystem::path layer_stats_path() const { return path_ / "layer_stats.jsonl"; }
  std::filesystem::path path_;
  int lock_fd_ = -1;  // open, with an exclusive flock, for the folder's lifetime
};

}  // namespace gradlab
