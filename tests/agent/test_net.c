/* kyso-agent's network side without a server: origin_valid, the origins
 * file (comments kept, the last line wins, atomic save, mode 0600),
 * base64 (strict input, the chunk boundary), and the job table (frames
 * from the token side, ownership, fetched once, a malformed frame). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "agent/jobs.h"
#include "agent/net_b64.h"
#include "agent/origins.h"
#include "agent/proto.h"
#include "common/fsutil.h"
#include "common/jsonwipe.h"
#include "unit.h"

static const struct {
	const char *s;
	int ok;
} origin_cases[] = {
	{ "http://a.test", 1 },
	{ "https://econtract.example.vn", 1 },
	{ "http://127.0.0.1:8080", 1 },
	{ "http://[::1]:3000", 1 },
	{ "https://xn--bcher-kva.example", 1 },
	{ "http://localhost:65535", 1 },
	{ "", 0 },
	{ "null", 0 },
	{ "http://", 0 },
	{ "http://a.test/", 0 },
	{ "http://a.test/x", 0 },
	{ "http://a.test?x", 0 },
	{ "http://a.test#x", 0 },
	{ "http://user@a.test", 0 },
	{ "HTTP://a.test", 0 },
	{ "http://A.test", 0 },
	{ "ftp://a.test", 0 },
	{ "file://", 0 },
	{ "http://a.test:", 0 },
	{ "http://a.test:0", 0 },
	{ "http://a.test:08", 0 },
	{ "http://a.test:65536", 0 },
	{ "http://a.test:+80", 0 },
	{ "http://a..test", 0 },
	{ "http://.a.test", 0 },
	{ "http://a.test.", 0 },
	{ "http://a test", 0 },
	{ "http://a.test\n", 0 },
	{ "http://[::1", 0 },
	{ "http://[::1]x", 0 },
	{ "http://[zz]", 0 },
	{ "http://a_b.test", 0 },
};

static void
test_origin_valid(void)
{
	size_t i;
	char longhost[400];

	for (i = 0; i < sizeof(origin_cases) / sizeof(origin_cases[0]); i++) {
		if (origin_valid(origin_cases[i].s) != origin_cases[i].ok)
			fprintf(stderr, "origin '%s'\n", origin_cases[i].s);
		CHECK(origin_valid(origin_cases[i].s) == origin_cases[i].ok);
	}
	memcpy(longhost, "http://", 7);
	memset(longhost + 7, 'a', sizeof(longhost) - 8);
	longhost[sizeof(longhost) - 1] = '\0';
	CHECK(!origin_valid(longhost));
	CHECK(!origin_valid(NULL));
}

static void
test_origins_file(const char *dir)
{
	char *path = path_join(dir, "agent/origins");
	static const char text[] = "# kept\n"
				   "allow http://a.test\n"
				   "deny\thttp://b.test  \n"
				   "something else\n"
				   "allow http://b.test\n"
				   "allow not-an-origin\n";
	struct origins *o = NULL;
	struct buf *b = NULL;
	struct stat st;
	const char *name;
	enum origin_decision d;

	CHECK(path != NULL);
	/* A missing file is an empty list. */
	CHECK_ERR(origins_load(path, &o), 0);
	CHECK_ERR(origins_at(o, 0, &name, &d), KYSO_ERR_NOT_FOUND);
	origins_free(o);
	o = NULL;
	CHECK(origins_lookup(path, "http://a.test") == ORIGIN_UNKNOWN);

	CHECK_ERR(mkdir_p(dir, 0700), 0);
	CHECK_ERR(origins_store(path, "http://c.test", ORIGIN_DENY), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_ERR(file_write_atomic(path, text, sizeof(text) - 1, 0600), 0);
	CHECK_ERR(origins_load(path, &o), 0);
	CHECK(origins_get(o, "http://a.test") == ORIGIN_ALLOW);
	CHECK(origins_get(o, "http://b.test") == ORIGIN_ALLOW); /* last wins */
	CHECK(origins_get(o, "http://c.test") == ORIGIN_UNKNOWN);
	CHECK_ERR(origins_at(o, 1, &name, &d), 0);
	CHECK(strcmp(name, "http://b.test") == 0 && d == ORIGIN_DENY);
	CHECK_ERR(origins_at(o, 3, &name, &d), KYSO_ERR_NOT_FOUND);
	CHECK_ERR(origins_set(o, "http://a.test/", ORIGIN_ALLOW),
	    KYSO_ERR_INVALID);
	CHECK_ERR(origins_set(o, "http://a.test", ORIGIN_UNKNOWN),
	    KYSO_ERR_INVALID);
	/* One line an origin after a set; the others as they were. */
	CHECK_ERR(origins_set(o, "http://b.test", ORIGIN_DENY), 0);
	CHECK_ERR(origins_remove(o, "http://a.test"), 0);
	CHECK_ERR(origins_remove(o, "http://a.test"), KYSO_ERR_NOT_FOUND);
	CHECK_ERR(origins_save(o, path), 0);
	origins_free(o);
	CHECK_ERR(file_read(path, ORIGINS_FILE_MAX, &b), 0);
	CHECK(buf_len(b) ==
		strlen("# kept\nsomething else\nallow "
		       "not-an-origin\ndeny http://b.test\n") &&
	    memcmp(buf_ptr(b),
		"# kept\nsomething else\nallow not-an-origin\n"
		"deny http://b.test\n",
		buf_len(b)) == 0);
	buf_free(b);
	CHECK(origins_lookup(path, "http://b.test") == ORIGIN_DENY);
	unlink(path);
	free(path);
}

/* Encodes n bytes of a pattern and decodes them back. */
static int
roundtrip(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	struct buf *out = buf_new(n + 8);
	char *s = NULL;
	size_t i;
	int ok = 0;

	if (p == NULL || out == NULL)
		goto out;
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + (i >> 8));
	if (b64_encode(p, n, &s) != 0 || strlen(s) != (n + 2) / 3 * 4)
		goto out;
	if (b64_decode(s, strlen(s), out) != 0)
		goto out;
	ok = buf_len(out) == n && (n == 0 || memcmp(buf_ptr(out), p, n) == 0);
out:
	free(s);
	buf_free(out);
	free(p);
	return ok;
}

static void
test_b64(void)
{
	struct buf *out = buf_new(64);
	size_t n;

	for (n = 0; n < 40; n++)
		CHECK(roundtrip(n));
	/* Across the 3 MiB chunks of the EVP calls. */
	CHECK(roundtrip((size_t)3 * 1024 * 1024 - 1));
	CHECK(roundtrip((size_t)3 * 1024 * 1024 + 2));
	CHECK(roundtrip((size_t)7 * 1024 * 1024 + 1));

	CHECK_ERR(b64_decode("aGVsbG8=", 8, out), 0);
	CHECK(buf_len(out) == 5 && memcmp(buf_ptr(out), "hello", 5) == 0);
	buf_reset(out);
	CHECK_ERR(b64_decode("aGVsbG8", 7, out), KYSO_ERR_INVALID);
	CHECK_ERR(b64_decode("aGVs bG8=", 9, out), KYSO_ERR_INVALID);
	CHECK_ERR(b64_decode("aGVsbG8*", 8, out), KYSO_ERR_INVALID);
	CHECK_ERR(b64_decode("aG=sbG8=", 8, out), KYSO_ERR_INVALID);
	CHECK_ERR(b64_decode("aGVsbG8=aGVs", 12, out), KYSO_ERR_INVALID);
	CHECK_ERR(b64_decode("a===", 4, out), KYSO_ERR_INVALID);
	CHECK_ERR(b64_decode("aGVs\nbG8=", 9, out), KYSO_ERR_INVALID);
	buf_free(out);
}

/* A frame as the token side writes it, type byte first. */
static struct buf *
frame(enum proto_type t)
{
	struct buf *f = NULL;

	if (proto_begin(t, &f) != 0)
		return NULL;
	return f;
}

/* The job rendered for origin as compact JSON (NULL: not found). */
static char *
render(struct jobs *js, const char *id, const char *origin)
{
	json_t *o = NULL;
	char *s;

	if (jobs_render(js, id, origin, &o) != 0)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static void
test_jobs(void)
{
	struct jobs *js = NULL;
	struct buf *f;
	char id[JOB_ID_LEN + 1], id2[JOB_ID_LEN + 1], *s;
	json_t *o;
	enum job_state st;
	int running;

	CHECK_ERR(jobs_new(&js), 0);
	CHECK_ERR(jobs_start(js, "http://a.test", 2, id), 0);
	CHECK(strlen(id) == JOB_ID_LEN &&
	    strspn(id, "0123456789abcdef") == JOB_ID_LEN);
	CHECK_ERR(jobs_state(js, id, "http://a.test", &st, &running), 0);
	CHECK(st == JOB_WAITING_USER && running);
	CHECK_ERR(jobs_state(js, id, "http://b.test", &st, &running),
	    KYSO_ERR_NOT_FOUND);
	CHECK(render(js, id, "http://b.test") == NULL);

	f = frame(P_PROGRESS);
	CHECK(f != NULL && buf_put_u32(f, 0) == 0 &&
	    buf_put_u8(f, STAGE_SIGNING) == 0);
	jobs_frame(js, f);
	buf_free(f);
	f = frame(P_ITEM);
	CHECK(f != NULL && buf_put_u32(f, 0) == 0 && buf_put_u32(f, 0) == 0 &&
	    buf_put_cstring(f, "") == 0 && buf_put_string(f, "hello", 5) == 0);
	jobs_frame(js, f);
	buf_free(f);
	f = frame(P_ITEM);
	CHECK(f != NULL && buf_put_u32(f, 1) == 0 &&
	    buf_put_u32(f, AGENT_SIGN_FAILED) == 0 &&
	    buf_put_cstring(f, "encrypted") == 0 &&
	    buf_put_string(f, "", 0) == 0);
	jobs_frame(js, f);
	buf_free(f);
	s = render(js, id, "http://a.test");
	CHECK(s != NULL &&
	    strstr(s, "\"state\":\"signing\",\"done\":2,\"total\":2") != NULL);
	CHECK(s != NULL && strstr(s, "\"data\":\"aGVsbG8=\"") != NULL);
	CHECK(s != NULL && strstr(s, "\"code\":\"SIGN_FAILED\"") != NULL);
	free(s);
	f = frame(P_DONE);
	CHECK(f != NULL && buf_put_u32(f, 0) == 0 &&
	    buf_put_u32(f, UINT32_MAX) == 0 && buf_put_cstring(f, "") == 0);
	jobs_frame(js, f);
	buf_free(f);
	CHECK_ERR(jobs_state(js, id, "http://a.test", &st, &running), 0);
	CHECK(st == JOB_DONE && !running);
	/* Done: no batch error, only the item's. */
	o = NULL;
	CHECK_ERR(jobs_render(js, id, "http://a.test", &o), 0);
	CHECK(o != NULL && json_object_get(o, "error") == NULL &&
	    strcmp(json_string_value(json_object_get(o, "state")), "done") == 0);
	json_decref(o);
	/* Fetched once in a final state: gone. */
	CHECK(render(js, id, "http://a.test") == NULL);

	/* A wrong PIN: tries_left shown when known. */
	CHECK_ERR(jobs_start(js, "http://a.test", 1, id2), 0);
	CHECK(strcmp(id, id2) != 0);
	f = frame(P_DONE);
	CHECK(f != NULL && buf_put_u32(f, AGENT_PIN_INCORRECT) == 0 &&
	    buf_put_u32(f, 2) == 0 && buf_put_cstring(f, "wrong PIN") == 0);
	jobs_frame(js, f);
	buf_free(f);
	s = render(js, id2, "http://a.test");
	CHECK(s != NULL && strstr(s, "\"state\":\"failed\"") != NULL &&
	    strstr(s, "\"code\":\"PIN_INCORRECT\"") != NULL &&
	    strstr(s, "\"tries_left\":2") != NULL);
	free(s);

	/* A malformed frame (an item past the total) fails the job. */
	CHECK_ERR(jobs_start(js, "http://a.test", 1, id2), 0);
	f = frame(P_ITEM);
	CHECK(f != NULL && buf_put_u32(f, 5) == 0 && buf_put_u32(f, 0) == 0 &&
	    buf_put_cstring(f, "") == 0 && buf_put_string(f, "x", 1) == 0);
	jobs_frame(js, f);
	buf_free(f);
	s = render(js, id2, "http://a.test");
	CHECK(s != NULL && strstr(s, "\"code\":\"INTERNAL\"") != NULL);
	free(s);

	/* The token side gone mid-batch; then a batch that never started. */
	CHECK_ERR(jobs_start(js, "http://a.test", 1, id2), 0);
	jobs_frame(js, NULL);
	CHECK_ERR(jobs_state(js, id2, "http://a.test", &st, &running), 0);
	CHECK(st == JOB_FAILED && !running);
	CHECK_ERR(jobs_start(js, "http://a.test", 1, id), 0);
	jobs_abort(js);
	CHECK_ERR(jobs_state(js, id, "http://a.test", &st, &running),
	    KYSO_ERR_NOT_FOUND);
	jobs_free(js);
}

int
main(void)
{
	char tmpl[] = "/tmp/kyso-test-net.XXXXXX";
	char *dir = mkdtemp(tmpl), *sub;

	jsonwipe_install();
	test_origin_valid();
	CHECK(dir != NULL);
	sub = path_join(dir, "home");
	test_origins_file(sub);
	free(sub);
	test_b64();
	test_jobs();
	sub = path_join(dir, "home/agent");
	rmdir(sub);
	free(sub);
	sub = path_join(dir, "home");
	rmdir(sub);
	free(sub);
	rmdir(dir);
	return unit_done();
}
