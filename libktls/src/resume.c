// SPDX-License-Identifier: MIT
/*
 * resume.c - a connection's sessions: the client's cache key, the session
 * it offers, the latest resumable one (struct ktls_conn_sess), and
 * wolfSSL's external-cache callbacks that fill and serve the context's
 * caches (session.c keeps the caches and the session handles).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>

#include "ktls_int.h"

/*
 * A client's cache key: the peer name (or address when there is none),
 * the port, and the peer id.
 */
static int make_cache_key(struct ktls_conn *conn)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "";
	unsigned int port = 0;
	int n;

	if (getpeername(conn->fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &sin6->sin6_addr, host,
				  sizeof(host));
			port = ntohs(sin6->sin6_port);
		}
	}
	n = asprintf(&conn->sess.cache_key, "%s:%u/%s",
		     conn->peer_name ? conn->peer_name : host, port,
		     conn->peer_id ? conn->peer_id : "");
	if (n < 0) {
		conn->sess.cache_key = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * Client, before the handshake: offer the session chosen with
 * ktls_conn_set_session(), or the cached one.  A session wolfSSL will not
 * take is simply not offered.
 *
 * Return: 0, or -ENOMEM.
 */
int ktls_resume_offer(struct ktls_conn *conn)
{
	struct ktls_session *s = ktls_session_ref(conn->sess.offer);
	int ret = make_cache_key(conn);

	if (ret < 0)
		return ret;
	if (!s && conn->ctx->client_cache.capacity)
		s = ktls_cache_get(&conn->ctx->client_cache,
				   conn->sess.cache_key,
				   strlen(conn->sess.cache_key), ktls_now());
	if (s && wolfSSL_set_session(ktls_tls_ssl(conn),
				     ktls_session_wolfssl(s)) != WOLFSSL_SUCCESS)
		ktls_set_err(conn->err, "the session offered could not be "
			     "used; full handshake");
	ktls_session_free(s);
	return 0;
}

/* Client, after a failed handshake: forget the cached session. */
void ktls_resume_forget(struct ktls_conn *conn)
{
	/*
	 * A cached session the server would not take may fail the handshake
	 * instead of giving a full one (wolfSSL before 5.7.4, TLS 1.2
	 * tickets); forget it, or every reconnection fails the same way.
	 */
	if (conn->role == KTLS_ROLE_CLIENT && conn->sess.cache_key)
		ktls_cache_remove(&conn->ctx->client_cache,
				  conn->sess.cache_key,
				  strlen(conn->sess.cache_key));
}

/* Client: the session to offer instead of the cached one (a reference
 * of its own). */
void ktls_resume_set_offer(struct ktls_conn *conn, struct ktls_session *sess)
{
	ktls_session_free(conn->sess.offer);
	conn->sess.offer = ktls_session_ref(sess);
}

/* Let go of the connection's sessions (ktls_conn_free()). */
void ktls_resume_release(struct ktls_conn *conn)
{
	ktls_session_free(conn->sess.session);
	ktls_session_free(conn->sess.offer);
	free(conn->sess.cache_key);
	conn->sess.session = conn->sess.offer = NULL;
	conn->sess.cache_key = NULL;
}

struct ktls_session *ktls_conn_get_session(const struct ktls_conn *conn)
{
	return conn ? ktls_session_ref(conn->sess.session) : NULL;
}

/*
 * wolfSSL's external cache.  new_session() is called when a handshake
 * ends on either side, and on a client when a TLS 1.3 ticket arrives; it
 * gets a reference of its own (returning 1 keeps it).  get_session()
 * serves a server's session-ID lookup: with *copy 0 wolfSSL copies the
 * session and drops the reference it is given.
 */
static int new_session(WOLFSSL *ssl, WOLFSSL_SESSION *ws)
{
	struct ktls_conn *conn = wolfSSL_get_app_data(ssl);
	struct ktls_session *s;
	const unsigned char *id;
	unsigned int id_len = 0;
	int ret = 0;

	/* A PSK client keeps no session (ktls_conn_set_psk()). */
	if (!conn || ktls_psk_client(conn) ||
	    wolfSSL_SESSION_is_resumable(ws) != 1)
		return 0;
	s = ktls_session_wrap(ws);
	if (!s)
		return 0;
	ktls_session_free(conn->sess.session);
	conn->sess.session = s;
	if (conn->role == KTLS_ROLE_CLIENT) {
		if (conn->sess.cache_key)
			ret = ktls_cache_put(&conn->ctx->client_cache,
					     conn->sess.cache_key,
					     strlen(conn->sess.cache_key), s,
					     ktls_now());
	} else if (wolfSSL_version(ssl) != TLS1_3_VERSION) {
		/* TLS 1.3 resumes by ticket only: its session ID is the
		 * client's legacy echo, never looked up, and caching it only
		 * filled the cache (up to KTLS_CACHE_SIZE sessions of tens
		 * of KiB) with sessions nobody can ask for. */
		id = wolfSSL_SESSION_get_id(ws, &id_len);
		if (id && id_len)
			ret = ktls_cache_put(&conn->ctx->server_cache, id,
					     id_len, s, ktls_now());
	}
	/* A session that cannot be cached is still the connection's. */
	(void)ret;
	return 1;
}

static WOLFSSL_SESSION *get_session(WOLFSSL *ssl, const unsigned char *id,
				    int len, int *copy)
{
	struct ktls_conn *conn = wolfSSL_get_app_data(ssl);
	struct ktls_session *s;
	WOLFSSL_SESSION *ws;

	*copy = 0;
	if (!conn || conn->role != KTLS_ROLE_SERVER || len <= 0)
		return NULL;
	s = ktls_cache_get(&conn->ctx->server_cache, id, (size_t)len,
			   ktls_now());
	if (!s)
		return NULL;
	ws = ktls_session_wolfssl(s);
	if (wolfSSL_SESSION_up_ref(ws) != WOLFSSL_SUCCESS)
		ws = NULL;
	ktls_session_free(s);
	return ws;
}

/* Hook @ctx's caches into its wolfSSL context (ktls_ctx_new()). */
void ktls_resume_hook(struct ktls_ctx *ctx)
{
	wolfSSL_CTX_sess_set_new_cb(ctx->wctx, new_session);
	wolfSSL_CTX_sess_set_get_cb(ctx->wctx, get_session);
}
