/* fuzz_gopher.c - libFuzzer target: any bytes as a Gopher selector line. */
#include "fuzz_common.h"
#include "pollux/gopher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot *s = fuzz_snapshot();
	struct request_ctx ctx = {"127.0.0.1", 70};
	struct reply r;
	gopher_respond(s, &fuzz_cfg, &ctx, (const char *)data, size, &r);
	if (r.body_len == 0 && r.head_len == 0)
		abort();   /* never a silent close */
	reply_free(&r);
	return 0;
}
