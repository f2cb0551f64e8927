/*
 * tls_cert.c — certificates for local clusters (see tls.h,
 * mur_tls_make_cert): the leader's self-signed client-facing certificate
 * (pgwire/pgw_tls.c), and the cluster CA with one certificate per node that
 * `murphy local` makes for TLS between nodes.  libcrypto does the work
 * (EVP_EC_gen P-256, X509 signed with SHA-256); nothing is hand-written.
 * Files are created with O_EXCL (nothing is replaced) and fsync'd; the key
 * is written first, 0600.
 */
#include "common/tls.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <unistd.h>

static int cert_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static int name_add(X509_NAME *name, const char *field, const char *value)
{
	return !value || X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
						    (const unsigned char *)value, -1, -1, 0);
}

/* Validity, serial, key and subject of a new certificate. */
static X509 *cert_base(EVP_PKEY *key, const mur_tls_cert_spec *s)
{
	X509 *x = X509_new();
	BIGNUM *bn = BN_new();
	int ok = x && bn && X509_set_version(x, 2) && BN_rand(bn, 64, 0, 0) &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
		 X509_gmtime_adj(X509_getm_notBefore(x), -60) &&
		 X509_gmtime_adj(X509_getm_notAfter(x), 86400L * MUR_TLS_CERT_DAYS) &&
		 X509_set_pubkey(x, key) && name_add(X509_get_subject_name(x), "CN", s->cn) &&
		 name_add(X509_get_subject_name(x), "O", s->org);
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* The certificate for key as s says, signed by signer (issuer: the
 * signer's certificate, or x itself when NULL). */
static X509 *cert_build(EVP_PKEY *key, const mur_tls_cert_spec *s, X509 *issuer, EVP_PKEY *signer)
{
	X509 *x = cert_base(key, s);
	X509 *iss;
	int ok;
	if (!x)
		return NULL;
	iss = issuer ? issuer : x;
	ok = X509_set_issuer_name(x, X509_get_subject_name(iss)) &&
	     (!s->san || cert_add_ext(x, iss, NID_subject_alt_name, s->san)) &&
	     cert_add_ext(x, iss, NID_basic_constraints,
			  s->ca ? "critical,CA:TRUE" : "critical,CA:FALSE") &&
	     cert_add_ext(x, iss, NID_subject_key_identifier, "hash") &&
	     (!issuer || cert_add_ext(x, iss, NID_authority_key_identifier, "keyid:always")) &&
	     X509_sign(x, signer, EVP_sha256()) > 0;
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Write with fn to path, created with mode (O_EXCL: nothing is replaced). */
static int cert_write(const char *path, mode_t mode, int (*fn)(FILE *, void *), void *obj)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f;
	int ok;
	if (fd < 0)
		return 0;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return 0;
	}
	ok = fn(f, obj) == 1;
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
	return fclose(f) == 0 && ok;
}

static int cert_write_x509(FILE *f, void *x) { return PEM_write_X509(f, x); }

static int cert_write_key(FILE *f, void *k)
{
	return PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
}

/* The signer's certificate and key from PEM files. */
static int issuer_load(const mur_tls_cert_spec *s, X509 **cert, EVP_PKEY **key, mur_error *err)
{
	char why[256];
	FILE *f;
	if (!(f = fopen(s->issuer_cert, "r")))
		return mur_error_set(err, SQLSTATE_IO_ERROR, "could not open %s: %m",
				     s->issuer_cert),
		       MUR_EIO;
	*cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!(f = fopen(s->issuer_key, "r")))
		return mur_error_set(err, SQLSTATE_IO_ERROR, "could not open %s: %m",
				     s->issuer_key),
		       MUR_EIO;
	*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!*cert || !*key)
		return mur_error_set(err, SQLSTATE_IO_ERROR, "could not read the CA %s / %s: %s",
				     s->issuer_cert, s->issuer_key,
				     mur_tls_reason(why, sizeof why)),
		       MUR_EIO;
	return MUR_OK;
}

int mur_tls_make_cert(const char *cert_file, const char *key_file, const mur_tls_cert_spec *spec,
		      mur_error *err)
{
	char why[256];
	EVP_PKEY *key = NULL, *ikey = NULL;
	X509 *x = NULL, *icert = NULL;
	int rc = MUR_EIO;
	if (access(cert_file, F_OK) == 0)
		return MUR_EAGAIN;
	ERR_clear_error();
	if (spec->issuer_cert && issuer_load(spec, &icert, &ikey, err) != MUR_OK)
		goto out;
	key = EVP_EC_gen("P-256");
	if (key)
		x = cert_build(key, spec, icert, ikey ? ikey : key);
	if (!key || !x) {
		mur_error_set(err, SQLSTATE_IO_ERROR, "could not make a TLS certificate: %s",
			      mur_tls_reason(why, sizeof why));
		goto out;
	}
	unlink(key_file); /* a key without its certificate is of no use */
	if (!cert_write(key_file, 0600, cert_write_key, key) ||
	    !cert_write(cert_file, 0644, cert_write_x509, x)) {
		mur_error_set(err, SQLSTATE_IO_ERROR, "could not write %s and %s: %m", cert_file,
			      key_file);
		unlink(cert_file);
		goto out;
	}
	rc = MUR_OK;
out:
	X509_free(x);
	X509_free(icert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ikey);
	return rc;
}
