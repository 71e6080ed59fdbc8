#include "engine/train/allocator.h"

#include <malloc.h>

namespace zoolab {

void keep_freed_memory_in_process() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);              // every block from the heap, none from mmap
  mallopt(M_TRIM_THRESHOLD, 1 << 30);  // never give the top of the heap back below 1 GiB
  mallopt(M_TOP_PAD, 256 << 20);       // grow the heap in large steps
  mallopt(M_ARENA_MAX, 1);             // one heap for every thread (allocator.h)
#endif
}

}  // namespace zoolab
