#include "framework/log.h"

#include <iostream>
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

void notice_once(const std::string& message) {
  Notices& state = notices();
  const std::lock_guard<std::mutex> lock(state.mutex);
  if (!state.given.insert(message).second) return;
  if (state.sink)
    state.sink(message);
  else
    std::cerr << "gradlab: note: " << message << std::endl;
}

void set_notice_sink(std::function<void(const std::string&)> sink) {
  Notices& state = notices();
  const std::lock_guard<std::mutex> lock(state.mutex);
  state.sink = std::move(sink);
  state.given.clear();
}

}  // namespace gradlab
