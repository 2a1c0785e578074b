// SPDX-License-Identifier: GPL-2.0
/*
 * nstime: print CLOCK_MONOTONIC in nanoseconds (busybox date has no %N).
 * With a command, run it and print its wall time in nanoseconds on stderr
 * as "elapsed_ns N" after the command's own output; exit with its status.
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

int main(int argc, char **argv)
{
	unsigned long long t0;
	pid_t pid;
	int st;

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
