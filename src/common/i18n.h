/* Messages users read, in English and Vietnamese (gettext domain "kyso"). */
#ifndef KYSO_I18N_H
#define KYSO_I18N_H

#include <libintl.h>

#define _(s)  gettext(s)
#define N_(s) (s)

/* setlocale + bindtextdomain; finds the catalogs beside the program. */
void i18n_init(const char *argv0);

#endif
