/* kyso-token vtoken: the virtual token's factory and USB port:
 * manufacture a token file, plug it into a slot, unplug it. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "common/config.h"
#include "common/crypto.h"
#include "common/fsutil.h"
#include "common/parse.h"
#include "common/secret.h"
#include "token/slots.h"
#include "token/store.h"

struct vt_opts {
	const char *label;
	const char *serial;
	const char *master;
	int slot;
	int plug;
	uint64_t user_max, so_max, capacity, kdf;
	enum tok_profile profile;
};

static int
vt_opt(struct cli *c, int opt, const char *arg, void *ud)
{
	struct vt_opts *o = ud;
	uint64_t v;

	switch (opt) {
	case 'l': o->label = arg; return EXIT_OK;
	case 's': o->serial = arg; return EXIT_OK;
	case 'm': o->master = arg; return EXIT_OK;
	case 'p': o->plug = 1; return EXIT_OK;
	case 'n':
		if (parse_u64(arg, 0, SLOTS_MAX - 1, &v) != 0)
			return cli_usage_error(c,
			    _("--slot needs a slot number"));
		o->slot = (int)v;
		return EXIT_OK;
	case 'u':
		return parse_u64(arg, 1, 100, &o->user_max) == 0
		    ? EXIT_OK
		    : cli_usage_error(c,
			  _("--user-retries needs a number from 1 to 100"));
	case 'o':
		return parse_u64(arg, 1, 100, &o->so_max) == 0
		    ? EXIT_OK
		    : cli_usage_error(c,
			  _("--so-retries needs a number from 1 to 100"));
	case 'c':
		return parse_u64(arg, 4096, 16 * 1024 * 1024, &o->capacity) == 0
		    ? EXIT_OK
		    : cli_usage_error(c,
			  _("--capacity needs a size in bytes (4096 to 16777216)"));
	case 'r':
		if (strcmp(arg, "ca") == 0)
			o->profile = TOK_PROFILE_CA;
		else if (strcmp(arg, "general") == 0)
			o->profile = TOK_PROFILE_GENERAL;
		else
			return cli_usage_error(c,
			    _("--profile is 'ca' or 'general'"));
		return EXIT_OK;
	case 'k':
		return parse_u64(arg, 10, 20, &o->kdf) == 0
		    ? EXIT_OK
		    : cli_usage_error(c,
			  _("--kdf-cost needs a number from 10 to 20"));
	}
	return EXIT_USAGE;
}

static const struct option opts[] = {
	CLI_COMMON_OPTIONS,
	{ "label", required_argument, NULL, 'l' },
	{ "serial", required_argument, NULL, 's' },
	{ "admin-master", required_argument, NULL, 'm' },
	{ "plug", no_argument, NULL, 'p' },
	{ "slot", required_argument, NULL, 'n' },
	{ "user-retries", required_argument, NULL, 'u' },
	{ "so-retries", required_argument, NULL, 'o' },
	{ "capacity", required_argument, NULL, 'c' },
	{ "kdf-cost", required_argument, NULL, 'k' },
	{ "profile", required_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 },
};

static const char help[] = N_(
    "Usage: kyso-token vtoken create [--label L] [--serial S] [--so-pin-fd N]\n"
    "                                [--admin-master FILE] [--user-retries N]\n"
    "                                [--so-retries N] [--capacity BYTES]\n"
    "                                [--kdf-cost N] [--profile ca|general]\n"
    "                                [--plug]\n"
    "       kyso-token vtoken plug SERIAL [--slot N]\n"
    "       kyso-token vtoken unplug SERIAL\n"
    "       kyso-token vtoken list\n"
    "Virtual USB tokens for the kyso PKCS#11 module, kept in $KYSO_HOME/tokens.\n"
    "'create' manufactures a token: factory user PIN 12345678 (to be changed\n"
    "at first use), the security officer (SO) PIN read from --so-pin-fd or\n"
    "asked, and, with --admin-master, the per-token unblock key the CA's RA\n"
    "server derives from the same master key file. 'plug' attaches a token to\n"
    "the first free slot (or --slot N), as plugging a USB token in; 'unplug'\n"
    "removes it.\n"
    "  --label L          token label (default \"kyso token\")\n"
    "  --serial S         serial number, up to 16 characters (default: random)\n"
    "  --admin-master F   CA master key file for remote PIN unblock\n"
    "  --user-retries N   wrong user PINs before it locks (default 5)\n"
    "  --so-retries N     wrong SO PINs before it locks (default 10)\n"
    "  --capacity BYTES   object memory (default 65536)\n"
    "  --kdf-cost N       scrypt cost as log2 N (default 15)\n"
    "  --profile P        'ca' (default): keys made on the token and never\n"
    "                     leaving it; 'general': a general-purpose soft token\n"
    "                     (keys imported, copied, exported only wrapped)\n"
    "  --plug             plug the new token in\n\n");

static int
home_dirs(char **home, char **tokens, char **slots)
{
	if ((*home = kyso_home()) == NULL ||
	    (*tokens = path_join(*home, "tokens")) == NULL ||
	    (*slots = path_join(*home, "slots")) == NULL)
		return KYSO_ERR_NOMEM;
	if (mkdir_p(*tokens, 0700) != 0 || mkdir_p(*slots, 0700) != 0)
		return KYSO_ERR_IO;
	return 0;
}

static unsigned
slot_count(void)
{
	struct config *cfg = NULL;
	const char *env = getenv("KYSO_SLOTS");
	uint64_t n = 4;

	if (env != NULL && parse_u64(env, 1, SLOTS_MAX, &n) == 0)
		return (unsigned)n;
	if (config_load_home(&cfg) == 0) {
		n = config_get_u64(cfg, "slots", 1, SLOTS_MAX, 4);
		config_free(cfg);
	}
	return (unsigned)n;
}

static int
valid_serial(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 16)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= 'a' && s[i] <= 'z') || s[i] == '-' ||
			s[i] == '_'))
			return 0;
	return 1;
}

/* The slot a token file is plugged into, or -1. */
static int
plugged_slot(const char *slots, const char *file)
{
	char link[32], target[PATH_MAX];
	unsigned i;

	for (i = 0; i < SLOTS_MAX; i++) {
		char *lp;
		ssize_t n;

		snprintf(link, sizeof(link), "%u", i);
		if ((lp = path_join(slots, link)) == NULL)
			return -1;
		n = readlink(lp, target, sizeof(target) - 1);
		free(lp);
		if (n > 0) {
			target[n] = '\0';
			if (strcmp(target, file) == 0)
				return (int)i;
		}
	}
	return -1;
}

/* Plugs the token in and says where, as text or JSON. */
static int
plug(const struct cli *c, const char *slots, const char *file,
    const char *serial, int want)
{
	unsigned i, n = slot_count();
	char link[32];
	int at;

	if ((at = plugged_slot(slots, file)) >= 0) {
		fprintf(stderr, _("Token %s is already plugged into slot %d.\n"),
		    serial, at);
		return EXIT_FAIL;
	}
	for (i = want >= 0 ? (unsigned)want : 0; i < n; i++) {
		char *lp;
		int r;

		snprintf(link, sizeof(link), "%u", i);
		if ((lp = path_join(slots, link)) == NULL)
			return EXIT_FAIL;
		r = symlink(file, lp);
		free(lp);
		if (r == 0) {
			if (c->json) {
				json_t *j = json_pack("{s:s,s:s,s:i}", "serial",
				    serial, "file", file, "slot", (int)i);

				cli_json_print(j);
				json_decref(j);
			} else {
				printf(_("Token %s is plugged into slot %u.\n"),
				    serial, i);
			}
			return EXIT_OK;
		}
		if (errno != EEXIST || want >= 0)
			break;
	}
	if (want >= 0)
		fprintf(stderr, _("Slot %d is taken or does not exist.\n"), want);
	else
		fprintf(stderr,
		    _("Every slot is taken: unplug a token first.\n"));
	return EXIT_FAIL;
}

static int
read_master(const char *path, uint8_t **out, size_t *n)
{
	struct buf *b = NULL;
	int r;

	if ((r = file_read(path, 4096, &b)) != 0)
		return r;
	if (buf_len(b) < 32) {
		buf_free(b);
		return KYSO_ERR_INVALID;
	}
	if ((*out = malloc(buf_len(b))) == NULL) {
		buf_free(b);
		return KYSO_ERR_NOMEM;
	}
	memcpy(*out, buf_ptr(b), buf_len(b));
	*n = buf_len(b);
	buf_free(b);
	return 0;
}

static int
vt_create(struct cli *c, struct vt_opts *o, const char *tokens, const char *slots)
{
	struct tok_params p;
	char serial[17], *file = NULL, *so = NULL;
	uint8_t admin[32], *master = NULL, rnd[6];
	size_t mlen = 0;
	int r, ex = EXIT_FAIL;

	memset(&p, 0, sizeof(p));
	if (o->serial != NULL) {
		if (!valid_serial(o->serial))
			return cli_usage_error(c,
			    _("a serial number is 1 to 16 letters, digits, '-' or '_'"));
		snprintf(serial, sizeof(serial), "%s", o->serial);
	} else {
		if (crypto_random(rnd, sizeof(rnd)) != 0)
			return EXIT_FAIL;
		snprintf(serial, sizeof(serial), "KY%02X%02X%02X%02X%02X%02X",
		    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	}
	if (o->label != NULL && strlen(o->label) > 32)
		return cli_usage_error(c, _("a label has at most 32 bytes"));
	if (asprintf(&file, "%s/%s.tok", tokens, serial) < 0)
		return EXIT_FAIL;
	if (o->master != NULL) {
		if ((r = read_master(o->master, &master, &mlen)) != 0) {
			fprintf(stderr,
			    _("Cannot read the admin master key %s (at least 32 bytes): %s.\n"),
			    o->master, kyso_strerror(r));
			goto out;
		}
		if (kyso_admin_key(master, mlen, serial, admin) != 0)
			goto out;
		p.admin_key = admin;
	}
	if (secret_read(c->so_pin_fd,
		_("Security officer (SO) PIN for the new token: "), &so) != 0) {
		fprintf(stderr, _("No SO PIN was given.\n"));
		ex = EXIT_USAGE;
		goto out;
	}
	p.label = o->label;
	p.serial = serial;
	p.so_pin = so;
	p.so_pin_len = strlen(so);
	p.user_max = (uint32_t)o->user_max;
	p.so_max = (uint32_t)o->so_max;
	p.capacity = (uint32_t)o->capacity;
	p.kdf_log_n = (unsigned)o->kdf;
	p.profile = o->profile;
	r = tok_create(file, &p);
	if (r == KYSO_ERR_EXISTS) {
		fprintf(stderr, _("A token with serial %s already exists.\n"),
		    serial);
		goto out;
	}
	if (r == KYSO_ERR_INVALID) {
		fprintf(stderr, _("The SO PIN must be 6 to 16 characters.\n"));
		ex = EXIT_PIN_INVALID;
		goto out;
	}
	if (r != 0) {
		fprintf(stderr, _("Cannot make the token: %s.\n"),
		    kyso_strerror(r));
		goto out;
	}
	/* With --json and --plug, plug() prints the one JSON object. */
	if (c->json && !o->plug) {
		json_t *j = json_pack("{s:s,s:s,s:i}", "serial", serial, "file",
		    file, "slot", -1);

		cli_json_print(j);
		json_decref(j);
	} else if (!c->json) {
		printf(_("Made token %s (factory user PIN 12345678, to be changed at first use).\n"),
		    serial);
	}
	ex = o->plug ? plug(c, slots, file, serial, o->slot) : EXIT_OK;
out:
	OPENSSL_cleanse(admin, sizeof(admin));
	if (master != NULL) {
		OPENSSL_cleanse(master, mlen);
		free(master);
	}
	secret_free(so);
	free(file);
	return ex;
}

static int
vt_list(struct cli *c, const char *tokens, const char *slots)
{
	DIR *d = opendir(tokens);
	struct dirent *e;
	json_t *arr = json_array();

	if (d == NULL) {
		json_decref(arr);
		return EXIT_FAIL;
	}
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		struct tok *t = NULL;
		char *file;
		int at;

		if (n < 5 || strcmp(e->d_name + n - 4, ".tok") != 0)
			continue;
		if ((file = path_join(tokens, e->d_name)) == NULL)
			continue;
		at = plugged_slot(slots, file);
		if (tok_open(file, &t) != 0) {
			if (!c->json)
				printf(_("%s: damaged token file\n"), e->d_name);
		} else if (c->json) {
			json_array_append_new(arr,
			    json_pack("{s:s,s:s,s:s,s:i}", "serial",
				tok_info(t)->serial, "label",
				tok_info(t)->label, "file", file, "slot", at));
		} else if (at >= 0) {
			printf(_("%s \"%s\": plugged into slot %d\n"),
			    tok_info(t)->serial, tok_info(t)->label, at);
		} else {
			printf(_("%s \"%s\": not plugged in\n"),
			    tok_info(t)->serial, tok_info(t)->label);
		}
		tok_free(t);
		free(file);
	}
	closedir(d);
	if (c->json)
		cli_json_print(arr);
	json_decref(arr);
	return EXIT_OK;
}

int
cmd_vtoken(int argc, char **argv)
{
	struct cli c;
	struct vt_opts o;
	char *home = NULL, *tokens = NULL, *slots = NULL, *file = NULL;
	const char *verb;
	int ex;

	memset(&o, 0, sizeof(o));
	o.slot = -1;
	cli_init(&c, "vtoken");
	ex = cli_parse(&c, argc, argv, opts, _(help), vt_opt, &o);
	if (ex != EXIT_OK)
		return ex == CLI_DONE ? EXIT_OK : ex;
	if (optind >= argc)
		return cli_usage_error(&c, _("say create, plug, unplug or list"));
	verb = argv[optind];
	if (home_dirs(&home, &tokens, &slots) != 0) {
		fprintf(stderr, _("Cannot use the kyso folder %s.\n"),
		    home ? home : "?");
		ex = EXIT_FAIL;
		goto out;
	}
	if (strcmp(verb, "create") == 0 && optind + 1 == argc) {
		ex = vt_create(&c, &o, tokens, slots);
	} else if (strcmp(verb, "list") == 0 && optind + 1 == argc) {
		ex = vt_list(&c, tokens, slots);
	} else if ((strcmp(verb, "plug") == 0 || strcmp(verb, "unplug") == 0) &&
	    optind + 2 == argc) {
		const char *serial = argv[optind + 1];
		int at;

		if (!valid_serial(serial)) {
			ex = cli_usage_error(&c,
			    _("that is not a token serial number"));
			goto out;
		}
		if (asprintf(&file, "%s/%s.tok", tokens, serial) < 0) {
			file = NULL;
			ex = EXIT_FAIL;
			goto out;
		}
		if (access(file, F_OK) != 0) {
			fprintf(stderr,
			    _("There is no virtual token %s (see 'kyso-token vtoken list').\n"),
			    serial);
			ex = EXIT_NO_TOKEN;
		} else if (verb[0] == 'p') {
			ex = plug(&c, slots, file, serial, o.slot);
		} else if ((at = plugged_slot(slots, file)) < 0) {
			fprintf(stderr, _("Token %s is not plugged in.\n"),
			    serial);
			ex = EXIT_FAIL;
		} else {
			char link[32], *lp;

			snprintf(link, sizeof(link), "%d", at);
			lp = path_join(slots, link);
			ex = lp != NULL && unlink(lp) == 0 ? EXIT_OK : EXIT_FAIL;
			free(lp);
			if (ex == EXIT_OK && c.json) {
				json_t *j = json_pack("{s:s,s:s,s:i}", "serial",
				    serial, "file", file, "slot", -1);

				cli_json_print(j);
				json_decref(j);
			} else if (ex == EXIT_OK) {
				printf(_("Token %s was unplugged from slot %d.\n"),
				    serial, at);
			}
		}
	} else {
		ex = cli_usage_error(&c,
		    _("say create, plug SERIAL, unplug SERIAL or list"));
	}
out:
	free(file);
	free(home);
	free(tokens);
	free(slots);
	return ex;
}
