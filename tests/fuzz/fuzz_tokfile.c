/* libFuzzer target for the token file reader (src/token/store.c): the
 * fuzzer's bytes get a valid SHA-256 trailer, so mutations reach the
 * parser instead of the checksum; then every object is read. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/crypto.h"
#include "token/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tok *t = NULL;
	uint8_t sum[32];
	char path[64];
	size_t i;
	int fd;

	if ((fd = memfd_create("tok", MFD_CLOEXEC)) < 0)
		return 0;
	if (crypto_sha256(data, size, sum) != 0 ||
	    write(fd, data, size) != (ssize_t)size ||
	    write(fd, sum, sizeof(sum)) != (ssize_t)sizeof(sum)) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (tok_open(path, &t) == 0) {
		const struct tok_info *in = tok_info(t);

		(void)in->label[0];
		for (i = 0; i < tok_nobjects(t); i++) {
			struct tobj *o = tok_object_at(t, i);
			const struct attrs *a = tobj_attrs(o);

			if (a != NULL)
				(void)attrs_size(a);
		}
		/* A wrong PIN on a parsed token: the count is written first,
		 * which fails on this path; nothing may crash. */
		(void)tok_login_user(t, "00000000", 8);
		tok_free(t);
	}
	close(fd);
	return 0;
}
