// The MPI tests' main: MPI's world for every test case (world() initialises it), Catch2 for the
// rest. Run under mpirun (tests/mpi/run.sh); each rank runs every test case, and a failed
// check on any rank makes that rank, and so mpirun, exit non-zero.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "framework/distributed/communicator.h"

int main(int argc, char** argv) {
  gradlab::Communicator& world = gradlab::world();
  if (world.size() < 2) {
    std::fprintf(stderr,
                 "gradlab_mpi_tests: run me under mpirun -np 2 or more (tests/mpi/run.sh)\n");
    return 2;
  }
  return Catch::Session().run(argc, argv);
}
