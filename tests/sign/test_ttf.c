/* The TrueType reader and subsetter: DejaVu Sans maps Vietnamese letters,
 * the subset is smaller and keeps what was asked; truncated and damaged
 * copies fail or read within bounds (ASan watches), never crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "sign/formats/ttf.h"
#include "../unit/unit.h"

#define FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

static void
exercise(const char *path)
{
	struct ttf *t = NULL;
	struct buf *sub = NULL;
	uint16_t g[3];
	int a, d, bb[4];

	if (ttf_open(path, &t) != 0)
		return;
	g[0] = ttf_glyph(t, 'A');
	g[1] = ttf_glyph(t, 0x1EC5);
	g[2] = ttf_glyph(t, 0x1F600);
	(void)ttf_advance(t, g[0]);
	ttf_metrics(t, &a, &d, bb);
	if (ttf_subset(t, g, 3, &sub) == 0)
		buf_free(sub);
	ttf_free(t);
}

int
main(void)
{
	struct ttf *t = NULL;
	struct buf *sub = NULL, *raw = NULL;
	char tmp[] = "/tmp/kyso-ttf-XXXXXX";
	uint16_t g[2];
	size_t cut;
	int fd;

	if (access(FONT, R_OK) != 0) {
		printf("no %s\n", FONT);
		return 1;
	}
	CHECK_ERR(ttf_open(FONT, &t), 0);
	g[0] = ttf_glyph(t, 'A');
	g[1] = ttf_glyph(t, 0x1EC5); /* ễ */
	CHECK(g[0] != 0 && g[1] != 0 && g[0] != g[1]);
	CHECK(ttf_glyph(t, 0x10FFFF) == 0);
	CHECK(ttf_advance(t, g[0]) > 300 && ttf_advance(t, g[0]) < 1000);
	CHECK_ERR(ttf_subset(t, g, 2, &sub), 0);
	CHECK(sub != NULL && buf_len(sub) < buf_len(ttf_data(t)) / 4);
	/* The subset is a font again, with the same glyph numbers. */
	if (sub != NULL) {
		struct ttf *s2 = NULL;

		CHECK((fd = mkstemp(tmp)) >= 0);
		CHECK(write(fd, buf_ptr(sub), buf_len(sub)) ==
		    (ssize_t)buf_len(sub));
		close(fd);
		CHECK_ERR(ttf_open(tmp, &s2), 0);
		if (s2 != NULL) {
			CHECK(ttf_glyph(s2, 0x1EC5) == g[1]);
			CHECK(ttf_advance(s2, g[1]) == ttf_advance(t, g[1]));
		}
		ttf_free(s2);
		buf_free(sub);
	}
	ttf_free(t);
	CHECK_ERR(ttf_open("/nonexistent.ttf", &t), KYSO_ERR_NOT_FOUND);

	/* Truncated copies: every cut either fails or stays in bounds. */
	CHECK_ERR(file_read(FONT, TTF_MAX_FILE, &raw), 0);
	for (cut = 0; raw != NULL && cut < buf_len(raw); cut += 9973) {
		CHECK(file_write_atomic(tmp, buf_ptr(raw), cut, 0600) == 0);
		exercise(tmp);
	}
	/* Damaged table offsets. */
	if (raw != NULL) {
		uint8_t *p = buf_mutable_ptr(raw);
		size_t k;

		for (k = 12; k < 12 + 16 * 8; k += 16) {
			uint8_t save = p[k + 8];

			p[k + 8] = 0xff;
			CHECK(file_write_atomic(tmp, p, buf_len(raw), 0600) == 0);
			exercise(tmp);
			p[k + 8] = save;
		}
	}
	buf_free(raw);
	unlink(tmp);
	return unit_done();
}
