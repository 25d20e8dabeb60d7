/* proxy_client: the client of a request is what a trusted proxy says, the
 * right-most entry no trusted proxy wrote; from anyone else the header is
 * ignored. */
#include <string.h>

#include "proxy.h"
#include "unit.h"

int
main(void)
{
	struct proxy *p = NULL;
	char out[PROXY_ADDR_LEN];
	const char *one[] = { "10.9.9.9, 198.51.100.7" };
	const char *two[] = { "10.9.9.9", "198.51.100.7, 127.0.0.4" };
	const char *bad[] = { "198.51.100.7, not-an-address" };
	const char *v6[] = { "2001:DB8:0:0::1" };

	CHECK(proxy_new("127.0.0.3, ::1", NULL, &p) == 0);
	CHECK(strcmp(proxy_header(p), "X-Forwarded-For") == 0);
	CHECK(proxy_trusted(p, "127.0.0.3"));
	CHECK(proxy_trusted(p, "0:0::1"));
	CHECK(!proxy_trusted(p, "127.0.0.4"));
	/* an untrusted peer: its header is ignored */
	proxy_client(p, "127.0.0.2", one, 1, out);
	CHECK(strcmp(out, "127.0.0.2") == 0);
	/* a trusted peer: the right-most address, not what the client wrote */
	proxy_client(p, "127.0.0.3", one, 1, out);
	CHECK(strcmp(out, "198.51.100.7") == 0);
	/* two header lines (the client's own and the proxy's): the last line's
	 * right-most untrusted address; 127.0.0.4 is no proxy of ours */
	proxy_client(p, "127.0.0.3", two, 2, out);
	CHECK(strcmp(out, "127.0.0.4") == 0);
	/* a chain of our own proxies is walked through */
	{
		const char *chain[] = { "203.0.113.5, 127.0.0.3, ::1" };

		proxy_client(p, "::1", chain, 1, out);
		CHECK(strcmp(out, "203.0.113.5") == 0);
	}
	/* garbage where the client should be: the peer */
	proxy_client(p, "127.0.0.3", bad, 1, out);
	CHECK(strcmp(out, "127.0.0.3") == 0);
	/* no header: the peer */
	proxy_client(p, "127.0.0.3", NULL, 0, out);
	CHECK(strcmp(out, "127.0.0.3") == 0);
	/* written canonically */
	proxy_client(p, "127.0.0.3", v6, 1, out);
	CHECK(strcmp(out, "2001:db8::1") == 0);
	proxy_free(p);
	/* no proxies configured */
	proxy_client(NULL, "127.0.0.3", one, 1, out);
	CHECK(strcmp(out, "127.0.0.3") == 0);

	CHECK(proxy_new("127.0.0.3", "X-Real-IP", &p) == 0);
	{
		const char *rip[] = { " 192.0.2.44 " };

		proxy_client(p, "127.0.0.3", rip, 1, out);
		CHECK(strcmp(out, "192.0.2.44") == 0);
	}
	proxy_free(p);
	p = NULL;
	CHECK(proxy_new("127.0.0.3,", NULL, &p) == KYSO_ERR_INVALID);
	CHECK(proxy_new("proxy.example", NULL, &p) == KYSO_ERR_INVALID);
	CHECK(proxy_new("10.0.0.0/8", NULL, &p) == KYSO_ERR_INVALID);
	CHECK(proxy_new("127.0.0.3", "X-Bad: x", &p) == KYSO_ERR_INVALID);
	CHECK(proxy_new("127.0.0.3", "", &p) == KYSO_ERR_INVALID);
	CHECK(p == NULL);
	return unit_done();
}
