/* fuzz_proxy.c - libFuzzer target: any bytes as the start of a connection
 * that must begin with a PROXY protocol header. */
#include <stdint.h>
#include <stdlib.h>

#include "pollux/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header h;
	/* Every prefix too: a header arrives in pieces. */
	for (size_t n = 0; n <= size; n++) {
		enum proxy_status st = proxy_parse(data, n, &h);
		if (st == PROXY_OK && (h.len == 0 || h.len > n ||
		    h.len > PROXY_HEADER_MAX))
			abort();
		if (st == PROXY_INCOMPLETE && n >= PROXY_HEADER_MAX)
			abort();
		if (st != PROXY_INCOMPLETE)
			break;
	}
	return 0;
}
