/* fuzz_gemini.c - libFuzzer target: any bytes as a Gemini request. */
#include "fuzz_common.h"
#include "pollux/gemini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot *s = fuzz_snapshot();
	struct request_ctx ctx = {"127.0.0.1", 1965};
	struct reply r;
	gemini_respond(s, &fuzz_cfg, &ctx, (const char *)data, size, &r);
	/* Every answer is one CRLF-terminated header line. */
	if (r.head_len < 3 || r.head[r.head_len - 2] != '\r' ||
	    r.head[r.head_len - 1] != '\n')
		abort();
	reply_free(&r);
	return 0;
}
