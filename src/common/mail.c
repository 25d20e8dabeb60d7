#include "common/mail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/fsutil.h"
#include "common/parse.h"

#define MAIL_QUEUE_MAX 1000

/* SMTP mail waits in a queue for a worker thread: a slow or unreachable
 * mail server never holds up an API call, and the time of an answer does
 * not tell whether it sent mail (the PIN-reset request must not). */
struct queued {
	struct queued *next;
	char *to;
	struct buf *msg;
};

/* How many outbox mails with a secret a mailer remembers (a ring). */
#define MAIL_NOTES 16384

/* An outbox file that holds a code or OTP, by a keyed tag of it. */
struct mail_note {
	uint8_t tag[16];
	char name[48]; /* "" when free */
};

struct mailer {
	char *outbox;
	char *smtp_url;
	char *from;
	unsigned seq;
	pthread_t worker;
	int running, stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct queued *head, *tail;
	size_t queued;
	/* outbox mode: where each secret went (mailer_outbox_redact) */
	uint8_t note_key[32];
	struct mail_note *notes; /* MAIL_NOTES, made at the first one */
	size_t note_next;
};

static int send_smtp(struct mailer *m, const char *to, const struct buf *msg);

static void *
worker(void *arg)
{
	struct mailer *m = arg;
	struct queued *q;

	pthread_mutex_lock(&m->lock);
	for (;;) {
		while (m->head == NULL && !m->stop)
			pthread_cond_wait(&m->cond, &m->lock);
		if (m->head == NULL)
			break;
		q = m->head;
		if ((m->head = q->next) == NULL)
			m->tail = NULL;
		m->queued--;
		pthread_mutex_unlock(&m->lock);
		if (send_smtp(m, q->to, q->msg) != 0)
			fprintf(stderr, "%s: a mail to %s was not sent\n",
			    program_invocation_short_name, q->to);
		buf_free(q->msg); /* wipes */
		free(q->to);
		free(q);
		pthread_mutex_lock(&m->lock);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

static int
enqueue(struct mailer *m, const char *to, struct buf *msg)
{
	struct queued *q = calloc(1, sizeof(*q));

	if (q == NULL || (q->to = strdup(to)) == NULL) {
		free(q);
		return KYSO_ERR_NOMEM;
	}
	q->msg = msg;
	pthread_mutex_lock(&m->lock);
	if (m->queued >= MAIL_QUEUE_MAX) {
		pthread_mutex_unlock(&m->lock);
		free(q->to);
		free(q);
		return KYSO_ERR_FULL;
	}
	if (m->tail != NULL)
		m->tail->next = q;
	else
		m->head = q;
	m->tail = q;
	m->queued++;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int
mailer_new(const char *outbox, const char *smtp_url, const char *from,
    struct mailer **out)
{
	struct mailer *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return KYSO_ERR_NOMEM;
	m->outbox = strdup(outbox);
	m->from = strdup(from ? from : "kyso RA <ra@localhost>");
	m->smtp_url = smtp_url ? strdup(smtp_url) : NULL;
	if (m->outbox == NULL || m->from == NULL ||
	    (smtp_url != NULL && m->smtp_url == NULL)) {
		mailer_free(m);
		return KYSO_ERR_NOMEM;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	if (crypto_random(m->note_key, sizeof(m->note_key)) != 0) {
		mailer_free(m);
		return KYSO_ERR_CRYPTO;
	}
	if (smtp_url == NULL && mkdir_p(outbox, 0700) != 0) {
		mailer_free(m);
		return KYSO_ERR_IO;
	}
	if (smtp_url != NULL) {
		if (pthread_create(&m->worker, NULL, worker, m) != 0) {
			mailer_free(m);
			return KYSO_ERR_NOMEM;
		}
		m->running = 1;
	}
	*out = m;
	return 0;
}

void
mailer_free(struct mailer *m)
{
	if (m == NULL)
		return;
	if (m->running) {
		/* Sends what is queued, then stops. */
		pthread_mutex_lock(&m->lock);
		m->stop = 1;
		pthread_cond_signal(&m->cond);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->worker, NULL);
	}
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	free(m->outbox);
	free(m->smtp_url);
	free(m->from);
	free(m->notes);
	OPENSSL_cleanse(m->note_key, sizeof(m->note_key));
	free(m);
}

/* The bare address inside "Name <addr>", or the whole string. */
static int
addr_of(const char *from, char *out, size_t n)
{
	const char *lt = strchr(from, '<'), *gt;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL &&
	    (size_t)(gt - lt - 1) < n) {
		memcpy(out, lt + 1, (size_t)(gt - lt - 1));
		out[gt - lt - 1] = '\0';
		return 0;
	}
	if (strlen(from) >= n)
		return KYSO_ERR_INVALID;
	memcpy(out, from, strlen(from) + 1);
	return 0;
}

static int
put_b64_header(struct buf *b, const char *name, const char *text)
{
	size_t n = strlen(text);
	unsigned char *enc = malloc(4 * ((n + 2) / 3) + 1);
	int r;

	if (enc == NULL)
		return KYSO_ERR_NOMEM;
	EVP_EncodeBlock(enc, (const unsigned char *)text, (int)n);
	r = buf_putf(b, "%s: =?UTF-8?B?%s?=\r\n", name, enc);
	free(enc);
	return r;
}

/* The domain of the sender's address ("kyso RA <ra@ca.example.vn>" gives
 * "ca.example.vn"), for the Message-ID: each program's mail names its own
 * domain. "localhost" when the address has none. */
static const char *
from_domain(const char *from, int *len)
{
	const char *at = strrchr(from, '@'), *end;

	if (at == NULL || at[1] == '\0' || at[1] == '>') {
		*len = (int)strlen("localhost");
		return "localhost";
	}
	at++;
	end = at + strcspn(at, "> \t\r\n");
	*len = (int)(end - at);
	return at;
}

static int
compose(struct mailer *m, const char *to, const char *subject, const char *body,
    struct buf *msg)
{
	static const char *days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri",
		"Sat" };
	static const char *mons[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t now = time(NULL);
	struct tm tm;
	uint8_t id[12];
	struct buf *hex = buf_new(64);
	char *hs = NULL;
	const char *p, *dom;
	int r = KYSO_ERR_NOMEM, dlen;

	if (hex == NULL)
		return r;
	dom = from_domain(m->from, &dlen);
	gmtime_r(&now, &tm);
	if ((r = crypto_random(id, sizeof(id))) != 0 ||
	    (r = hex_encode(hex, id, sizeof(id))) != 0)
		goto out;
	if ((hs = buf_to_cstr(hex)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = buf_putf(msg, "From: %s\r\nTo: <%s>\r\n", m->from, to)) != 0 ||
	    (r = put_b64_header(msg, "Subject", subject)) != 0 ||
	    (r = buf_putf(msg, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
		 days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec)) != 0 ||
	    (r = buf_putf(msg,
		 "Message-ID: <%s@%.*s>\r\nMIME-Version: 1.0\r\n"
		 "Content-Type: text/plain; charset=UTF-8\r\n"
		 "Content-Transfer-Encoding: 8bit\r\n\r\n",
		 hs, dlen, dom)) != 0)
		goto out;
	/* The body with CRLF line ends. */
	for (p = body; *p; p++) {
		if (*p == '\n')
			r = buf_put(msg, "\r\n", 2);
		else
			r = buf_put_u8(msg, (uint8_t)*p);
		if (r != 0)
			goto out;
	}
	r = 0;
out:
	free(hs);
	buf_free(hex);
	return r;
}

static int
write_outbox(struct mailer *m, const struct buf *msg, char name[128])
{
	char *path = NULL;
	struct timespec ts;
	struct tm tm;
	const uint8_t *p = buf_ptr(msg);
	size_t left = buf_len(msg);
	int fd = -1, tries, r = KYSO_ERR_IO;

	unsigned seq;

	/* Microseconds in the name: the names sort in the order the mail
	 * was written, also across several servers writing one outbox. */
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	for (tries = 0; tries < 1000; tries++) {
		pthread_mutex_lock(&m->lock);
		seq = ++m->seq;
		pthread_mutex_unlock(&m->lock);
		snprintf(name, 128, "%04d%02d%02dT%02d%02d%02d.%06ldZ-%u.eml",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000, seq);
		free(path);
		if ((path = path_join(m->outbox, name)) == NULL)
			return KYSO_ERR_NOMEM;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		goto out;
	while (left > 0) {
		ssize_t w = write(fd, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) != 0)
		goto out;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r != 0 && path != NULL)
		unlink(path);
	free(path);
	return r;
}

struct reader {
	const uint8_t *p;
	size_t left;
};

static size_t
read_cb(char *dst, size_t size, size_t nmemb, void *ud)
{
	struct reader *rd = ud;
	size_t n = size * nmemb;

	if (n > rd->left)
		n = rd->left;
	memcpy(dst, rd->p, n);
	rd->p += n;
	rd->left -= n;
	return n;
}

static int
send_smtp(struct mailer *m, const char *to, const struct buf *msg)
{
	CURL *c = curl_easy_init();
	struct curl_slist *rcpt = NULL;
	struct reader rd = { buf_ptr(msg), buf_len(msg) };
	char from[320], rc[340];
	CURLcode cc;
	int r = KYSO_ERR_IO;

	if (c == NULL)
		return KYSO_ERR_NOMEM;
	snprintf(rc, sizeof(rc), "<%s>", to);
	if (addr_of(m->from, from, sizeof(from)) != 0 ||
	    (rcpt = curl_slist_append(NULL, rc)) == NULL)
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, m->smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &rd);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		fprintf(stderr, "%s: SMTP: %s\n", program_invocation_short_name,
		    curl_easy_strerror(cc));
		goto out;
	}
	r = 0;
out:
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	return r;
}

static void note_sent(struct mailer *m, const char *secret, const char *name);

/* A message; in the outbox, where secret (or NULL) went is noted. */
static int
send_noted(struct mailer *m, const char *to, const char *subject,
    const char *body, const char *secret)
{
	struct buf *msg = buf_new(256 * 1024);
	char name[128];
	int r;

	if (msg == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = compose(m, to, subject, body, msg)) != 0)
		goto out;
	if (m->smtp_url != NULL) {
		if ((r = enqueue(m, to, msg)) == 0)
			msg = NULL; /* the worker frees it */
	} else if ((r = write_outbox(m, msg, name)) == 0 && secret != NULL) {
		note_sent(m, secret, name);
	}
out:
	buf_free(msg); /* wipes: the message carries a secret */
	return r;
}

/* Any message: kyso-ra's codes below, kyso-contract's notices. */
int
mail_send(struct mailer *m, const char *to, const char *subject, const char *body)
{
	return send_noted(m, to, subject, body, NULL);
}

static const char *
kind_vi(const char *kind)
{
	if (strcmp(kind, "renew") == 0)
		return "gia hạn chứng thư số";
	if (strcmp(kind, "update") == 0)
		return "thay đổi thông tin chứng thư số";
	return "cấp chứng thư số";
}

/* Where the code is entered, in the Token Manager (seed 002's menu) and in
 * kyso-token. */
static const char *
kind_screen_vi(const char *kind)
{
	if (strcmp(kind, "renew") == 0)
		return "Gia hạn chứng thư số";
	if (strcmp(kind, "update") == 0)
		return "Thay đổi thông tin";
	return "Đăng ký chứng thư số";
}

static const char *
kind_screen_en(const char *kind)
{
	if (strcmp(kind, "renew") == 0)
		return "Renew certificate";
	if (strcmp(kind, "update") == 0)
		return "Change details";
	return "Register certificate";
}

static const char *
kind_cmd(const char *kind)
{
	if (strcmp(kind, "renew") == 0 || strcmp(kind, "update") == 0)
		return kind;
	return "register";
}

static const char *
kind_en(const char *kind)
{
	if (strcmp(kind, "renew") == 0)
		return "renewal of your certificate";
	if (strcmp(kind, "update") == 0)
		return "change of your certificate details";
	return "your new certificate";
}

int
mail_activation(struct mailer *m, const char *to, const char *name,
    const char *kind, const char *code, int64_t expires_at)
{
	struct buf *body = buf_new(64 * 1024);
	char when[64], *text = NULL;
	time_t t = (time_t)expires_at;
	struct tm tm;
	int r;

	if (body == NULL)
		return KYSO_ERR_NOMEM;
	gmtime_r(&t, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02d %02d:%02d UTC",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
	if ((r = buf_putf(body,
		 "Kính gửi %s,\n\n"
		 "Yêu cầu %s của Quý khách đã được đăng ký trên hệ thống RA.\n"
		 "Cắm USB Token, mở Token Manager, chọn \"%s\" và "
		 "nhập mã kích hoạt sau\n(hoặc chạy lệnh: kyso-token %s):\n\n"
		 "Mã kích hoạt: %s\n\n"
		 "Mã chỉ dùng được một lần và hết hạn lúc %s.\n\n"
		 "---\n\n"
		 "Dear %s,\n\n"
		 "A request for %s has been registered for you.\n"
		 "Plug in your USB token, open the Token Manager, choose "
		 "\"%s\" and enter this activation code\n(or run: kyso-token %s):\n\n"
		 "Activation code: %s\n\n"
		 "The code works once and expires at %s.\n",
		 name, kind_vi(kind), kind_screen_vi(kind), kind_cmd(kind),
		 code, when, name, kind_en(kind), kind_screen_en(kind),
		 kind_cmd(kind), code, when)) != 0)
		goto out;
	if ((text = buf_to_cstr(body)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	r = send_noted(m, to,
	    "Mã kích hoạt chứng thư số / Certificate "
	    "activation code",
	    text, code);
out:
	if (text != NULL) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	buf_free(body);
	return r;
}

int
mail_otp(struct mailer *m, const char *to, const char *name, const char *otp,
    int ttl_minutes)
{
	struct buf *body = buf_new(64 * 1024);
	char *text = NULL;
	int r;

	if (body == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = buf_putf(body,
		 "Kính gửi %s,\n\n"
		 "Hệ thống đã nhận yêu cầu quên mã PIN cho USB Token của Quý khách.\n"
		 "Nhập mã OTP sau vào Token Manager để đặt lại mã PIN về mặc định:\n\n"
		 "Mã OTP: %s\n\n"
		 "Mã có hiệu lực trong %d phút và chỉ dùng được một lần. Nếu Quý "
		 "khách không gửi yêu cầu này, hãy bỏ qua thư.\n\n"
		 "---\n\n"
		 "Dear %s,\n\n"
		 "We received a forgotten-PIN request for your USB token.\n"
		 "Enter this one-time password in the Token Manager to reset the PIN "
		 "to the default:\n\n"
		 "OTP: %s\n\n"
		 "It is valid for %d minutes and works once. If you did not ask for "
		 "it, ignore this message.\n",
		 name, otp, ttl_minutes, name, otp, ttl_minutes)) != 0)
		goto out;
	if ((text = buf_to_cstr(body)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	r = send_noted(m, to, "Mã OTP đặt lại PIN / PIN reset OTP", text, otp);
out:
	if (text != NULL) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	buf_free(body);
	return r;
}

/* 1 when the file at path has a line starting with marker (read up to
 * 64 KiB: a message the mailer wrote). */
static int
has_line(const char *path, const char *marker)
{
	struct buf *b = NULL;
	const char *t;
	size_t n = strlen(marker), len, i;
	int found = 0;

	if (file_read(path, 64 * 1024, &b) != 0)
		return 0;
	t = (const char *)buf_ptr(b);
	len = buf_len(b);
	for (i = 0; !found && len >= n && i <= len - n;) {
		const char *nl;

		if (memcmp(t + i, marker, n) == 0)
			found = 1;
		if ((nl = memchr(t + i, '\n', len - i)) == NULL)
			break;
		i = (size_t)(nl - t) + 1;
	}
	buf_free(b);
	return found;
}

/* Issue 15: activation codes and OTPs stayed readable in the outbox after
 * use. A mail whose code has expired is of no use to anyone. */
int
mailer_outbox_prune(struct mailer *m, const char *marker, int64_t before,
    unsigned *removed)
{
	DIR *d;
	struct dirent *e;
	unsigned n = 0;

	if (m->outbox == NULL || m->smtp_url != NULL) {
		*removed = 0;
		return 0;
	}
	if ((d = opendir(m->outbox)) == NULL)
		return KYSO_ERR_IO;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		struct stat st;
		char *path;

		if (len < 5 || strcmp(e->d_name + len - 4, ".eml") != 0 ||
		    (path = path_join(m->outbox, e->d_name)) == NULL)
			continue;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    (int64_t)st.st_mtime < before &&
		    (marker == NULL || has_line(path, marker)) &&
		    unlink(path) == 0)
			n++;
		free(path);
	}
	closedir(d);
	*removed = n;
	return 0;
}

/* The message at path with every needle replaced by with, written back
 * whole (the same name and mode) and its time kept, so the queue's order
 * and retention stay as they were. 1 when it held the needle. */
static int
redact_file(const char *path, const char *needle, const char *with)
{
	struct buf *b = NULL, *o = NULL;
	const uint8_t *t, *hit;
	size_t nl = strlen(needle), len;
	struct timespec times[2];
	struct stat st;
	int r;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0; /* gone already (expired) */
	if ((r = file_read(path, 64 * 1024, &b)) != 0)
		return r == KYSO_ERR_NOT_FOUND ? 0 : r;
	t = buf_ptr(b);
	len = buf_len(b);
	if (memmem(t, len, needle, nl) == NULL) {
		buf_free(b);
		return 0;
	}
	r = KYSO_ERR_NOMEM;
	if ((o = buf_new(128 * 1024)) == NULL)
		goto out;
	while ((hit = memmem(t, len, needle, nl)) != NULL) {
		if ((r = buf_put(o, t, (size_t)(hit - t))) != 0 ||
		    (r = buf_put(o, with, strlen(with))) != 0)
			goto out;
		len -= (size_t)(hit - t) + nl;
		t = hit + nl;
	}
	if ((r = buf_put(o, t, len)) != 0 ||
	    (r = file_write_atomic(path, buf_ptr(o), buf_len(o),
		 st.st_mode & 07777)) != 0)
		goto out;
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	(void)utimensat(AT_FDCWD, path, times, 0);
	r = 1;
out:
	buf_free(b);
	buf_free(o);
	return r;
}

/* A secret's tag: keyed, so the notes tell nothing about the secret. */
static int
note_tag(const struct mailer *m, const char *secret, uint8_t tag[32])
{
	return crypto_hmac_sha256(m->note_key, sizeof(m->note_key), secret,
	    strlen(secret), tag);
}

/* Remembers which outbox file holds secret (the oldest note goes when
 * the ring is full: that mail is left to the expiry sweep). */
static void
note_sent(struct mailer *m, const char *secret, const char *name)
{
	uint8_t tag[32];
	struct mail_note *n;

	if (note_tag(m, secret, tag) != 0 || strlen(name) >= sizeof(n->name))
		return;
	pthread_mutex_lock(&m->lock);
	if (m->notes == NULL)
		m->notes = calloc(MAIL_NOTES, sizeof(*m->notes));
	if (m->notes != NULL) {
		n = &m->notes[m->note_next++ % MAIL_NOTES];
		memcpy(n->tag, tag, sizeof(n->tag));
		memcpy(n->name, name, strlen(name) + 1);
	}
	pthread_mutex_unlock(&m->lock);
	OPENSSL_cleanse(tag, sizeof(tag));
}

/* Issue 15: a code stayed readable in the outbox after it was used. The
 * file is found by its note, not by reading the folder (a server issuing
 * thousands of certificates would read every mail at each one). */
int
mailer_outbox_redact(struct mailer *m, const char *secret, const char *needle,
    const char *with, unsigned *redacted)
{
	uint8_t tag[32];
	char name[sizeof(((struct mail_note *)0)->name)], *path;
	size_t i;
	int r;

	*redacted = 0;
	if (m->outbox == NULL || m->smtp_url != NULL)
		return 0;
	if (*needle == '\0')
		return KYSO_ERR_INVALID;
	if ((r = note_tag(m, secret, tag)) != 0)
		return r;
	name[0] = '\0';
	pthread_mutex_lock(&m->lock);
	for (i = 0; m->notes != NULL && i < MAIL_NOTES; i++) {
		struct mail_note *n = &m->notes[i];

		if (n->name[0] != '\0' &&
		    memcmp(n->tag, tag, sizeof(n->tag)) == 0) {
			memcpy(name, n->name, sizeof(name));
			memset(n, 0, sizeof(*n));
			break;
		}
	}
	pthread_mutex_unlock(&m->lock);
	OPENSSL_cleanse(tag, sizeof(tag));
	if (name[0] == '\0')
		return 0;
	if ((path = path_join(m->outbox, name)) == NULL)
		return KYSO_ERR_NOMEM;
	r = redact_file(path, needle, with);
	free(path);
	if (r > 0)
		*redacted = 1;
	return r < 0 ? r : 0;
}
