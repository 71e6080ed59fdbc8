#pragma once

// Keeps freed memory in the process instead of returning it to the kernel.
//
// glibc serves allocations above a (dynamic, 128 KiB–32 MiB) threshold with mmap and unmaps them
// on free, so every training step page-faults its activations in again. On the virtual machines
// we measure on a page fault costs microseconds: allocating a 2 MiB tensor 32 times took 106 ms
// where writing into a preallocated one took 2 ms (`x * 2` on 16 M floats, 2 cores). Training
// allocates the same shapes every step, so serving them from a heap that is never trimmed removes
// that cost. One heap for all threads: a step's row shards (engine/train/row_shards.h) run on two or
// more threads, and glibc would give each its own arena, each keeping its own high-water mark (peak RSS
// 566 MB against 491 MB with one arena on the Figure 2 attention cell). Call once, before the first
// tensor; affects only this process.
namespace zoolab {

void keep_freed_memory_in_process();

}  // namespace zoolab
