/* server.h - the server: workers with their loops and listeners, until a
 * signal stops it. */
#ifndef POLLUX_SERVER_H
#define POLLUX_SERVER_H

#include "config.h"
#include "snapshot.h"

/* Binds, drops privileges, loads the capsule and serves it until SIGINT
 * or SIGTERM. Returns 0 on a clean stop, -1 when it could not start
 * (logged). */
int server_run(const struct config *cfg);

#endif
