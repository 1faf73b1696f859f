// The fuzz targets' corpora replayed (tests/fuzz/README.md):
//   seeds/<target>/        good files, each of which the reader must accept;
//   regressions/<target>/  inputs that once crashed a reader or made it throw something it does
//                          not document, found by scripts/fuzz.sh; each must now be accepted or
//                          refused with the reader's documented error. A crash fails the run.
#include <filesystem>
#include <fstream>

#include "tests/fuzz/targets.h"
#include "tests/support.h"

namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Runs `check` on every file of <corpus>/<target>/ for each target; returns how many there were.
template <class Check>
std::size_t replay(const std::string& corpus, Check check) {
  const fs::path root = fs::path(GRADLAB_SOURCE_DIR) / "tests" / "fuzz" / corpus;
  std::size_t replayed = 0;
  for (const gradlab::fuzz::Target& target : gradlab::fuzz::targets()) {
    if (!fs::exists(root / target.name)) continue;
    for (const auto& entry : fs::directory_iterator(root / target.name)) {
      INFO(corpus << "/" << target.name << "/" << entry.path().filename().string());
      const std::string bytes = read_bytes(entry.path());
      check(target, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      ++replayed;
    }
  }
  return replayed;
}

}  // namespace

TEST_CASE("Every fuzz seed, a good file, is accepted by its reader", "[fuzz]") {
  const std::size_t replayed =
      replay("seeds", [](const gradlab::fuzz::Target& target, const std::uint8_t* data,
                         std::size_t size) { CHECK(target.run(data, size)); });
  CHECK(replayed >= 4);  // at least one seed per target
}

TEST_CASE("Inputs that once broke a reader are refused cleanly now (fuzz regressions)", "[fuzz]") {
  const std::size_t replayed =
      replay("regressions", [](const gradlab::fuzz::Target& target, const std::uint8_t* data,
                               std::size_t size) { CHECK_NOTHROW(target.run(data, size)); });
  CHECK(replayed > 0);  // the corpus is committed with the targets; an empty replay tests nothing
}
