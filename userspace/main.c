// SPDX-License-Identifier: GPL-2.0
/* twill: configure twill overlay devices. */
#include "cmd.h"

#include <stdio.h>
#include <string.h>

#ifndef TWILL_VERSION
#define TWILL_VERSION "0.1.0"
#endif

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
};

static const struct subcommand subcommands[] = {
	{ "show", cmd_show,
	  "show [DEV | all | interfaces] [-j] [-p]\n"
	  "       twill show DEV|all dump\n"
	  "  Shows devices and peers; -j prints JSON, -p pretty-prints it;\n"
	  "  'dump' prints tab-separated lines for scripts." },
	{ "showconf", cmd_showconf,
	  "showconf DEV\n"
	  "  Prints DEV's configuration in the format setconf takes." },
	{ "set", cmd_set,
	  "set DEV [listen-port N] [vni N] [fwmark M] [local ADDR|none]\n"
	  "       [link IFNAME|none] [mac M] [port-range MIN-MAX] [ttl N|inherit]\n"
	  "       [tos N|inherit] [df set|unset|inherit] [udp-csum on|off]\n"
	  "       [max-peers N] [max-prefixes N]\n"
	  "       [peer ENDPOINT [mac M] [prefixes P,P | +P,-P] [remove]\n"
	  "        [update-only]]...\n"
	  "  ENDPOINT is ADDR[:PORT] or [ADDR6]:PORT; without a port the\n"
	  "  device's listen port is used.  A plain prefix list replaces the\n"
	  "  peer's prefixes, +P adds one and -P removes one." },
	{ "setconf", cmd_setconf,
	  "setconf DEV FILE\n"
	  "  Replaces DEV's configuration with FILE (\"-\" = stdin)." },
	{ "addconf", cmd_addconf,
	  "addconf DEV FILE\n"
	  "  Adds the peers and prefixes of FILE to DEV's configuration." },
	{ "syncconf", cmd_syncconf,
	  "syncconf DEV FILE\n"
	  "  Makes DEV match FILE, changing only what differs." },
	{ "route", cmd_route,
	  "route get DEV ADDR [-j] [-p]\n"
	  "  Shows the prefix and peer ADDR is sent to; exits 2 if none." },
	{ "monitor", cmd_monitor,
	  "monitor [DEV] [-j]\n"
	  "  Prints one line per configuration event." },
};

#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage_all(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: twill COMMAND [ARGS...]\n"
		"       twill COMMAND --help\n"
		"       twill --version\n\nCommands:\n");
	for (i = 0; i < NSUB; i++)
		fprintf(f, "  twill %.*s\n",
			(int)strcspn(subcommands[i].usage, "\n"),
			subcommands[i].usage);
	fprintf(f, "\nSee twill(8) for details.\n");
}

void usage(const char *cmd, bool to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;
	size_t i;

	for (i = 0; i < NSUB; i++) {
		if (!strcmp(subcommands[i].name, cmd)) {
			fprintf(f, "Usage: twill %s\n", subcommands[i].usage);
			return;
		}
	}
	usage_all(f);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		/* like wg: no arguments means show everything */
		return cmd_show(0, argv + 1);
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") ||
	    !strcmp(argv[1], "version")) {
		printf("twill %s\n", TWILL_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage_all(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc > 2)
			usage(argv[2], false);
		else
			usage_all(stdout);
		return 0;
	}
	for (i = 0; i < NSUB; i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 2, argv + 2);
	fprintf(stderr, "twill: unknown command '%s'\n", argv[1]);
	usage_all(stderr);
	return EXIT_USER;
}
