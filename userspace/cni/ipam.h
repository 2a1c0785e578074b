/* SPDX-License-Identifier: GPL-2.0 */
/* Running the IPAM delegate, and the per-attachment cache DEL reads. */
#ifndef TWILL_CNI_IPAM_H
#define TWILL_CNI_IPAM_H

#include <json-c/json.h>

/*
 * Runs the IPAM plugin named by ipam's "type", found in CNI_PATH, with
 * CNI_COMMAND=cmd and conf on stdin; the rest of the environment is ours.
 * ADD: *out gets its result.  -1 with cni_code (the plugin's own code
 * when it printed an error object) and tw_errmsg.
 */
int ipam_exec(const char *cmd, json_object *conf, json_object **out);

/*
 * The cache: <dir>/<container id>:<ifname>, the delegate's configuration
 * of an ADD, so that DEL and GC release the address even when the subnet
 * file or the configuration changed since.
 */
int cache_write(const char *dir, const char *id, const char *ifname,
		json_object *conf);
/* The cached configuration (a new object), NULL if there is none. */
json_object *cache_read(const char *dir, const char *id, const char *ifname);
int cache_remove(const char *dir, const char *id, const char *ifname);

#endif
