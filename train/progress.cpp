#include "train/progress.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace gradlab {

namespace {
std::string format_duration(double seconds) {
  const long s = std::lround(seconds);
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  return text;
}
}  // namespace

std::size_t peak_memory_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::size_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

void ProgressReporter::start_epoch(std::size_t epoch) {
  epoch_ = epoch;
  start_ = std::chrono::steady_clock::now();
  last_draw_ = -1;
}

double ProgressReporter::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressReporter::batch(std::size_t batches, std::size_t images, double mean_loss) {
  if (!bar_) return;
  const double elapsed = seconds();
  if (elapsed - last_draw_ <= 0.2 && batches != steps_per_epoch_) return;
  last_draw_ = elapsed;
  const double fraction = static_cast<double>(batches) / static_cast<double>(steps_per_epoch_);
  const int filled = static_cast<int>(fraction * 30);
  std::fprintf(stderr, "\repoch %zu/%zu [%-30s] %3d%%  loss %.4f  %.0f img/s  left %s  ", epoch_,
               epochs_, std::string(static_cast<std::size_t>(filled), '=').c_str(),
               static_cast<int>(fraction * 100), mean_loss, images / std::max(elapsed, 1e-9),
               format_duration(elapsed / fraction * (1 - fraction)).c_str());
}

void ProgressReporter::note(const std::string& line) {
  if (bar_ && last_draw_ >= 0) std::fprintf(stderr, "\n");
  last_draw_ = -1;  // redrawn at the next batch
  log_ << line << "\n" << std::flush;
}

void ProgressReporter::end_batches() {
  if (bar_) std::fprintf(stderr, "\n");
}

void ProgressReporter::end_epoch(const nlohmann::json& line) {
  char text[256];
  std::snprintf(text, sizeof text, "epoch %zu/%zu  loss %.4f  train acc %.2f%%", epoch_, epochs_,
                line["train_loss"].get<double>(), 100 * line["train_accuracy"].get<double>());
  log_ << text;
  if (line.contains("val_accuracy")) {
    std::snprintf(text, sizeof text, "  val loss %.4f  val acc %.2f%%",
                  line["val_loss"].get<double>(), 100 * line["val_accuracy"].get<double>());
    log_ << text;
  }
  if (line.contains("ema_val_accuracy")) {
    std::snprintf(text, sizeof text, "  ema acc %.2f%%",
                  100 * line["ema_val_accuracy"].get<double>());
    log_ << text;
  }
  std::snprintf(text, sizeof text, "  %.1f s  %.0f img/s  lr %.3g\n", line["seconds"].get<double>(),
                line["images_per_second"].get<double>(), line["lr"].get<double>());
  log_ << text << std::flush;
}

}  // namespace gradlab
