// SPDX-License-Identifier: MIT
/*
 * handshaked - performs TLS handshakes for other processes and hands the
 * record keys to the kernel (kTLS) on their own sockets, so that they
 * never hold a private key.
 *
 * main() parses options, loads the configuration and the keys, opens the
 * socket, and runs one event loop; it shuts down in reverse order.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ktls.h>

#include "hsd_kernel.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s [-c FILE] [-F] [--check-config]\n"
		"\n"
		"  -c, --config FILE  the configuration (default %s)\n"
		"  -F, --foreground   log to stderr, not syslog (handshaked "
		"never forks)\n"
		"      --check-config check the configuration and its files, "
		"then exit\n"
		"  -V, --version      print the version and exit\n"
		"  -h, --help         print this help and exit\n",
		HSD_NAME, HSD_DEFAULT_CONFIG);
}

enum { OPT_CHECK = 256 };

/*
 * systemd socket activation (sd_listen_fds(3)): the listening socket is
 * fd 3 when LISTEN_PID names us.  -ENOENT when not activated.
 */
static int activated_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int type = 0, domain = 0, listening = 0;
	socklen_t len = sizeof(int);
	bool ours = pid && fds && strtol(pid, NULL, 10) == (long)getpid();

	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (!ours)
		return -ENOENT;
	if (strcmp(fds, "1")) {
		hsd_log(HSD_LOG_ERROR, "systemd passed %s sockets; "
			"handshaked takes exactly one", fds);
		return -EINVAL;
	}
	if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    getsockopt(3, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
	    getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
	    type != SOCK_SEQPACKET || domain != AF_UNIX || !listening) {
		hsd_log(HSD_LOG_ERROR, "the socket systemd passed is not a "
			"listening unix SOCK_SEQPACKET socket (the unit wants "
			"ListenSequentialPacket=)");
		return -EINVAL;
	}
	if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(3, F_SETFL, fcntl(3, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	return 3;
}

/*
 * Once the keys are loaded and the socket is open, nothing needs root:
 * become the configured user, for good (no-new-privs), and make the
 * process undumpable so that no process of that user can ptrace the keys
 * out of it.
 */
/* In a child that has become @pw: warn of each path it cannot open. */
static unsigned int unreadable_as(const struct passwd *pw,
				  const char *const *paths, unsigned int n)
{
	unsigned int i, bad = 0;
	int fd;

	if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		return 0;		/* the real drop will say why */
	for (i = 0; i < n; i++) {
		fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		hsd_log(HSD_LOG_ERROR, "warning: user %s cannot read %s (%s): "
			"a reload (SIGHUP) after the start drops to that user "
			"and will fail", pw->pw_name, paths[i],
			ktls_strerror(-errno));
		bad++;
	}
	return bad;
}

/*
 * A reload re-reads the configuration and every file it names as the
 * daemon's user: say now which of them that user cannot read (root-only
 * keys are the usual case).  Return: how many, or 0 when there is no
 * user to become or we are not root.
 */
static unsigned int warn_unreadable(const struct hsd_config *cfg)
{
	const char *paths[3 * 64 + HSD_MAX_CRLS + 4];
	const struct hsd_identity *id;
	struct passwd *pw;
	unsigned int n = 0, i;
	int status;
	pid_t pid;

	if (!cfg->user || geteuid() != 0 || !(pw = getpwnam(cfg->user)))
		return 0;
	paths[n++] = cfg->path;
	if (cfg->ticket_key_file)
		paths[n++] = cfg->ticket_key_file;
	if (cfg->ca_file)
		paths[n++] = cfg->ca_file;
	if (cfg->ca_dir)
		paths[n++] = cfg->ca_dir;
	for (i = 0; i < cfg->n_crls; i++)
		paths[n++] = cfg->crl_files[i];
	for (id = cfg->identities; id && n + 3 <= sizeof(paths) /
	     sizeof(paths[0]); id = id->next) {
		paths[n++] = id->cert;
		paths[n++] = id->key;
		if (id->passphrase_file)
			paths[n++] = id->passphrase_file;
	}
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		_exit((int)(unreadable_as(pw, paths, n) > 0));
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 0;
	return WIFEXITED(status) ? (unsigned int)WEXITSTATUS(status) : 0;
}

static int drop_privileges(const struct hsd_config *cfg)
{
	struct passwd *pw;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		hsd_log(HSD_LOG_ERROR, "prctl: %s", ktls_strerror(-errno));
		return -errno;
	}
	if (!cfg->user)
		return 0;
	if (hsd_caps_keep(cfg->kernel_enable) < 0) {
		hsd_log(HSD_LOG_ERROR, "prctl(PR_SET_KEEPCAPS): %s",
			ktls_strerror(-errno));
		return -errno;
	}
	pw = getpwnam(cfg->user);
	if (!pw) {
		hsd_log(HSD_LOG_ERROR, "user %s: no such user", cfg->user);
		return -ENOENT;
	}
	if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		int err = -errno;

		hsd_log(HSD_LOG_ERROR, "becoming user %s: %s", cfg->user,
			ktls_strerror(err));
		return err;
	}
	/* Make sure there is no way back. */
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		hsd_log(HSD_LOG_ERROR, "could get root back after dropping it");
		return -EPERM;
	}
	/* The kernel agent's ACCEPT and DONE need CAP_NET_ADMIN: that one
	 * capability stays, every other goes. */
	if (hsd_caps_restrict(cfg->kernel_enable) < 0 ||
	    (cfg->kernel_enable && !hsd_caps_net_admin())) {
		hsd_log(HSD_LOG_ERROR, "[kernel] enable = yes needs "
			"CAP_NET_ADMIN, which could not be kept as user %s",
			cfg->user);
		return -EPERM;
	}
	/* The uid change reset "dumpable" to fs.suid_dumpable, which may be
	 * 1: clear it again, or the user could ptrace the keys out. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		int err = -errno;

		hsd_log(HSD_LOG_ERROR, "prctl: %s", ktls_strerror(err));
		return err;
	}
	hsd_log(HSD_LOG_INFO, "running as %s (uid %u)", cfg->user,
		(unsigned int)pw->pw_uid);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = HSD_DEFAULT_CONFIG;
	struct hsd_kernel *kernel = NULL;
	struct hsd_keys *keys = NULL;
	struct hsd_config *cfg = NULL;
	bool foreground = false, check_only = false, activated = false;
	char err[512], *sock = NULL;
	sigset_t mask;
	int c, ret, lfd, sfd;

	while ((c = getopt_long(argc, argv, "c:FVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'F':
			foreground = true;
			break;
		case OPT_CHECK:
			check_only = true;
			break;
		case 'V':
			printf("%s %s (libktls %s)\n", HSD_NAME,
			       KTLS_VERSION_STRING, ktls_version());
			return EXIT_SUCCESS;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "Try '%s --help' for more "
				"information.\n", HSD_NAME);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\nTry '%s --help' "
			"for more information.\n", HSD_NAME, argv[optind],
			HSD_NAME);
		return 2;
	}

	ret = hsd_config_load(path, &cfg, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "%s: %s\n", HSD_NAME, err);
		return EXIT_FAILURE;
	}
	hsd_log_init(foreground || check_only, cfg->log_level);
	/* The accounts it names: --check-config says what the start would. */
	if (cfg->user && !getpwnam(cfg->user)) {
		fprintf(stderr, "%s: %s: user %s: no such user\n", HSD_NAME,
			path, cfg->user);
		hsd_config_free(cfg);
		return EXIT_FAILURE;
	}
	if (cfg->socket_group && !getgrnam(cfg->socket_group)) {
		fprintf(stderr, "%s: %s: socket_group %s: no such group\n",
			HSD_NAME, path, cfg->socket_group);
		hsd_config_free(cfg);
		return EXIT_FAILURE;
	}
	/* Loading the keys checks every file the configuration names. */
	ret = hsd_keys_load(cfg, NULL, &keys, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "%s: %s: %s\n", HSD_NAME, path, err);
		hsd_config_free(cfg);
		return EXIT_FAILURE;
	}
	(void)warn_unreadable(cfg);
	if (check_only && cfg->kernel_enable) {
		/* The family and its group, as the start would find them. */
		ret = hsd_kernel_open(cfg, 1, &kernel, err, sizeof(err));
		hsd_kernel_close(kernel);
		kernel = NULL;
		if (ret < 0) {
			fprintf(stderr, "%s: %s: %s\n", HSD_NAME, path, err);
			hsd_keys_free(keys);
			hsd_config_free(cfg);
			return EXIT_FAILURE;
		}
	}
	if (check_only) {
		printf("%s: %s is valid\n", HSD_NAME, path);
		hsd_keys_free(keys);
		hsd_config_free(cfg);
		return EXIT_SUCCESS;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	lfd = sfd < 0 ? -errno : activated_socket();
	if (lfd >= 0)
		activated = true;
	else if (lfd == -ENOENT)
		lfd = hsd_ipc_listen(cfg);
	if (sfd < 0 || lfd < 0) {
		hsd_log(HSD_LOG_ERROR, "cannot start: %s",
			ktls_strerror(sfd < 0 ? sfd : lfd));
		ret = sfd < 0 ? sfd : lfd;
		goto out;
	}
	/* The kernel agent's sockets, opened as root (hsd_kernel.h). */
	if (cfg->kernel_enable) {
		if (!hsd_caps_net_admin()) {
			hsd_log(HSD_LOG_ERROR, "cannot start: [kernel] enable = "
				"yes needs CAP_NET_ADMIN (run as root)");
			ret = -EPERM;
			goto out_close;
		}
		ret = hsd_kernel_open(cfg, cfg->workers, &kernel, err,
				      sizeof(err));
		if (ret < 0) {
			hsd_log(HSD_LOG_ERROR, "cannot start: %s", err);
			goto out_close;
		}
	}
	ret = drop_privileges(cfg);
	if (ret < 0)
		goto out_close;
	if (kernel)
		hsd_log(HSD_LOG_NOTICE, "kernel handshake agent: group %s of "
			"the %s family joined (client profile %s, server "
			"profile %s)", HSD_HS_MCGRP_TLSHD, HSD_HS_FAMILY_NAME,
			cfg->kernel_client[0] ? cfg->kernel_client : "none",
			cfg->kernel_server[0] ? cfg->kernel_server : "none");
	if (activated) {
		hsd_log(HSD_LOG_NOTICE, "serving on the socket systemd passed, "
			"with %u workers", cfg->workers);
	} else {
		hsd_log(HSD_LOG_NOTICE, "serving on %s with %u workers",
			cfg->socket_path, cfg->workers);
		sock = strdup(cfg->socket_path);
	}
	/* The loop owns the configuration from here (SIGHUP replaces it). */
	ret = hsd_loop(cfg, keys, lfd, sfd, kernel);
	cfg = NULL;
	keys = NULL;
	/* (after the drop this may fail; a new start replaces it anyway) */
	if (sock)
		unlink(sock);
	free(sock);
out_close:
	hsd_kernel_close(kernel);
	close(lfd);
out:
	if (sfd >= 0)
		close(sfd);
	hsd_keys_free(keys);
	hsd_config_free(cfg);
	return ret < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
