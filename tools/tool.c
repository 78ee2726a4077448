// SPDX-License-Identifier: MIT
/*
 * tool.c - the parts the TLS tools share: the context they make,
 * listening sockets and addresses, moving data (the command line is
 * opt.c's).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

const char *tool_version_name(unsigned int v)
{
	switch (v) {
	case KTLS_TLS_1_2:
		return "TLSv1.2";
	case KTLS_TLS_1_3:
		return "TLSv1.3";
	default:
		return "unknown";
	}
}

/* The passphrase callback: the first line of --pass FILE. */
static int pass_from_file(char *buf, int size, void *arg)
{
	const char *path = arg;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, (size_t)size);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n < size ? n : size - 1] = '\0';
	return (int)strcspn(buf, "\r\n");
}

static void check(struct ktls_ctx *ctx, int ret, const char *what)
{
	if (ret < 0)
		tool_die("%s: %s", what, *ktls_ctx_errstr(ctx) ?
			 ktls_ctx_errstr(ctx) : ktls_strerror(ret));
}

/* Daemon mode gets back only offloaded sockets: say at once when this
 * kernel cannot offload, rather than at every refused handshake. */
static void warn_no_ktls(void)
{
	struct ktls_caps *caps;
	const char *why;

	if (ktls_caps_probe(&caps) < 0)
		return;
	why = ktls_caps_unusable_reason(caps);
	if (why)
		fprintf(stderr, "%s: warning: kTLS is unusable (%s): "
			"handshaked will refuse every handshake, since daemon "
			"mode needs kTLS (see ktls-probe)\n", tool_name, why);
	ktls_caps_free(caps);
}

/* The PSK of --psk-identity/--psk-file, one per process; the key is
 * wiped at exit. */
static struct {
	const char *identity;
	uint8_t key[KTLS_PSK_KEY_MAX];
	size_t len;
	enum ktls_psk_hash hash;
} psk;

static void psk_wipe(void)
{
	explicit_bzero(&psk, sizeof(psk));
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The key from --psk-file: hex digits, white space ignored, in a regular
 * file no one else can read; the bytes read are wiped. */
static void psk_load(const struct tool_opts *o)
{
	char buf[4 * KTLS_PSK_KEY_MAX];
	struct stat st;
	size_t n = 0, i;
	int fd, hi = -1, v;
	ssize_t got;

	if (!o->psk_identity || !o->psk_file)
		tool_die("--psk-identity and --psk-file go together");
	fd = open(o->psk_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		tool_die("--psk-file %s: %s", o->psk_file, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		tool_die("--psk-file %s: not a regular file", o->psk_file);
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		tool_die("--psk-file %s: group or others can use it (mode "
			 "%04o): make it 0600", o->psk_file,
			 (unsigned int)(st.st_mode & 07777));
	got = read(fd, buf, sizeof(buf));
	close(fd);
	if (got < 0)
		tool_die("--psk-file %s: %s", o->psk_file, strerror(errno));
	atexit(psk_wipe);
	for (i = 0; i < (size_t)got; i++) {
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' ||
		    buf[i] == '\r')
			continue;
		v = hex_value((unsigned char)buf[i]);
		if (v < 0 || (hi < 0 && n == sizeof(psk.key))) {
			explicit_bzero(buf, sizeof(buf));
			tool_die("--psk-file %s: expected 16 to %d bytes in hex",
				 o->psk_file, KTLS_PSK_KEY_MAX);
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		psk.key[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	explicit_bzero(buf, sizeof(buf));
	if (hi >= 0 || n < KTLS_PSK_KEY_MIN || (size_t)got == sizeof(buf))
		tool_die("--psk-file %s: expected 16 to %d bytes in hex",
			 o->psk_file, KTLS_PSK_KEY_MAX);
	psk.len = n;
	psk.identity = o->psk_identity;
	psk.hash = o->psk_hash ? (enum ktls_psk_hash)o->psk_hash :
		   n == 48 ? KTLS_PSK_SHA384 : KTLS_PSK_SHA256;
}

/* A server's lookup: the one identity of the command line. */
static int psk_find(struct ktls_conn *conn, const char *identity,
		    uint8_t *key, size_t *len, enum ktls_psk_hash *hash,
		    void *arg)
{
	(void)conn;
	(void)arg;
	if (strcmp(identity, psk.identity))
		return -ENOENT;
	memcpy(key, psk.key, psk.len);
	*len = psk.len;
	*hash = psk.hash;
	return 0;
}

void tool_conn_psk(struct ktls_conn *conn)
{
	if (psk.identity &&
	    ktls_conn_set_psk(conn, psk.identity, psk.key, psk.len,
			      psk.hash) < 0)
		tool_die("--psk-identity: %s", ktls_conn_errstr(conn));
}

struct ktls_ctx *tool_ctx_setup(const struct tool_opts *o)
{
	static const struct ktls_callbacks psk_cbs = { .psk_find = psk_find };
	struct ktls_ctx *ctx = ktls_ctx_new();
	int i;

	if (!ctx)
		tool_die("out of memory (or wolfSSL failed to initialise)");
	if (o->passfile)
		ktls_ctx_set_passphrase_cb(ctx, pass_from_file,
					   (void *)o->passfile);
	if (o->cafile)
		check(ctx, ktls_ctx_load_ca_file(ctx, o->cafile), "--cafile");
	if (o->capath)
		check(ctx, ktls_ctx_load_ca_dir(ctx, o->capath), "--capath");
	for (i = 0; i < o->n_crls; i++)
		check(ctx, ktls_ctx_load_crl_file(ctx, o->crls[i]), "--crl");
	for (i = 0; i < o->n_ids; i++)
		check(ctx, ktls_ctx_add_identity(ctx, o->certs[i], o->keys[i]),
		      "--cert/--key");
	if (o->n_ids == 0 && o->certs[0])
		tool_die("--cert %s needs a --key", o->certs[0]);
	if (o->alpn)
		check(ctx, ktls_ctx_set_alpn(ctx, o->alpn), "--alpn");
	if (o->ciphers)
		check(ctx, ktls_ctx_set_ciphers(ctx, o->ciphers), "--ciphers");
	if (o->vmin)
		check(ctx, ktls_ctx_set_opt(ctx, KTLS_OPT_VERSION_MIN, o->vmin),
		      "--min");
	if (o->vmax)
		check(ctx, ktls_ctx_set_opt(ctx, KTLS_OPT_VERSION_MAX, o->vmax),
		      "--max");
	check(ctx, ktls_ctx_set_opt(ctx, KTLS_OPT_VERIFY, o->verify),
	      "verify mode");
	if (o->software)
		check(ctx, ktls_ctx_set_opt(ctx, KTLS_OPT_FORCE_SOFTWARE, 1),
		      "--software");
	if (o->daemon) {
		check(ctx, ktls_ctx_set_daemon(ctx, o->daemon, o->profile ?
					       o->profile : "default"),
		      "--daemon");
		warn_no_ktls();
	}
	if (o->record_limit)
		check(ctx, ktls_ctx_set_opt(ctx, KTLS_OPT_RECORD_LIMIT,
					    o->record_limit), "--record-limit");
	if (o->no_tickets)
		check(ctx, ktls_ctx_set_opt(ctx, KTLS_OPT_SESSION_TICKETS, 0),
		      "--no-tickets");
	if (o->psk_identity || o->psk_file) {
		psk_load(o);
		ktls_ctx_set_callbacks(ctx, &psk_cbs, NULL);
	}
	tool_keylog_setup(ctx, o);
	return ctx;
}

static const char *where(const struct ktls_conn *conn, enum ktls_dir dir)
{
	return ktls_conn_offloaded(conn, dir) ? "kernel" : "software";
}

int tool_session_line(const struct ktls_conn *conn, char *buf, size_t size)
{
	const char *alpn = ktls_conn_alpn(conn);

	const char *why = ktls_conn_offload_reason(conn);

	const char *psk_id = ktls_conn_psk_identity(conn);

	return snprintf(buf, size, "%s %s alpn=%s resumed=%s tx=%s rx=%s%s%s%s"
			"%s%s%s",
			tool_version_name(ktls_conn_version(conn)),
			ktls_cipher_name(ktls_conn_cipher(conn)),
			alpn ? alpn : "-",
			ktls_conn_resumed(conn) ? "yes" : "no",
			where(conn, KTLS_DIR_TX), where(conn, KTLS_DIR_RX),
			*why ? " (" : "", why, *why ? ")" : "",
			psk_id ? " psk=\"" : "", psk_id ? psk_id : "",
			psk_id ? "\"" : "");
}

/* One count of records: "kernel" where the kernel keeps them out of
 * sight (ktls_conn_stats(3)). */
static void records(char *buf, size_t size, uint64_t n, bool exact)
{
	if (exact)
		snprintf(buf, size, "%llu", (unsigned long long)n);
	else
		snprintf(buf, size, "kernel");
}

/*
 * The library's counters (ktls_conn_stats()): " records_out=N
 * records_in=M lib_out=B lib_in=B", or "" when they cannot be read.
 */
void tool_stats_tail(const struct ktls_conn *conn, char *buf, size_t size)
{
	struct ktls_conn_stats st = { .size = sizeof(st) };
	char ro[24], ri[24];

	if (ktls_conn_stats(conn, &st) < 0) {
		*buf = '\0';
		return;
	}
	records(ro, sizeof(ro), st.tx_records,
		st.flags & KTLS_STATS_TX_RECORDS);
	records(ri, sizeof(ri), st.rx_records,
		st.flags & KTLS_STATS_RX_RECORDS);
	snprintf(buf, size, " records_out=%s records_in=%s lib_out=%llu "
		 "lib_in=%llu", ro, ri, (unsigned long long)st.tx_bytes,
		 (unsigned long long)st.rx_bytes);
}

/* One line's tail: what the connection did after its handshake. */
void tool_print_done(FILE *f, const struct ktls_conn *conn, long long out,
		     long long in)
{
	char tail[128];

	tool_stats_tail(conn, tail, sizeof(tail));
	fprintf(f, "done: %lld bytes out, %lld bytes in, %u key updates%s\n",
		out, in, ktls_conn_key_updates(conn), tail);
}

void tool_print_session(FILE *f, const struct ktls_conn *conn)
{
	const uint8_t *der;
	const char *alpn = ktls_conn_alpn(conn);
	char buf[512];
	size_t len;

	fprintf(f, "version: %s\n",
		tool_version_name(ktls_conn_version(conn)));
	fprintf(f, "cipher: %s\n", ktls_cipher_name(ktls_conn_cipher(conn)));
	fprintf(f, "alpn: %s\n", alpn ? alpn : "-");
	if (ktls_conn_peer_cert(conn, 0, &der, &len) == 0) {
		if (ktls_cert_subject(der, len, buf, sizeof(buf)) >= 0)
			fprintf(f, "peer subject: %s\n", buf);
		if (ktls_cert_issuer(der, len, buf, sizeof(buf)) >= 0)
			fprintf(f, "peer issuer: %s\n", buf);
		if (ktls_cert_fingerprint(der, len, buf, sizeof(buf)) >= 0)
			fprintf(f, "peer sha256: %s\n", buf);
	} else {
		fprintf(f, "peer subject: -\n");
	}
	if (ktls_conn_psk_identity(conn))
		fprintf(f, "psk identity: %s (%s)\n",
			ktls_conn_psk_identity(conn),
			ktls_conn_psk_hash(conn) == KTLS_PSK_SHA384 ?
			"sha384" : "sha256");
	fprintf(f, "resumed: %s\n", ktls_conn_resumed(conn) ? "yes" : "no");
	fprintf(f, "tx: %s\n", where(conn, KTLS_DIR_TX));
	fprintf(f, "rx: %s\n", where(conn, KTLS_DIR_RX));
	if (!ktls_conn_offloaded(conn, KTLS_DIR_TX) ||
	    !ktls_conn_offloaded(conn, KTLS_DIR_RX))
		fprintf(f, "offload: %s\n", ktls_conn_offload_reason(conn));
	fflush(f);
}

int tool_send_all(struct ktls_conn *conn, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = ktls_send(conn, p, len);

		if (n < 0)
			return (int)n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

long long tool_send_file(struct ktls_conn *conn, const char *path)
{
	struct stat st;
	off_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	while (off < st.st_size) {
		ssize_t n = ktls_sendfile(conn, fd, &off,
					  (size_t)(st.st_size - off));

		if (n < 0) {
			close(fd);
			return n;
		}
		if (n == 0)
			break;
	}
	close(fd);
	return (long long)off;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * One ktls_recv() that does not block: poll() said the socket is
 * readable, but what came may be a record that carries no data (a TLS 1.3
 * NewSessionTicket), after which a blocking read would wait for the
 * peer's next record while our stdin has data to send.  Only the receive
 * runs non-blocking; sends stay blocking.
 */
static ssize_t recv_once(struct ktls_conn *conn, char *buf, size_t size)
{
	int fd = ktls_conn_fd(conn), fl = fcntl(fd, F_GETFL);
	ssize_t n;

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	n = ktls_recv(conn, buf, size);
	if (fcntl(fd, F_SETFL, fl) < 0 && n >= 0)
		n = -errno;
	return n;
}

int tool_pump(struct ktls_conn *conn, int in_fd, int out_fd,
	      long long *sent, long long *received)
{
	static char buf[64 * 1024];
	struct pollfd pfd[2];
	bool in_open = in_fd >= 0, net_open = true;
	short net_events = POLLIN;
	int ret;

	if (!in_open) {
		ret = ktls_close(conn);
		if (ret < 0)
			return ret;
	}
	while (net_open) {
		ssize_t n;

		pfd[0].fd = ktls_conn_fd(conn);
		pfd[0].events = net_events;
		pfd[1].fd = in_open ? in_fd : -1;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[1].revents) {
			n = read(in_fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				in_open = false;
				ret = ktls_close(conn);
				if (ret < 0)
					return ret;
			} else {
				ret = tool_send_all(conn, buf, (size_t)n);
				if (ret < 0)
					return ret;
				*sent += n;
			}
		}
		if (pfd[0].revents) {
			n = recv_once(conn, buf, sizeof(buf));
			net_events = POLLIN;
			if (n == -EAGAIN) {
				net_events = ktls_conn_events(conn);
				continue;
			}
			if (n < 0)
				return (int)n;
			if (n == 0) {
				net_open = false;
				break;
			}
			*received += n;
			if (out_fd >= 0) {
				ret = write_all(out_fd, buf, (size_t)n);
				if (ret < 0)
					return ret;
			}
		}
	}
	/* The peer closed first: answer its close_notify with ours. */
	if (in_open)
		return ktls_close(conn);
	return 0;
}

int tool_listen(const char *addr, const char *port, int backlog, int *portp)
{
	struct addrinfo hints = {
		.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
		.ai_socktype = SOCK_STREAM,
	}, *ai;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int one = 1, zero = 0, fd, ret;
	char *end;
	long p = strtol(port, &end, 10);

	if (!*port || *end || p < 0 || p > 65535)
		tool_usage_error("'%s' is not a port", port);
	ret = getaddrinfo(addr, port, &hints, &ai);
	if (ret)
		tool_usage_error("--bind '%s' is not an IPv4 or IPv6 address",
				 addr);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		tool_die("socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "::" takes IPv4 too (dual stack), whatever the sysctl says. */
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				 sizeof(zero));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		tool_die("bind %s port %s: %s", addr, port, strerror(errno));
	freeaddrinfo(ai);
	if (listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		tool_die("listen: %s", strerror(errno));
	*portp = ntohs(ss.ss_family == AF_INET6 ?
		       ((struct sockaddr_in6 *)&ss)->sin6_port :
		       ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

const char *tool_host(const struct sockaddr_storage *ss, char *buf,
		      size_t size)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;

	if (!size)
		return buf;
	buf[0] = '\0';
	if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf,
			  (socklen_t)size);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)size);
	else
		inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t)size);
	return buf;
}

const char *tool_join(const char *host, const char *port, char *buf,
		      size_t size)
{
	snprintf(buf, size, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host,
		 port);
	return buf;
}

const char *tool_addr(const struct sockaddr_storage *ss, char *buf,
		      size_t size)
{
	char host[INET6_ADDRSTRLEN], port[8];
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;

	tool_host(ss, host, sizeof(host));
	snprintf(port, sizeof(port), "%u", ntohs(ss->ss_family == AF_INET6 ?
						  s6->sin6_port :
						  s4->sin_port));
	return tool_join(host, port, buf, size);
}

int tool_host_port(const char *arg, char *host, size_t size,
		   const char **port)
{
	const char *colon, *end;
	size_t n;

	if (*arg == '[') {
		end = strchr(arg, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		n = (size_t)(end - arg - 1);
		colon = end + 1;
		arg++;
	} else {
		colon = strrchr(arg, ':');
		if (!colon || strchr(arg, ':') != colon)
			return -EINVAL;	/* none, or an IPv6 address bare */
		n = (size_t)(colon - arg);
	}
	if (!n || n >= size || !colon[1])
		return -EINVAL;
	memcpy(host, arg, n);
	host[n] = '\0';
	*port = colon + 1;
	return 0;
}
