#include "service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/i18n.h"

static const enum ca_service all[] = { CA_SVC_OCSP, CA_SVC_TSA };

int
service_record(struct db *db, const char *dir)
{
	struct ca_issued i;
	struct db_num nb, na, now;
	const char *p[6];
	size_t k;
	int r;

	for (k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
		if ((r = ca_service_info(dir, all[k], &i)) != 0)
			return r;
		p[0] = i.serial;
		p[1] = db_num(&nb, i.not_before);
		p[2] = db_num(&na, i.not_after);
		p[3] = i.pem;
		p[4] = db_num(&now, (int64_t)time(NULL));
		p[5] = ca_service_name(all[k]);
		r = db_exec(db,
		    "INSERT INTO certificates (serial, registration_id,"
		    " not_before, not_after, status, token_serial, pem,"
		    " created_at, purpose) VALUES (?, NULL, ?, ?, 'good', NULL,"
		    " ?, ?, ?) ON CONFLICT (serial) DO NOTHING",
		    6, p, NULL);
		ca_issued_clear(&i);
		if (r != 0)
			return r;
	}
	return 0;
}

void
service_warn(struct db *db, const char *dir)
{
	int64_t now = (int64_t)time(NULL);
	struct db_rows *rows = NULL;
	struct ca_issued i;
	const char *p[1];
	size_t k;

	for (k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
		const char *n = ca_service_name(all[k]);

		if (ca_service_info(dir, all[k], &i) != 0)
			continue;
		p[0] = i.serial;
		if (db_exec(db, "SELECT status FROM certificates WHERE serial = ?",
			1, p, &rows) == 0 &&
		    db_rows_count(rows) == 1 &&
		    strcmp(db_rows_get(rows, 0, 0), "revoked") == 0)
			fprintf(stderr,
			    _("kyso-ra: the %s certificate (serial %s) is "
			      "revoked: run kyso-ra rotate %s\n"),
			    n, i.serial, n);
		else if (now >= i.not_after)
			fprintf(stderr,
			    _("kyso-ra: the %s certificate (serial %s) has "
			      "expired: run kyso-ra rotate %s\n"),
			    n, i.serial, n);
		else if (i.not_after - now < SERVICE_EXPIRY_WARN)
			fprintf(stderr,
			    _("kyso-ra: warning: the %s certificate (serial %s) "
			      "expires in %lld days: run kyso-ra rotate %s\n"),
			    n, i.serial,
			    (long long)((i.not_after - now) / 86400), n);
		db_rows_free(rows);
		rows = NULL;
		ca_issued_clear(&i);
	}
}

const char *
service_key_conf(enum ca_service w)
{
	return w == CA_SVC_OCSP ? "ocsp_key_id" : "tsa_key_id";
}

int
service_keys_open(const struct config *conf, const char *pin,
    struct ca_key *keys[2])
{
	size_t k;
	int r;

	keys[0] = keys[1] = NULL;
	for (k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
		const char *id = config_get(conf, service_key_conf(all[k]));

		if (id == NULL)
			continue;
		if ((r = ca_key_from_p11(config_get(conf, "ca_module"),
			 config_get(conf, "ca_token"), pin, id, NULL, NULL,
			 &keys[all[k]])) != 0) {
			fprintf(stderr,
			    _("kyso-ra: cannot use the %s key on the token: "
			      "%s\n"),
			    ca_service_name(all[k]), kyso_strerror(r));
			ca_key_free(keys[0]);
			ca_key_free(keys[1]);
			keys[0] = keys[1] = NULL;
			return r;
		}
	}
	return 0;
}

int
service_keys_use(struct ca *ca, struct ca_key *keys[2])
{
	size_t k;
	int r = 0, e;

	for (k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
		if (keys[all[k]] == NULL)
			continue;
		if ((e = ca_set_service_key(ca, all[k], keys[all[k]])) != 0) {
			fprintf(stderr,
			    _("kyso-ra: the %s key on the token is not the "
			      "key of %s.pem\n"),
			    ca_service_name(all[k]), ca_service_name(all[k]));
			r = e;
		}
		keys[all[k]] = NULL;
	}
	if (r == 0 && !ca_service_ready(ca)) {
		fprintf(stderr,
		    _("kyso-ra: the OCSP responder or the TSA has no key (its "
		      "-key.pem file, or its key id in ra.conf)\n"));
		r = KYSO_ERR_NOT_FOUND;
	}
	return r;
}
