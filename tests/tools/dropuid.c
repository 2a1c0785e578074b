// SPDX-License-Identifier: GPL-2.0
/*
 * dropuid UID CMD [ARGS...]: run CMD as UID/GID with no supplementary
 * groups.  Switching away from uid 0 clears every capability, which is what
 * the permission tests need; busybox's setpriv cannot change uids.
 */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uid_t id;

	if (argc < 3) {
		fprintf(stderr, "usage: dropuid UID CMD [ARGS...]\n");
		return 2;
	}
	id = (uid_t)strtoul(argv[1], NULL, 10);
	if (setgroups(0, NULL) || setgid(id) || setuid(id)) {
		perror("dropuid");
		return 2;
	}
	execvp(argv[2], argv + 2);
	perror("dropuid: exec");
	return 127;
}
