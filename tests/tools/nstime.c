// SPDX-License-Identifier: GPL-2.0
/*
 * nstime: print CLOCK_MONOTONIC in nanoseconds (busybox date has no %N).
 * With a command, run it and print its wall time in nanoseconds on stderr
 * as "elapsed_ns N" after the command's own output; exit with its status.
 * With -s: copy standard input to standard output, each line prefixed with
 * "N " (the clock when the read that brought the line's first byte
 * returned), flushed at once: `twill monitor | nstime -s` stamps events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL +
	       (unsigned long long)ts.tv_nsec;
}

static int stamp(void)
{
	char buf[65536];
	int bol = 1;
	ssize_t n, i;

	while ((n = read(0, buf, sizeof(buf))) > 0) {
		unsigned long long t = now_ns();

		for (i = 0; i < n; i++) {
			if (bol)
				printf("%llu ", t);
			putchar(buf[i]);
			bol = buf[i] == '\n';
		}
		if (fflush(stdout))
			return 1;
	}
	return n < 0;
}

int main(int argc, char **argv)
{
	unsigned long long t0;
	pid_t pid;
	int st;

	if (argc == 2 && argv[1][0] == '-' && argv[1][1] == 's' && !argv[1][2])
		return stamp();
	if (argc < 2) {
		printf("%llu\n", now_ns());
		return 0;
	}
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("nstime: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		perror("nstime: exec");
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0) {
		perror("nstime: waitpid");
		return 1;
	}
	fprintf(stderr, "elapsed_ns %llu\n", now_ns() - t0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
