#include "framework/log.h"

#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <set>

namespace gradlab {

namespace {
struct Notices {
  std::mutex mutex;
  std::set<std::string> given;
  std::function<void(const std::string&)> sink;
};
Notices& notices() {
  static Notices state;
  return state;
}
}  // namespace

void write_line(int fd, const std::string& line) {
  const std::string whole = line + "\n";
  std::size_t written = 0;
  while (written < whole.size()) {
    const ssize_t n = ::write(fd, whole.data() + written, whole.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to report a failure to report
    written += static_cast<std::size_t>(n);
  }
}

void error_line(const std::string& line) {
  write_line(STDERR_FILENO, line);
}

void notice_once(const std::string& message) {
  Notices& state = notices();
  const std::lock_guard<std::mutex> lock(state.mutex);
  if (!state.given.insert(message).second) return;
  if (state.sink)
    state.sink(message);
  else
    error_line("gradlab: note: " + message);
}

void set_notice_sink(std::function<void(const std::string&)> sink) {
  Notices& state = notices();
  const std::lock_guard<std::mutex> lock(state.mutex);
  state.sink = std::move(sink);
  state.given.clear();
}

}  // namespace gradlab
