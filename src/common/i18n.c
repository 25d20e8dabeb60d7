#include "i18n.h"

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
wants_vietnamese(void)
{
	static const char *vars[] = { "LANGUAGE", "LC_ALL", "LC_MESSAGES",
		"LANG" };
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v != NULL && *v != '\0')
			return strncmp(v, "vi", 2) == 0;
	}
	return 0;
}

void
i18n_init(const char *argv0)
{
	char exe[PATH_MAX], dir[PATH_MAX + 32];
	struct stat st;
	ssize_t n;

	(void)argv0;
	if (setlocale(LC_ALL, "") == NULL && wants_vietnamese()) {
		/* The vi_VN locale is not generated on this machine: keep
		 * UTF-8 and still pick the Vietnamese catalog. */
		setlocale(LC_ALL, "C.UTF-8");
		setenv("LANGUAGE", "vi", 1);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			snprintf(dir, sizeof(dir), "%s/../share/locale", exe);
			if (stat(dir, &st) == 0) {
				bindtextdomain("kyso", dir);
				goto done;
			}
		}
	}
	bindtextdomain("kyso", KYSO_LOCALEDIR);
done:
	bind_textdomain_codeset("kyso", "UTF-8");
	textdomain("kyso");
}
