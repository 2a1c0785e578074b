// SPDX-License-Identifier: GPL-2.0
/* twill: configure twill overlay devices. */
#include "cmd.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* From ../VERSION (userspace/Makefile); "unknown" only for static checks. */
#ifndef TWILL_VERSION
#define TWILL_VERSION "unknown"
#endif

struct out_opts main_opts;

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
	  "       [max-peers N] [max-prefixes N] [direct off|auto]\n"
	  "       [peer ENDPOINT [mac M] [prefixes P,P | +P,-P] [direct on|off]\n"
	  "        [remove] [update-only]]...\n"
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
	{ "nat", cmd_nat,
	  "nat set DEV [masquerade PREFIX[,PREFIX...]]\n"
	  "       [exclude PREFIX[,PREFIX...]|none] [to ADDR[,ADDR]|auto]\n"
	  "       [ports LO-HI] [max-flows N]\n"
	  "       twill nat set DEV off\n"
	  "       twill nat show [DEV|all] [-j] [-p]\n"
	  "       twill nat flows DEV [-j] [-p]\n"
	  "  Masquerade: packets from the masquerade prefixes to destinations\n"
	  "  outside the exclude prefixes leave the host with its address (or\n"
	  "  the 'to' address, one per family).  'set' changes the keys given\n"
	  "  and keeps the others; 'off' turns NAT off.  'flows' lists the\n"
	  "  flow table." },
	{ "service", cmd_service,
	  "service set DEV ADDR:PORT/tcp|udp [affinity SECONDS|off]\n"
	  "       [backend ADDR[:PORT] [weight W] [state active|terminating|\n"
	  "       maintenance]]... [remove]\n"
	  "       twill service show DEV [-j] [-p]\n"
	  "       twill service config DEV [max-services N] [max-backends N]\n"
	  "       [maglev-size PRIME]\n"
	  "  A service virtual address: new flows to ADDR:PORT go to one of\n"
	  "  its backends, chosen by Maglev hashing.  A backend list replaces\n"
	  "  the service's backends; without one they are kept.  IPv6 as\n"
	  "  [fd00::10]:80/tcp." },
};

#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage_all(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: twill [-j] [-p] COMMAND [ARGS...]\n"
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

/*
 * Options before the command, as in iproute2 (`twill -j show`).  Returns
 * the index of the command, or -1 with *ret set when an option ends the
 * run (--version, --help, a bad option).
 */
static int global_opts(int argc, char **argv, int *ret)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "-j") || !strcmp(o, "--json")) {
			main_opts.json = true;
		} else if (!strcmp(o, "-p") || !strcmp(o, "--pretty")) {
			main_opts.pretty = true;
		} else if (!strcmp(o, "-jp") || !strcmp(o, "-pj")) {
			main_opts.json = main_opts.pretty = true;
		} else if (!strcmp(o, "--version") || !strcmp(o, "-V")) {
			printf("twill %s\n", TWILL_VERSION);
			*ret = 0;
			return -1;
		} else if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			usage_all(stdout);
			*ret = 0;
			return -1;
		} else {
			fprintf(stderr, "twill: unknown option '%s' (see twill --help)\n",
				o);
			*ret = EXIT_USER;
			return -1;
		}
	}
	return i;
}

static int run(int argc, char **argv)
{
	int i, ret = 0;
	size_t k;

	i = global_opts(argc, argv, &ret);
	if (i < 0)
		return ret;
	if (i == argc) {
		/* like wg: no command means show everything */
		return cmd_show(0, argv + i);
	}
	if (!strcmp(argv[i], "version")) {
		printf("twill %s\n", TWILL_VERSION);
		return 0;
	}
	if (!strcmp(argv[i], "help")) {
		if (i + 1 < argc)
			usage(argv[i + 1], false);
		else
			usage_all(stdout);
		return 0;
	}
	for (k = 0; k < NSUB; k++)
		if (!strcmp(argv[i], subcommands[k].name))
			return subcommands[k].run(argc - i - 1, argv + i + 1);
	fprintf(stderr, "twill: unknown command '%s' (see twill --help)\n",
		argv[i]);
	return EXIT_USER;
}

int main(int argc, char **argv)
{
	int ret = run(argc, argv);

	/* a full disk must not pass for a complete `showconf > file` */
	if (tw_close_output(stdout, "standard output") && !ret)
		ret = fail();
	return ret;
}
