/* kyso-agent's network side: the process that speaks HTTP and JSON with
 * pages and sends validated frames to the token side (proto.h). It holds
 * no secret and never loads a PKCS#11 module. main.c calls these. */
#ifndef KYSO_AGENT_NET_H
#define KYSO_AGENT_NET_H

/* `kyso-agent --net-child`: started by the token side with fixed fds
 * (KYSO_AGENT_FDS, default "3,4,5": the socket to the token side, the IPv4
 * listener, the IPv6 listener or -1); serves until the token side closes
 * the socket or SIGTERM. Returns an exit code. */
int net_child_main(int argc, char **argv);
/* `kyso-agent origins list [--json] | revoke ORIGIN | allow ORIGIN`.
 * argv[0] is "origins". Returns an exit code. */
int origins_main(int argc, char **argv);

#endif
