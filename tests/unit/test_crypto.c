/* libkyso's crypto helpers against published vectors: HMAC-SHA256
 * (RFC 4231 test cases 1, 2 and 6: a short key, a text key, a key longer
 * than the block), the same through one crypto_hmac object used again,
 * and SHA-256 (FIPS 180-2 "abc"). */
#include <string.h>

#include "common/crypto.h"
#include "unit.h"

static int
hex_is(const uint8_t *b, size_t n, const char *hex)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	if (strlen(hex) != 2 * n)
		return 0;
	for (i = 0; i < n; i++)
		if (hex[2 * i] != d[b[i] >> 4] || hex[2 * i + 1] != d[b[i] & 15])
			return 0;
	return 1;
}

int
main(void)
{
	uint8_t key[131], mac[32];

	memset(key, 0x0b, 20);
	CHECK_ERR(crypto_hmac_sha256(key, 20, "Hi There", 8, mac), 0);
	CHECK(hex_is(mac, 32,
	    "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7"));
	CHECK_ERR(crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?",
		      28, mac),
	    0);
	CHECK(hex_is(mac, 32,
	    "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843"));
	memset(key, 0xaa, sizeof(key));
	CHECK_ERR(crypto_hmac_sha256(key, sizeof(key),
		      "Test Using Larger Than Block-Size Key - Hash Key First",
		      54, mac),
	    0);
	CHECK(hex_is(mac, 32,
	    "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54"));
	/* One key, many messages: the same as the one-shot each time. */
	{
		struct crypto_hmac *h = NULL;
		uint8_t again[32];

		CHECK_ERR(crypto_hmac_new("Jefe", 4, &h), 0);
		CHECK_ERR(crypto_hmac(h, "what do ya want for nothing?", 28,
			      again),
		    0);
		CHECK(hex_is(again, 32,
		    "5bdcc146bf60754e6a042426089575c7"
		    "5a003f089d2739839dec58b964ec3843"));
		CHECK_ERR(crypto_hmac(h, "what do ya want for nothing?", 28,
			      again),
		    0);
		CHECK(hex_is(again, 32,
		    "5bdcc146bf60754e6a042426089575c7"
		    "5a003f089d2739839dec58b964ec3843"));
		/* An empty message (value from Python's hmac module). */
		CHECK_ERR(crypto_hmac(h, "", 0, again), 0);
		CHECK(hex_is(again, 32,
		    "923598ca6d64af2a5dba79dcd021a8a0"
		    "fe5c5f557519adaaf0ad532d4506dd30"));
		crypto_hmac_free(h);
	}
	CHECK_ERR(crypto_sha256("abc", 3, mac), 0);
	CHECK(hex_is(mac, 32,
	    "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad"));
	return unit_done();
}
