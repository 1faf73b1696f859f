#include "train/run_folder.h"

#include <unistd.h>

#include "framework/config_reader.h"
#include "tests/support.h"

using namespace gradlab;
using gradlab::testing::temp_folder;

TEST_CASE("A run folder is locked while its trainer lives, naming the holder's PID",
          "[trainer][errors]") {
  // Two trainers on one folder both ran to the end, interleaving metrics.jsonl, while the first
  // was still loading its data (no checkpoint yet to say the folder was taken).
  const std::string path = (temp_folder("lock") / "run").string();
  const std::string pid = "(PID " + std::to_string(::getpid()) + ")";
  {
    const RunFolder first = RunFolder::create(path);
    CHECK_THROWS_WITH(RunFolder::create(path),
                      path + " is in use by another gradlab process " + pid +
                          " training there; cannot start another run there until it stops");
    CHECK_THROWS_WITH(RunFolder::open(path),
                      path + " is in use by another gradlab process " + pid +
                          " training there; cannot resume it until it stops");
  }
  // Released with its holder (the kernel does it for a process that dies: tests/cli).
  CHECK_NOTHROW(RunFolder::open(path));
  CHECK_NOTHROW(RunFolder::create(path));  // no checkpoint yet: still a fresh folder
}
