/*
 * local_setup.c — the data directory of `murphy local` (layout in local.h):
 * node names and paths, DIR/local.conf (flags > local.conf > defaults), the
 * node directories and the shared cluster secret (created once in
 * DIR/leader by mur_datadir_ensure_secret and copied to followers that
 * have none, each file made 0600 in one step by mur_datadir_write_secret),
 * and the leader's self-signed TLS certificate (DIR/leader/server.crt and
 * server.key, made once by pgw_tls_make_self_signed; the leader uses the
 * pair in its directory by itself).
 * Everything under DIR is the user's alone: mur_datadir_private() (umask
 * 077) runs first, and the nodes inherit it for their logs.
 */
#include "cli/local.h"

#include "common/datadir.h"
#include "common/tls.h"
#include "pgwire/pgw_tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Node i: 0 is the leader, i ≥ 1 is follower fi. */
void cli_local_node_name(int i, char *buf, size_t size)
{
	if (i == 0)
		snprintf(buf, size, "leader");
	else
		snprintf(buf, size, "f%d", i);
}

void cli_local_node_path(const cli_local_opts *o, int i, const char *file, char *buf, size_t size)
{
	char name[16];
	cli_local_node_name(i, name, sizeof name);
	if (file)
		snprintf(buf, size, "%s/%s/%s", o->dir, name, file);
	else
		snprintf(buf, size, "%s/%s", o->dir, name);
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static void conf_read(cli_local_opts *o)
{
	char path[PATH_MAX + 16], line[128];
	snprintf(path, sizeof path, "%s/local.conf", o->dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		int v;
		long lv;
		if (o->followers < 0 && sscanf(line, "followers=%d", &v) == 1)
			o->followers = v;
		if (o->pg_port < 0 && sscanf(line, "pg_port=%d", &v) == 1)
			o->pg_port = v;
		if (o->suspect_timeout_ms < 0 && sscanf(line, "suspect_timeout_ms=%d", &v) == 1)
			o->suspect_timeout_ms = v;
		if (o->dead_timeout_ms < 0 && sscanf(line, "dead_timeout_ms=%d", &v) == 1)
			o->dead_timeout_ms = v;
		if (o->write_pipeline < 0 && sscanf(line, "write_pipeline=%d", &v) == 1)
			o->write_pipeline = v;
		if (o->startup_timeout_ms < 0 && sscanf(line, "startup_timeout_ms=%d", &v) == 1)
			o->startup_timeout_ms = v;
		if (o->txn_outcomes_keep_ms < 0 &&
		    sscanf(line, "txn_outcomes_keep_ms=%ld", &lv) == 1)
			o->txn_outcomes_keep_ms = lv;
		if (o->idle_in_txn_ms < 0 && sscanf(line, "idle_in_txn_timeout_ms=%d", &v) == 1)
			o->idle_in_txn_ms = v;
		if (o->allow_faults < 0 && sscanf(line, "allow_faults=%d", &v) == 1)
			o->allow_faults = v != 0;
		if (o->node_tls < 0 && sscanf(line, "node_tls=%d", &v) == 1)
			o->node_tls = v != 0;
	}
	fclose(f);
}

static int conf_write(const cli_local_opts *o)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/local.conf", o->dir);
	FILE *f = fopen(path, "we");
	if (!f)
		return -1;
	fprintf(f, "# murphy local cluster: reused by `murphy local start|stop`\n");
	fprintf(f, "followers=%d\npg_port=%d\n", o->followers, o->pg_port);
	if (o->suspect_timeout_ms > 0)
		fprintf(f, "suspect_timeout_ms=%ld\n", o->suspect_timeout_ms);
	if (o->dead_timeout_ms > 0)
		fprintf(f, "dead_timeout_ms=%ld\n", o->dead_timeout_ms);
	if (o->write_pipeline > 0)
		fprintf(f, "write_pipeline=%ld\n", o->write_pipeline);
	if (o->startup_timeout_ms > 0)
		fprintf(f, "startup_timeout_ms=%ld\n", o->startup_timeout_ms);
	if (o->txn_outcomes_keep_ms >= 0)
		fprintf(f, "txn_outcomes_keep_ms=%ld\n", o->txn_outcomes_keep_ms);
	if (o->idle_in_txn_ms >= 0)
		fprintf(f, "idle_in_txn_timeout_ms=%ld\n", o->idle_in_txn_ms);
	fprintf(f, "allow_faults=%d\n", o->allow_faults);
	fprintf(f, "node_tls=%d\n", o->node_tls);
	return fclose(f);
}

int cli_local_resolve(cli_local_opts *o)
{
	if (!o->dir[0]) {
		fprintf(stderr, "murphy local: --dir DIR is required\n");
		return 1;
	}
	mur_datadir_private();
	if (mkdir_p(o->dir) != 0) {
		fprintf(stderr, "murphy local: cannot create %s: %s\n", o->dir, strerror(errno));
		return 1;
	}
	char abs[PATH_MAX];
	if (!realpath(o->dir, abs)) {
		fprintf(stderr, "murphy local: %s: %s\n", o->dir, strerror(errno));
		return 1;
	}
	snprintf(o->dir, sizeof o->dir, "%s", abs);
	conf_read(o);
	if (cli_local_password(o->dir, 0) != 0)
		return 1;
	if (o->followers < 0)
		o->followers = CLI_LOCAL_FOLLOWERS_DEFAULT;
	if (o->pg_port < 0)
		o->pg_port = CLI_LOCAL_PG_PORT_DEFAULT;
	if (o->timeout_s <= 0)
		o->timeout_s = CLI_LOCAL_READY_TIMEOUT_S;
	if (o->suspect_timeout_ms < 0)
		o->suspect_timeout_ms = 0;
	if (o->dead_timeout_ms < 0)
		o->dead_timeout_ms = 0;
	if (o->write_pipeline < 0)
		o->write_pipeline = 0;
	if (o->startup_timeout_ms < 0)
		o->startup_timeout_ms = 0;
	if (o->allow_faults < 0)
		o->allow_faults = 1;
	if (o->node_tls < 0)
		o->node_tls = CLI_LOCAL_NODE_TLS_DEFAULT;
	if (o->write_pipeline > 64) {
		fprintf(stderr, "murphy local: write_pipeline in %s/local.conf must be 1..64\n",
			o->dir);
		return 1;
	}
	if (o->followers < 1 || o->followers > CLI_LOCAL_FOLLOWERS_MAX) {
		fprintf(stderr, "murphy local: --followers must be 1..%d\n",
			CLI_LOCAL_FOLLOWERS_MAX);
		return 1;
	}
	if (o->pg_port < 1 || o->pg_port + 1 + o->followers > 65535) {
		fprintf(stderr, "murphy local: --pg-port %d leaves no room for %d node ports\n",
			o->pg_port, o->followers + 1);
		return 1;
	}
	return 0;
}

/* One random secret in DIR/leader/cluster.secret, copied to every follower. */
static int ensure_secret(const cli_local_opts *o)
{
	char path[PATH_MAX + 32], secret[2 * MUR_DATADIR_SECRET_BYTES + 2];
	mur_error err;
	cli_local_node_path(o, 0, NULL, path, sizeof path);
	if (mur_datadir_ensure_secret(path, secret, sizeof secret, &err) != MUR_OK)
		goto fail;
	for (int i = 1; i <= o->followers; i++) {
		cli_local_node_path(o, i, "cluster.secret", path, sizeof path);
		int rc = mur_datadir_write_secret(path, secret, &err);
		if (rc != MUR_OK && rc != MUR_EAGAIN) /* EAGAIN: it has one */
			goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "murphy local: %s\n", err.message);
	return 1;
}

/* DIR/leader/server.crt and server.key, unless the certificate exists. */
static int ensure_tls_cert(const cli_local_opts *o)
{
	char cert[PATH_MAX + 32], key[PATH_MAX + 32];
	mur_error err;
	int rc;
	cli_local_node_path(o, 0, PGW_TLS_CERT_FILE, cert, sizeof cert);
	cli_local_node_path(o, 0, PGW_TLS_KEY_FILE, key, sizeof key);
	rc = pgw_tls_make_self_signed(cert, key, &err);
	if (rc != MUR_OK && rc != MUR_EAGAIN) {
		fprintf(stderr, "murphy local: %s\n", err.message);
		return 1;
	}
	return 0;
}

/* src's bytes to dst (replaced through a temporary file): 0 or -1. */
static int copy_file(const char *src, const char *dst)
{
	char tmp[PATH_MAX + 64], buf[8192];
	FILE *in = fopen(src, "re"), *out;
	size_t n;
	int ok = 1;
	if (!in)
		return -1;
	snprintf(tmp, sizeof tmp, "%s.tmp", dst);
	if (!(out = fopen(tmp, "we"))) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		ok = ok && fwrite(buf, 1, n, out) == n;
	ok = ok && !ferror(in);
	fclose(in);
	ok = fclose(out) == 0 && ok;
	if (!ok || rename(tmp, dst) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* DIR/node-ca.crt and node-ca.key into ca_crt/ca_key, made when missing.
 * MUR_OK or MUR_EIO (err). */
static int ensure_ca(const char *dir, char *ca_crt, char *ca_key, size_t size, mur_error *err)
{
	static const mur_tls_cert_spec ca = {.cn = "murphy local cluster CA",
					     .org = "murphy local",
					     .ca = 1};
	int rc;
	snprintf(ca_crt, size, "%s/" MUR_NODE_TLS_CA_FILE, dir);
	snprintf(ca_key, size, "%s/" MUR_NODE_TLS_CA_KEY_FILE, dir);
	rc = mur_tls_make_cert(ca_crt, ca_key, &ca, err);
	return rc == MUR_EAGAIN ? MUR_OK : rc;
}

int cli_local_node_cert(const char *dir, const char *name)
{
	char ca_crt[PATH_MAX + 32], ca_key[PATH_MAX + 32], nd[PATH_MAX + 32], crt[PATH_MAX + 48],
		key[PATH_MAX + 48], copy[PATH_MAX + 48];
	mur_tls_cert_spec node = {.cn = name,
				  .org = "murphy local",
				  .san = "DNS:localhost,IP:127.0.0.1"};
	mur_error err;
	int rc = ensure_ca(dir, ca_crt, ca_key, sizeof ca_crt, &err);
	snprintf(nd, sizeof nd, "%s/%s", dir, name);
	snprintf(crt, sizeof crt, "%s/" MUR_NODE_TLS_CERT_FILE, nd);
	snprintf(key, sizeof key, "%s/" MUR_NODE_TLS_KEY_FILE, nd);
	snprintf(copy, sizeof copy, "%s/" MUR_NODE_TLS_CA_FILE, nd);
	node.issuer_cert = ca_crt;
	node.issuer_key = ca_key;
	if (rc == MUR_OK && mkdir_p(nd) != 0) {
		mur_error_set(&err, SQLSTATE_IO_ERROR, "cannot create %s: %s", nd, strerror(errno));
		rc = MUR_EIO;
	}
	if (rc == MUR_OK && (rc = mur_tls_make_cert(crt, key, &node, &err)) == MUR_EAGAIN)
		rc = MUR_OK;
	if (rc == MUR_OK && copy_file(ca_crt, copy) != 0) {
		mur_error_set(&err, SQLSTATE_IO_ERROR, "cannot write %s: %s", copy,
			      strerror(errno));
		rc = MUR_EIO;
	}
	if (rc != MUR_OK) {
		fprintf(stderr, "murphy local: %s\n", err.message);
		return 1;
	}
	return 0;
}

/* The cluster CA, then each node's certificate (cli_local_node_cert):
 * made whether node TLS is on or off, so turning it on later needs
 * nothing else. */
static int ensure_node_certs(const cli_local_opts *o)
{
	for (int i = 0; i <= o->followers; i++) {
		char name[16];
		cli_local_node_name(i, name, sizeof name);
		if (cli_local_node_cert(o->dir, name) != 0)
			return 1;
	}
	return 0;
}

/* 1 when the user set $MURPHY_PASSWORD (not this process from a file);
 * -1 until cli_local_password first looks. */
static int password_given = -1;

int cli_local_password_given(void) { return password_given == 1; }

static const char *password_file;

const char *cli_local_password_file_given(void) { return password_file; }

int cli_local_password_file(const char *path)
{
	char pw[MUR_PASSWORD_FILE_MAX + 1];
	mur_error err;
	if (mur_password_file_read(path, pw, sizeof pw, &err) != MUR_OK) {
		fprintf(stderr, "murphy local: --password-file: %s\n", err.message);
		return 1;
	}
	if (setenv(MUR_PASSWORD_ENV, pw, 1) != 0)
		return 1;
	password_given = 1;
	password_file = path;
	return 0;
}

int cli_local_password(const char *dir, int create)
{
	char pw[2 * MUR_DATADIR_PASSWORD_BYTES + 8];
	mur_error err;
	int rc;
	const char *env = getenv(MUR_PASSWORD_ENV);
	if (password_given < 0)
		password_given = env && env[0];
	if (password_given)
		return 0;
	rc = create ? mur_datadir_ensure_password(dir, pw, sizeof pw, &err)
		    : mur_datadir_read_password(dir, pw, sizeof pw, &err);
	if (rc == MUR_ENOTFOUND && !create)
		return 0; /* a cluster from before passwords, or --pg elsewhere */
	if (rc != MUR_OK) {
		fprintf(stderr, "murphy: %s\n", err.message);
		return 1;
	}
	return setenv(MUR_PASSWORD_ENV, pw, 1) == 0 ? 0 : 1;
}

int cli_local_prepare(const cli_local_opts *o)
{
	for (int i = 0; i <= o->followers; i++) {
		char dir[PATH_MAX + 16];
		cli_local_node_path(o, i, NULL, dir, sizeof dir);
		if (mkdir_p(dir) != 0) {
			fprintf(stderr, "murphy local: cannot create %s: %s\n", dir,
				strerror(errno));
			return 1;
		}
	}
	if (conf_write(o) != 0) {
		fprintf(stderr, "murphy local: cannot write %s/local.conf\n", o->dir);
		return 1;
	}
	if (cli_local_password(o->dir, 1) != 0)
		return 1;
	return ensure_secret(o) || ensure_tls_cert(o) || ensure_node_certs(o);
}
