/* libFuzzer target for PDF signature verification: the bytes as a file,
 * then every signature field found, its /ByteRange, its CMS (OpenSSL's
 * parser) and the revisions after it. No trust anchors, no network. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sign/verify/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct verify_opts vo = { NULL, 0 };
	struct sig_report *rep = NULL;
	const char *why = NULL;
	size_t n = 0;
	FILE *f;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/kyso-fuzz-verify-%d.pdf",
		    (int)getpid());
	if ((f = fopen(path, "wb")) == NULL)
		return 0;
	if (size > 0 && fwrite(data, 1, size, f) != size) {
		fclose(f);
		return 0;
	}
	fclose(f);
	if (verify_pdf_file(path, &vo, &rep, &n, &why) == 0)
		sig_reports_free(rep, n);
	return 0;
}
