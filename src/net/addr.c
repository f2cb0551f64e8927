/*
 * addr.c — "host:port" parsing for every murphy listener and connector.
 *
 * Accepted forms: "1.2.3.4:5432", "localhost:5432" (→ 127.0.0.1),
 * "[::1]:5432".  No DNS: resolving a name would block the loop thread
 * (getaddrinfo) and nodes are addressed by IP on our deployments; the
 * error says so.
 */
#include "net/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(mur_error *err, const char *addr, const char *why)
{
	mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE, "invalid address \"%s\": %s", addr,
		      why);
	return MUR_ERR;
}

int net_parse_addr(const char *addr, struct sockaddr_storage *out, mur_error *err)
{
	char host[NET_ADDR_MAX];
	const char *colon, *port_s, *h = addr;
	size_t hlen;
	long port = 0;
	int v6 = 0;

	memset(out, 0, sizeof *out);
	if (!addr || !*addr)
		return bad(err, addr ? addr : "", "expected HOST:PORT");
	if (strlen(addr) >= NET_ADDR_MAX)
		return bad(err, "...", "longer than 127 characters");
	colon = strrchr(addr, ':');
	if (!colon)
		return bad(err, addr, "expected HOST:PORT");
	hlen = (size_t)(colon - addr);
	if (addr[0] == '[') {
		if (hlen < 2 || addr[hlen - 1] != ']')
			return bad(err, addr, "expected [IPv6]:PORT");
		h = addr + 1;
		hlen -= 2;
		v6 = 1;
	}
	if (hlen == 0)
		return bad(err, addr, "missing host before ':'");
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	port_s = colon + 1;
	if (!*port_s)
		return bad(err, addr, "missing port after ':'");
	for (const char *p = port_s; *p; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			return bad(err, addr, "port must be a number from 0 to 65535");
		port = port * 10 + (*p - '0');
	}
	if (port > 65535)
		return bad(err, addr, "port must be a number from 0 to 65535");
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	if (v6) {
		if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)out) != 0)
			return bad(err, addr, "not an IPv6 address");
	} else if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)out) != 0 ||
		   strchr(host, ':')) {
		return bad(err, addr,
			   "host must be an IPv4 address, [IPv6] or localhost (no DNS names)");
	}
	return MUR_OK;
}
