// SPDX-License-Identifier: GPL-2.0
/*
 * userns UID GOFILE CMD [ARGS...]: become UID (no capabilities left), then
 * enter a new user namespace, in which that uid is root, and a new network
 * namespace owned by it: what an unprivileged user gets from
 * `unshare -Urn`.  Prints its pid on stdout and waits until GOFILE exists,
 * so that the host can move a device into the namespace first (ip link set
 * DEV netns PID), then runs CMD as root of the namespace.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

int main(int argc, char **argv)
{
	char map[64];
	unsigned int id;

	if (argc < 4) {
		fprintf(stderr, "usage: userns UID GOFILE CMD [ARGS...]\n");
		return 2;
	}
	id = (unsigned int)strtoul(argv[1], NULL, 10);
	if (setgroups(0, NULL) || setgid(id) || setuid(id)) {
		perror("userns: drop to uid");
		return 2;
	}
	/* The uid change made /proc/self root's: make it ours again. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)) {
		perror("userns: dumpable");
		return 2;
	}
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET)) {
		perror("userns: unshare");
		return 2;
	}
	snprintf(map, sizeof(map), "0 %u 1\n", id);
	if (write_file("/proc/self/setgroups", "deny\n") ||
	    write_file("/proc/self/uid_map", map) ||
	    write_file("/proc/self/gid_map", map)) {
		perror("userns: id maps");
		return 2;
	}
	printf("%d\n", (int)getpid());
	fflush(stdout);
	while (access(argv[2], F_OK))
		usleep(10000);
	execvp(argv[3], argv + 3);
	perror("userns: exec");
	return 127;
}
