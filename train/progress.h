// What a run shows its user while it trains: a progress line redrawn during an epoch (with
// --progress on a terminal, on stderr) and one line per epoch on the log.
#pragma once

#include <chrono>
#include <ostream>

#include <nlohmann/json.hpp>

namespace gradlab {

// The process's peak resident memory so far (getrusage's ru_maxrss), in bytes: what a run's
// metrics and report give as its memory.
std::size_t peak_memory_bytes();

class ProgressReporter {
 public:
  ProgressReporter(std::ostream& log, bool bar, std::size_t epochs, std::size_t steps_per_epoch)
      : log_(log), bar_(bar), epochs_(epochs), steps_per_epoch_(steps_per_epoch) {}

  void start_epoch(std::size_t epoch);
  // After each batch: the bar is redrawn at most every 0.2 s, and after the last batch.
  void batch(std::size_t batches, std::size_t images, double mean_loss);
  double seconds() const;  // since start_epoch
  // After the epoch's last batch (ends the bar's line).
  void end_batches();
  // A line for the log in mid-epoch (a warning); the bar's line is ended first.
  void note(const std::string& line);
  // The epoch's line, from its metrics.jsonl entry.
  void end_epoch(const nlohmann::json& line);

 private:
  std::ostream& log_;
  bool bar_;
  std::size_t epochs_, steps_per_epoch_, epoch_ = 0;
  std::chrono::steady_clock::time_point start_;
  double last_draw_ = -1;
};

}  // namespace gradlab
