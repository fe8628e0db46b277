/* pool.c - a load's threads: started for one stage (reading the posts,
 * rendering them), joined at its end; the items are shared out by the
 * stage itself, through an atomic counter. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "pollux/pool.h"

unsigned pool_threads(size_t n, size_t grab)
{
	const char *env = getenv("POLLUX_LOAD_THREADS");
	long k = env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
	if (k < 1)
		k = 1;
	if (k > POOL_THREADS_MAX)
		k = POOL_THREADS_MAX;
	if ((size_t)k > n / grab + 1)
		k = (long)(n / grab + 1);
	return (unsigned)k;
}

void pool_run(unsigned nthreads, void *(*fn)(void *), void *arg)
{
	pthread_t tid[POOL_THREADS_MAX];
	unsigned started = 0;
	for (unsigned t = 1; t < nthreads && t < POOL_THREADS_MAX; t++)
		if (pthread_create(&tid[started], NULL, fn, arg) == 0)
			started++;
	fn(arg);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
}
