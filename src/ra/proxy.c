#include "proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* An address as IPv6 bytes (IPv4 mapped), so both compare alike. */
struct addr {
	uint8_t b[16];
};

struct proxy {
	struct addr trusted[PROXY_MAX_TRUSTED];
	size_t n;
	char header[64];
};

/* Parses s[0..len) (spaces around it ignored) as an address. */
static int
addr_parse(const char *s, size_t len, struct addr *a)
{
	char t[PROXY_ADDR_LEN];
	struct in_addr a4;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(t))
		return KYSO_ERR_INVALID;
	memcpy(t, s, len);
	t[len] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, t, &a4) == 1) {
		a->b[10] = 0xff;
		a->b[11] = 0xff;
		memcpy(a->b + 12, &a4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, t, a->b) == 1 ? 0 : KYSO_ERR_INVALID;
}

static void
addr_text(const struct addr *a, char out[PROXY_ADDR_LEN])
{
	static const uint8_t v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (memcmp(a->b, v4, 12) == 0)
		inet_ntop(AF_INET, a->b + 12, out, PROXY_ADDR_LEN);
	else
		inet_ntop(AF_INET6, a->b, out, PROXY_ADDR_LEN);
}

static int
is_trusted(const struct proxy *p, const struct addr *a)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (memcmp(p->trusted[i].b, a->b, 16) == 0)
			return 1;
	return 0;
}

int
proxy_new(const char *list, const char *header, struct proxy **out)
{
	struct proxy *p;
	const char *s = list, *c;
	size_t i;
	int r = KYSO_ERR_INVALID;

	if (header == NULL)
		header = "X-Forwarded-For";
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return KYSO_ERR_NOMEM;
	if (strlen(header) == 0 || strlen(header) >= sizeof(p->header))
		goto fail;
	for (i = 0; header[i]; i++)
		if (!((header[i] >= 'A' && header[i] <= 'Z') ||
			(header[i] >= 'a' && header[i] <= 'z') ||
			(header[i] >= '0' && header[i] <= '9') ||
			header[i] == '-' || header[i] == '_'))
			goto fail;
	memcpy(p->header, header, i + 1);
	for (;;) {
		c = strchr(s, ',');
		if (p->n == PROXY_MAX_TRUSTED ||
		    addr_parse(s, c ? (size_t)(c - s) : strlen(s),
			&p->trusted[p->n]) != 0)
			goto fail;
		p->n++;
		if (c == NULL)
			break;
		s = c + 1;
	}
	*out = p;
	return 0;
fail:
	free(p);
	return r;
}

void
proxy_free(struct proxy *p)
{
	free(p);
}

const char *
proxy_header(const struct proxy *p)
{
	return p->header;
}

int
proxy_trusted(const struct proxy *p, const char *addr)
{
	struct addr a;

	return addr_parse(addr, strlen(addr), &a) == 0 && is_trusted(p, &a);
}

/* Walks the entries from the right: the first one that is not a trusted
 * proxy is the client our proxies saw (entries to its left were written
 * by the client itself and prove nothing). */
void
proxy_client(const struct proxy *p, const char *peer, const char *const *values,
    size_t n, char out[PROXY_ADDR_LEN])
{
	struct addr a;
	size_t hops = 0;

	snprintf(out, PROXY_ADDR_LEN, "%s", peer);
	if (p == NULL || !proxy_trusted(p, peer))
		return;
	while (n > 0 && hops < PROXY_MAX_HOPS) {
		const char *v = values[--n];
		size_t end = strlen(v), start;

		for (;;) {
			start = end;
			while (start > 0 && v[start - 1] != ',')
				start--;
			if (++hops > PROXY_MAX_HOPS)
				return;
			if (addr_parse(v + start, end - start, &a) != 0)
				return; /* not an address: the peer */
			if (!is_trusted(p, &a)) {
				addr_text(&a, out);
				return;
			}
			if (start == 0)
				break;
			end = start - 1;
		}
	}
}
