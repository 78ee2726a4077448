// SPDX-License-Identifier: MIT
/*
 * handshaked - the handshake service.
 *
 * For now only the skeleton: option parsing and --version.  Handshakes on
 * behalf of other processes and of the kernel come in a later issue.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <ktls.h>

#include "handshaked.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s [--version] [--help]\n"
		"\n"
		"  -V, --version  print the version and exit\n"
		"  -h, --help     print this help and exit\n",
		HSD_NAME);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'V':
			printf("%s %s (libktls %s)\n", HSD_NAME,
			       KTLS_VERSION_STRING, ktls_version());
			return EXIT_SUCCESS;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", HSD_NAME,
			argv[optind]);
		usage(stderr);
		return 2;
	}
	fprintf(stderr,
		"%s: the handshake service is not implemented yet; "
		"only --version and --help work\n", HSD_NAME);
	return EXIT_FAILURE;
}
