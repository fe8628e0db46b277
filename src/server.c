/* server.c - listeners and connections. STUB: being written. */
#include "pollux/log.h"
#include "pollux/server.h"

int server_run(const struct config *cfg, struct snapshot *snap)
{
	(void)cfg;
	snapshot_unref(snap);
	log_error("serving is not written yet");
	return -1;
}
