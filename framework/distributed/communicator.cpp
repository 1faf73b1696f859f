#include "framework/distributed/communicator.h"

#include <cstdlib>
#include <vector>

#include "framework/distributed/mpi_world.h"
#include "framework/log.h"

namespace gradlab {

namespace {

class SingleProcess : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string describe() const override { return ""; }
  void sum(float*, std::size_t) override {}
  void sum(double*, std::size_t) override {}
  void min_max(std::uint64_t*, std::uint64_t*, std::size_t) override {}
  void broadcast(void*, std::size_t, int) override {}
  [[noreturn]] void abort(const std::string& message, int exit_code) override {
    error_line(message);  // one write: ranks' lines do not mix
    std::exit(exit_code);
  }
};

[[maybe_unused]] bool launched_by_mpi() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(variable)) return true;
  return false;
}

}  // namespace

Communicator& single_process() {
  static SingleProcess alone;
  return alone;
}

Communicator& world() {
#ifdef GRADLAB_WITH_MPI
  if (launched_by_mpi()) return mpi_world();
#endif
  return single_process();
}

bool built_with_mpi() {
#ifdef GRADLAB_WITH_MPI
  return true;
#else
  return false;
#endif
}

std::string broadcast_string(Communicator& communicator, const std::string& text, int root) {
  if (communicator.size() == 1) return text;
  std::uint64_t length = text.size();
  communicator.broadcast(&length, sizeof length, root);
  std::string received = communicator.rank() == root ? text : std::string(length, '\0');
  communicator.broadcast(received.data(), length, root);
  return received;
}

}  // namespace gradlab
