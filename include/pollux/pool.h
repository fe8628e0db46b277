/* pool.h - the threads a load works on: one per core, each taking items
 * in turn, so that a big capsule loads on every core. */
#ifndef POLLUX_POOL_H
#define POLLUX_POOL_H

#include <stddef.h>

#define POOL_THREADS_MAX 8

/* Threads worth starting for n items taken grab at a time: one per core
 * (POLLUX_LOAD_THREADS, for the tests that a parallel load equals a
 * sequential one, may say otherwise), never more than there are grabs. */
unsigned pool_threads(size_t n, size_t grab);

/* Runs fn(arg) on nthreads threads, this one included, and returns when
 * every one has. A thread that cannot start is no loss: the others take
 * its share, as fn takes items from a shared counter. */
void pool_run(unsigned nthreads, void *(*fn)(void *), void *arg);

#endif
