// One libFuzzer executable per target (tests/fuzz/targets.h), chosen at compile time:
// GRADLAB_FUZZ_TARGET is the target's index in fuzz::targets(). Built and run by scripts/fuzz.sh.
#include "tests/fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gradlab::fuzz::targets().at(GRADLAB_FUZZ_TARGET).run(data, size);
  return 0;
}
