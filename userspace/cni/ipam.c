// SPDX-License-Identifier: GPL-2.0
#include "ipam.h"
#include "cni.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_MAX ((size_t)1024 * 1024)

static int find_plugin(const char *type, char path[PATH_MAX])
{
	const char *dirs = getenv("CNI_PATH"), *p, *end;
	size_t len;

	if (!dirs || !*dirs)
		return cni_err(CNI_E_ENV, "CNI_PATH is not set (where is the IPAM plugin %s?)",
			       type);
	for (p = dirs; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		len = (size_t)(end - p);
		if (!len)
			continue;
		if (snprintf(path, PATH_MAX, "%.*s/%s", (int)len, p, type) >= PATH_MAX)
			continue;
		if (!access(path, X_OK))
			return 0;
	}
	return cni_err(CNI_E_CONFIG, "IPAM plugin \"%s\" not found in CNI_PATH (%s)",
		       type, dirs);
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads fd to its end (at most OUT_MAX bytes); malloc'd, NUL-terminated. */
static char *read_all(int fd)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	ssize_t n;

	for (;;) {
		tw_grow((void **)&buf, &cap, len + 4097, 1);
		n = read(fd, buf + len, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* past OUT_MAX: drained, not kept (the plugin must not block) */
		if (len + (size_t)n <= OUT_MAX)
			len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

static pid_t spawn(const char *path, const char *cmd, int in[2], int out[2])
{
	pid_t pid = fork();

	if (pid)
		return pid;
	if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
		_exit(127);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
	setenv("CNI_COMMAND", cmd, 1);
	execl(path, path, (char *)NULL);
	_exit(127);
}

/* The plugin failed: its error object if it printed one. */
static int delegate_error(const char *type, const char *cmd, int status,
			  const char *out)
{
	json_object *o = json_tokener_parse(out), *v;
	const char *msg = NULL;
	int code = CNI_E_IPAM;

	if (o && json_object_object_get_ex(o, "code", &v) &&
	    json_object_is_type(v, json_type_int) && json_object_get_int(v) > 0)
		code = json_object_get_int(v);
	if (o && json_object_object_get_ex(o, "msg", &v) &&
	    json_object_is_type(v, json_type_string))
		msg = json_object_get_string(v);
	if (msg)
		cni_err(code, "IPAM plugin %s (%s): %s", type, cmd, msg);
	else if (WIFEXITED(status))
		cni_err(code, "IPAM plugin %s (%s) exited with status %d",
			type, cmd, WEXITSTATUS(status));
	else
		cni_err(code, "IPAM plugin %s (%s) was killed by signal %d",
			type, cmd, WTERMSIG(status));
	json_object_put(o);
	return -1;
}

int ipam_exec(const char *cmd, json_object *conf, json_object **out)
{
	char path[PATH_MAX], *text;
	const char *type, *in_text;
	int in[2], outp[2], status, ret = -1;
	json_object *t;
	pid_t pid;

	if (out)
		*out = NULL;
	if (!json_object_object_get_ex(json_object_object_get(conf, "ipam"),
				       "type", &t))
		return cni_err(CNI_E_CONFIG, "\"ipam\" has no \"type\"");
	type = json_object_get_string(t);
	if (find_plugin(type, path))
		return -1;
	if (pipe2(in, O_CLOEXEC))
		return cni_err(CNI_E_IO, "pipe: %s", strerror(errno));
	if (pipe2(outp, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return cni_err(CNI_E_IO, "pipe: %s", strerror(errno));
	}
	pid = spawn(path, cmd, in, outp);
	close(in[0]);
	close(outp[1]);
	if (pid < 0) {
		close(in[1]);
		close(outp[0]);
		return cni_err(CNI_E_IO, "fork: %s", strerror(errno));
	}
	in_text = json_object_to_json_string_ext(conf, JSON_C_TO_STRING_PLAIN);
	/* a plugin that exits without reading: EPIPE (SIGPIPE is ignored) */
	(void)write_all(in[1], in_text, strlen(in_text));
	close(in[1]);
	text = read_all(outp[0]);
	close(outp[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			cni_err(CNI_E_IO, "waitpid: %s", strerror(errno));
			goto out;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		delegate_error(type, cmd, status, text);
		goto out;
	}
	ret = 0;
	if (out) {
		*out = json_tokener_parse(text);
		if (!*out || !json_object_is_type(*out, json_type_object)) {
			json_object_put(*out);
			*out = NULL;
			ret = cni_err(CNI_E_DECODE, "IPAM plugin %s (%s): its result is not a JSON object",
				      type, cmd);
		}
	}
out:
	free(text);
	return ret;
}

static int cache_path(const char *dir, const char *id, const char *ifname,
		      char path[PATH_MAX])
{
	if (snprintf(path, PATH_MAX, "%s/%s:%s", dir, id, ifname) >= PATH_MAX)
		return cni_err(CNI_E_CONFIG, "\"dataDir\" is too long");
	return 0;
}

int cache_write(const char *dir, const char *id, const char *ifname,
		json_object *conf)
{
	char path[PATH_MAX];

	if (cache_path(dir, id, ifname, path))
		return -1;
	if (tw_write_file(path, json_object_to_json_string_ext(
				conf, JSON_C_TO_STRING_PLAIN)))
		return cni_err(CNI_E_IO, "%s", tw_errmsg);
	return 0;
}

json_object *cache_read(const char *dir, const char *id, const char *ifname)
{
	char path[PATH_MAX];
	json_object *o;

	if (cache_path(dir, id, ifname, path))
		return NULL;
	o = json_object_from_file(path);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int cache_remove(const char *dir, const char *id, const char *ifname)
{
	char path[PATH_MAX];

	if (cache_path(dir, id, ifname, path))
		return -1;
	if (unlink(path) && errno != ENOENT)
		return cni_err(CNI_E_IO, "%s: %s", path, strerror(errno));
	return 0;
}
