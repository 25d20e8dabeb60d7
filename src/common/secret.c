#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* One line, byte by byte: what follows the newline stays in fd. */
static int
read_line(int fd, char **out)
{
	char *line = malloc(SECRET_MAX + 1);
	size_t n = 0;
	ssize_t r = 0;
	char ch;

	if (line == NULL)
		return KYSO_ERR_NOMEM;
	for (;;) {
		r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == '\n')
			break;
		if (n == SECRET_MAX) {
			OPENSSL_cleanse(line, SECRET_MAX + 1);
			free(line);
			return KYSO_ERR_TOO_LARGE;
		}
		line[n++] = ch;
	}
	OPENSSL_cleanse(&ch, sizeof(ch));
	if (r <= 0 && n == 0) {
		free(line);
		return KYSO_ERR_NOT_FOUND;
	}
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	*out = line;
	return 0;
}

int
secret_read(int fd, const char *prompt, char **out)
{
	struct termios old, quiet;
	int tty, r;

	if (fd >= 0)
		return read_line(fd, out);
	if ((tty = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return read_line(STDIN_FILENO, out);
	if (!isatty(tty) || tcgetattr(tty, &old) != 0) {
		close(tty);
		return read_line(STDIN_FILENO, out);
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	/* Echo off before the prompt shows: what is typed once the prompt
	 * is there must neither echo nor be flushed away. */
	tcsetattr(tty, TCSAFLUSH, &quiet);
	if (write(tty, prompt, strlen(prompt)) < 0) {
		tcsetattr(tty, TCSAFLUSH, &old);
		close(tty);
		return KYSO_ERR_IO;
	}
	r = read_line(tty, out);
	tcsetattr(tty, TCSAFLUSH, &old);
	/* The newline the user typed was not echoed. */
	if (write(tty, "\n", 1) < 0 && r == 0)
		r = 0;
	close(tty);
	return r;
}

/* Servers and scripts hand a PIN over in a pipe or a file; an empty line
 * is no PIN at all. */
int
secret_read_file(int fd, const char *path, char **out)
{
	char *s = NULL;
	int r = KYSO_ERR_INVALID, own = 0;

	if (fd < 0 && path == NULL)
		goto out;
	if (fd < 0) {
		r = KYSO_ERR_NOT_FOUND;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			goto out;
		own = 1;
	}
	if ((r = read_line(fd, &s)) != 0)
		goto out;
	r = KYSO_ERR_INVALID;
	if (*s == '\0')
		goto out;
	*out = s;
	s = NULL;
	r = 0;
out:
	if (own)
		close(fd);
	secret_free(s);
	return r;
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}
