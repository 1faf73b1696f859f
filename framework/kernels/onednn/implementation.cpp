#include "framework/kernels/onednn/implementation.h"

#include <mutex>

namespace gradlab::onednn {

namespace {
std::mutex rejected_mutex;
std::vector<std::string>& rejected() {
  static std::vector<std::string> prefixes;
  return prefixes;
}
bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}
}  // namespace

bool acceptable(const std::string& implementation) {
  if (starts_with(implementation, "ref")) return false;
  const std::lock_guard<std::mutex> lock(rejected_mutex);
  for (const std::string& prefix : rejected())
    if (starts_with(implementation, prefix)) return false;
  return true;
}

void set_rejected_implementations(std::vector<std::string> prefixes) {
  const std::lock_guard<std::mutex> lock(rejected_mutex);
  rejected() = std::move(prefixes);
}

std::string layout_name(const dnnl::memory::desc& desc) {
  using tag = dnnl::memory::format_tag;
  const std::pair<tag, const char*> known[] = {
      {tag::nchw, "nchw"}, {tag::nhwc, "nhwc"}, {tag::nChw8c, "nChw8c"}, {tag::nChw16c, "nChw16c"}};
  if (desc.dims().size() == 4)
    for (const auto& [layout, name] : known)
      if (desc == dnnl::memory::desc(desc.dims(), desc.data_type(), layout)) return name;
  return "blocked";
}

}  // namespace gradlab::onednn
