/* libFuzzer target for what kyso-agent's network side reads from pages
 * before anything reaches the token side: the body of POST /v1/sign
 * (src/agent/net_req.c: JSON, items, options, base64), an Origin header
 * (origin_valid) and base64 alone. Any bytes; no crash, no leak, and a
 * request that passes never carries more than NET_MAX_ITEMS items. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/net_b64.h"
#include "agent/net_req.h"
#include "agent/origins.h"
#include "agent/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf *f = buf_new(PROTO_MAX_FRAME), *out = buf_new(size + 8);
	struct net_why w;
	char origin[ORIGIN_MAX + 8];
	size_t n = 0, k;

	if (f == NULL || out == NULL)
		goto out;
	if (net_sign_parse(data, size, "https://fuzz.test", (int)(size & 1), f,
		&n, &w) == 0 &&
	    (n == 0 || n > NET_MAX_ITEMS))
		abort();
	k = size < sizeof(origin) - 1 ? size : sizeof(origin) - 1;
	memcpy(origin, data, k);
	origin[k] = '\0';
	if (origin_valid(origin) && strchr(origin, '/') != origin + 5 &&
	    strchr(origin, '/') != origin + 6)
		abort(); /* an origin is "http://" or "https://" first */
	if (b64_decode((const char *)data, size, out) == 0 &&
	    buf_len(out) > size / 4 * 3)
		abort();
out:
	buf_free(out);
	buf_free(f);
	return 0;
}
