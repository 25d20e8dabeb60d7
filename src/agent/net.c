/* `kyso-agent --net-child` (net.h): the fds from the token side, the
 * server, and the wait for the end. */
#include "agent/net.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/net_api.h"
#include "agent/origins.h"
#include "common/config.h"
#include "common/jsonwipe.h"
#include "common/mhd.h"
#include "common/parse.h"

/* KYSO_AGENT_FDS "3,4,5": the socket to the token side, the IPv4 and the
 * IPv6 listener; "-1" or a closed fd for a listener that is not there. */
static int
parse_fds(int fds[3])
{
	const char *s = getenv("KYSO_AGENT_FDS");
	char tmp[64], *p, *comma;
	uint64_t v;
	int i;

	if (s == NULL)
		s = "3,4,5";
	if (strlen(s) >= sizeof(tmp))
		return KYSO_ERR_INVALID;
	memcpy(tmp, s, strlen(s) + 1);
	p = tmp;
	for (i = 0; i < 3; i++) {
		comma = strchr(p, ',');
		if ((comma == NULL) != (i == 2))
			return KYSO_ERR_INVALID;
		if (comma != NULL)
			*comma = '\0';
		if (strcmp(p, "-1") == 0)
			fds[i] = -1;
		else if (parse_u64(p, 0, 1024, &v) == 0)
			fds[i] = (int)v;
		else
			return KYSO_ERR_INVALID;
		if (fds[i] >= 0 && fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0)
			fds[i] = -1; /* not open */
		p = comma != NULL ? comma + 1 : p;
	}
	return fds[0] >= 0 && (fds[1] >= 0 || fds[2] >= 0) ? 0 : KYSO_ERR_INVALID;
}

/* What the handlers need, from the fds and kyso.conf. */
static int
net_setup(struct net *n, const int fds[3])
{
	struct config *cf = NULL;
	const char *tsa;
	int r;

	if ((r = mhd_bound_port(fds[1] >= 0 ? fds[1] : fds[2], &n->port)) != 0)
		return r;
	snprintf(n->hosts[0], NET_HOST_MAX, "127.0.0.1:%u", n->port);
	snprintf(n->hosts[1], NET_HOST_MAX, "[::1]:%u", n->port);
	snprintf(n->hosts[2], NET_HOST_MAX, "localhost:%u", n->port);
	if ((r = origins_path(&n->origins_path)) != 0)
		return r;
	if ((r = config_load_home(&cf)) != 0)
		return r;
	tsa = config_get(cf, "tsa_url");
	n->has_tsa = tsa != NULL && tsa[0] != '\0';
	config_free(cf);
	return 0;
}

int
net_child_main(int argc, char **argv)
{
	struct net n;
	struct httpd *h = NULL;
	sigset_t set;
	siginfo_t si;
	struct timespec zero = { 0, 0 };
	int fds[3], r, rc = 1;

	(void)argc;
	(void)argv;
	jsonwipe_install();
	memset(&n, 0, sizeof(n));
	pthread_mutex_init(&n.approve_m, NULL);
	pthread_mutex_init(&n.batch_m, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* SIGTERM and SIGINT are taken by sigtimedwait below, in this thread
	 * only: every thread started from here on has them blocked. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (parse_fds(fds) != 0) {
		fprintf(stderr,
		    "kyso-agent: --net-child is started by "
		    "kyso-agent itself (KYSO_AGENT_FDS)\n");
		return 2;
	}
	if ((r = net_setup(&n, fds)) != 0 || (r = jobs_new(&n.jobs)) != 0 ||
	    (r = link_new(fds[0], &n.link)) != 0) {
		fprintf(stderr, "kyso-agent: network side: %s\n",
		    kyso_strerror(r));
		goto out;
	}
	fds[0] = -1; /* the link owns it */
	if ((r = httpd_start(fds + 1, 2, net_handle, &n, &h)) != 0) {
		fprintf(stderr, "kyso-agent: network side: cannot serve: %s\n",
		    kyso_strerror(r));
		goto out;
	}
	/* Until the token side closes the socket (it stopped, or wants a
	 * new network side) or a signal says stop. */
	for (;;) {
		if (link_wait_gone(n.link, 500))
			break;
		if (sigtimedwait(&set, &si, &zero) > 0)
			break;
	}
	rc = 0;
out:
	/* The link first: a handler waiting for the token side wakes up and
	 * answers, so the server's threads can end. */
	if (n.link != NULL)
		link_close(n.link);
	httpd_stop(h);
	link_free(n.link);
	jobs_free(n.jobs);
	free(n.origins_path);
	if (fds[0] >= 0)
		close(fds[0]);
	pthread_mutex_destroy(&n.approve_m);
	pthread_mutex_destroy(&n.batch_m);
	return rc;
}
