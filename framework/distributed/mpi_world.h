// Open MPI's world as a Communicator (mpi_world.cpp, built only with GRADLAB_WITH_MPI).
#pragma once

#include "framework/distributed/communicator.h"

namespace gradlab {

#ifdef GRADLAB_WITH_MPI
// MPI_COMM_WORLD, MPI initialised (MPI_THREAD_FUNNELED: only the main thread calls MPI; OpenMP
// threads never do) on the first call and finalised at exit.
Communicator& mpi_world();
#endif

}  // namespace gradlab
