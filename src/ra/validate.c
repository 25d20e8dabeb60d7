#include "validate.h"

#include <ctype.h>
#include <string.h>

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int
valid_text(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return KYSO_ERR_INVALID;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return KYSO_ERR_INVALID;
	}
	/* Not only blanks. */
	for (i = 0; i < n; i++)
		if (s[i] != ' ')
			return 0;
	return KYSO_ERR_INVALID;
}

int
valid_id_number(const char *s, const char **kind)
{
	size_t n = strlen(s);

	if (n == 12 && all_digits(s, n)) {
		*kind = "CCCD";
		return 0;
	}
	if (n == 9 && all_digits(s, n)) {
		*kind = "CMND";
		return 0;
	}
	return KYSO_ERR_INVALID;
}

int
valid_tax_code(const char *s)
{
	size_t n = strlen(s);

	if ((n == 10 || n == 13) && all_digits(s, n))
		return 0;
	if (n == 14 && all_digits(s, 10) && s[10] == '-' && all_digits(s + 11, 3))
		return 0;
	return KYSO_ERR_INVALID;
}

int
valid_email(const char *s)
{
	const char *at = strchr(s, '@'), *p;
	size_t n = strlen(s);

	if (n < 3 || n > 254 || at == NULL || at == s || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strchr(at + 1, '.') == NULL)
		return KYSO_ERR_INVALID;
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		/* Printable ASCII without the characters that would end an
		 * address or a header. */
		if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\,;:\"", c))
			return KYSO_ERR_INVALID;
	}
	return 0;
}

int
valid_phone(const char *s)
{
	size_t n = strlen(s), i, digits = 0;

	if (n < 8 || n > 20)
		return KYSO_ERR_INVALID;
	for (i = 0; i < n; i++) {
		if (isdigit((unsigned char)s[i]))
			digits++;
		else if (!(s[i] == '+' && i == 0) && s[i] != ' ' &&
		    s[i] != '-' && s[i] != '.')
			return KYSO_ERR_INVALID;
	}
	return digits >= 8 ? 0 : KYSO_ERR_INVALID;
}

int
valid_key_type(const char *s)
{
	return strcmp(s, "rsa2048") == 0 || strcmp(s, "rsa3072") == 0 ||
		strcmp(s, "p256") == 0 || strcmp(s, "p384") == 0
	    ? 0
	    : KYSO_ERR_INVALID;
}

int
valid_token_serial(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 32)
		return KYSO_ERR_INVALID;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return KYSO_ERR_INVALID;
	return 0;
}
