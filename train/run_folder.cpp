#include "train/run_folder.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "datasets/idx.h"
#include "framework/config_reader.h"
#include "framework/files.h"
#include "train/safetensors.h"

namespace gradlab {

namespace fs = std::filesystem;

RunFolder RunFolder::create(const std::string& path) {
  RunFolder run{fs::path(path)};
  run.lock("start another run there");
  if (fs::exists(run.last_checkpoint()))
    throw ConfigError(path + " already holds a run; resume it with --resume " + path +
                      " or choose another output folder (--set output=...)");
  return run;
}

RunFolder RunFolder::open(const std::string& path) {
  RunFolder run{fs::path(path)};
  run.lock("resume it");
  return run;
}

RunFolder::~RunFolder() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::string this_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

LockHolder read_lock_holder(const std::string& text) {
  std::istringstream in(text);
  LockHolder holder;
  // A PID beyond pid_t, or a host name that no machine has (longer than a host name can be, or
  // not printable ASCII: a report would show it), is a damaged file that names nobody.
  if (!(in >> holder.pid) || holder.pid <= 0 || holder.pid > std::numeric_limits<pid_t>::max())
    return {};
  in >> holder.host;  // absent in the lock files of gradlab 0.1
  if (holder.host.size() > 255 || !std::all_of(holder.host.begin(), holder.host.end(),
                                               [](char c) { return c > ' ' && c < 127; }))
    return {};
  return holder;
}

void RunFolder::lock(const std::string& doing) {
  std::error_code error;
  fs::create_directories(path_ / "checkpoints", error);
  if (error)
    throw ConfigError(path_.string() + ": cannot create the run folder: " + error.message());
  const std::string lock_path = (path_ / "run.lock").string();
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0)
    throw ConfigError(lock_path + ": cannot open the run's lock file: " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int reason = errno;
    char holder[64] = {};
    const ssize_t n = ::pread(lock_fd_, holder, sizeof holder - 1, 0);
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (reason != EWOULDBLOCK)
      throw ConfigError(lock_path + ": cannot lock the run folder: " + std::strerror(reason));
    const LockHolder who = read_lock_holder(std::string(holder, n > 0 ? std::size_t(n) : 0));
    throw ConfigError(path_.string() + " is in use by another gradlab process (PID " +
                      (who.pid > 0 ? std::to_string(who.pid) : "unknown") +
                      (who.host.empty() ? "" : " on " + who.host) + ") training there; cannot " +
                      doing + " until it stops");
  }
  // Ours: say who holds it (the host too: a shared folder may be watched from another machine).
  const std::string pid = std::to_string(::getpid()) + "\n" + this_host() + "\n";
  if (::ftruncate(lock_fd_, 0) != 0 ||
      ::pwrite(lock_fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    throw ConfigError(lock_path + ": cannot write the run's lock file: " + std::strerror(errno));
}

void RunFolder::write_config(const nlohmann::json& resolved) const {
  write_file_atomically((path_ / "config.json").string(), resolved.dump(2) + "\n");
}

namespace {
// One JSON line appended: readers (the report, gradlab watch) skip a line still being written.
void append_line(const fs::path& path, const nlohmann::json& line, const char* what) {
  std::ofstream out(path, std::ios::app);
  out << line.dump() << "\n";
  if (!out) throw DataError(path.string() + ": cannot append " + what);
}
}  // namespace

void RunFolder::append_metrics(const nlohmann::json& line) const {
  append_line(metrics_path(), line, "metrics");
}

void RunFolder::append_layer_stats(const nlohmann::json& line) const {
  append_line(layer_stats_path(), line, "layer statistics");
}

void RunFolder::truncate_metrics(std::size_t epoch) const {
  for (const fs::path& path : {metrics_path(), layer_stats_path()}) {
    if (!fs::exists(path)) continue;
    std::ifstream in(path);
    std::string kept, line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
      if (!entry.is_discarded() && entry.value("epoch", std::size_t{0}) <= epoch)
        kept += line + "\n";
    }
    write_file_atomically(path.string(), kept);
  }
}

void RunFolder::write_split(const nlohmann::json& split) const {
  write_file_atomically((path_ / "split.json").string(), split.dump() + "\n");
}

void RunFolder::write_final_metrics(const nlohmann::json& metrics) const {
  write_file_atomically((path_ / "final_metrics.json").string(), metrics.dump(2) + "\n");
}

}  // namespace gradlab
