#include "train/run_folder.h"

#include <fstream>

#include "datasets/idx.h"
#include "framework/config_reader.h"
#include "train/safetensors.h"

namespace gradlab {

namespace fs = std::filesystem;

RunFolder RunFolder::create(const std::string& path) {
  RunFolder run{fs::path(path)};
  if (fs::exists(run.last_checkpoint()))
    throw ConfigError(path + " already holds a run; resume it with --resume " + path +
                      " or choose another output folder (--set output=...)");
  fs::create_directories(run.path_ / "checkpoints");
  return run;
}

RunFolder RunFolder::open(const std::string& path) {
  RunFolder run{fs::path(path)};
  fs::create_directories(run.path_ / "checkpoints");
  return run;
}

void RunFolder::write_config(const nlohmann::json& resolved) const {
  write_file_atomically((path_ / "config.json").string(), resolved.dump(2) + "\n");
}

void RunFolder::append_metrics(const nlohmann::json& line) const {
  std::ofstream out(metrics_path(), std::ios::app);
  out << line.dump() << "\n";
  if (!out) throw DataError(metrics_path().string() + ": cannot append metrics");
}

void RunFolder::truncate_metrics(std::size_t epoch) const {
  if (!fs::exists(metrics_path())) return;
  std::ifstream in(metrics_path());
  std::string kept, line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_discarded() && entry.value("epoch", std::size_t{0}) <= epoch) kept += line + "\n";
  }
  write_file_atomically(metrics_path().string(), kept);
}

void RunFolder::write_final_metrics(const nlohmann::json& metrics) const {
  write_file_atomically((path_ / "final_metrics.json").string(), metrics.dump(2) + "\n");
}

}  // namespace gradlab
