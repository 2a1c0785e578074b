// SPDX-License-Identifier: GPL-2.0
#include "config.h"
#include "nat.h"
#include "parse.h"
#include "service.h"
#include "settings.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum section { SEC_NONE, SEC_DEVICE, SEC_PEER, SEC_SERVICE };

struct cfg {
	const char *name;
	uint32_t line;
	enum section sec;
	bool seen_device;
	uint32_t device_keys;	/* settings already given */
	uint32_t nat_lines[TW_NK_COUNT];	/* where each NAT key is */
	struct tw_device *dev;
	size_t peer;		/* index of the current peer */
	bool peer_ep, peer_mac;
	uint32_t svc_line;	/* where the current [Service] starts */
	bool svc_addr, svc_affinity;
};

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static int end_peer(const struct cfg *c)
{
	const struct tw_peer *peer;

	if (c->sec != SEC_PEER)
		return 0;
	peer = &c->dev->peers[c->peer];
	if (!c->peer_ep)
		return tw_err("%s:%u: [Peer] has no Endpoint", c->name,
			      peer->line);
	return 0;
}

/* A [Service] gives the whole service: no Backend, none; no Affinity, off. */
static int end_service(const struct cfg *c)
{
	struct tw_service *svc;

	if (c->sec != SEC_SERVICE)
		return 0;
	if (!c->svc_addr)
		return tw_err("%s:%u: [Service] has no Address", c->name,
			      c->svc_line);
	svc = &c->dev->svcs[c->dev->nsvcs - 1];
	svc->has_backends = true;
	svc->has_affinity = true;
	return 0;
}

static int start_section(struct cfg *c, char *name)
{
	struct tw_peer *peer;

	if (end_peer(c) || end_service(c))
		return -1;
	if (!strcasecmp(name, "[Service]")) {
		service_push(&c->dev->svcs, &c->dev->nsvcs, &c->dev->svcs_cap);
		c->dev->has_services = true;
		c->sec = SEC_SERVICE;
		c->svc_line = c->line;
		c->svc_addr = c->svc_affinity = false;
		return 0;
	}
	if (!strcasecmp(name, "[Device]")) {
		if (c->seen_device)
			return tw_err("%s:%u: duplicate [Device] section",
				      c->name, c->line);
		c->seen_device = true;
		c->sec = SEC_DEVICE;
		return 0;
	}
	if (strcasecmp(name, "[Peer]") != 0)
		return tw_err("%s:%u: unknown section '%s'", c->name, c->line,
			      name);
	peer = dev_new_peer(c->dev);
	peer->line = c->line;
	/* a peer in a file always lists its whole prefix set */
	peer->mode = TW_PFX_REPLACE;
	c->peer = c->dev->npeers - 1;
	c->peer_ep = c->peer_mac = false;
	c->sec = SEC_PEER;
	return 0;
}

static int nat_key(struct cfg *c, const struct tw_nat_key *k,
		   const char *value)
{
	struct tw_nat *n = &c->dev->nat;

	if (!TW_HAS(c->dev, TW_NAT))
		nat_init(n);
	if (n->given & TW_BIT(k->id))
		return tw_err("duplicate key '%s'", k->key);
	c->nat_lines[k->id] = c->line;
	c->dev->mask |= TW_BIT(TW_NAT);
	return nat_parse_key(n, k, value, k->key);
}

/* The NAT keys together: Masquerade is what the others need. */
static int end_nat(const struct cfg *c)
{
	enum tw_nat_key_id bad = TW_NK_MASQUERADE;

	if (!TW_HAS(c->dev, TW_NAT) || !nat_check(&c->dev->nat, true, &bad))
		return 0;
	return tw_err_ctx("%s:%u", c->name, c->nat_lines[bad]);
}

static int device_key(struct cfg *c, const char *key, const char *value)
{
	const struct tw_setting *s = setting_by_key(key);
	const struct tw_nat_key *k = nat_key_by_key(key);

	if (k)
		return nat_key(c, k, value);
	if (!s)
		return tw_err("unknown key '%s' in [Device]", key);
	if (c->device_keys & TW_BIT(s->field))
		return tw_err("duplicate key '%s'", key);
	c->device_keys |= TW_BIT(s->field);
	return setting_parse(s, c->dev, value, s->key);
}

static int peer_endpoint(struct cfg *c, struct tw_peer *peer,
			 const char *value)
{
	union tw_sockaddr ep;

	if (c->peer_ep)
		return tw_err("duplicate key 'Endpoint'");
	if (parse_endpoint(value, &ep) ||
	    dev_set_endpoint(c->dev, peer, &ep) ||
	    dev_claim_address(c->dev, peer, value))
		return -1;
	c->peer_ep = true;
	return 0;
}

static int peer_key(struct cfg *c, const char *key, const char *value)
{
	struct tw_peer *peer = &c->dev->peers[c->peer];

	if (!strcasecmp(key, "Endpoint"))
		return peer_endpoint(c, peer, value);
	if (!strcasecmp(key, "Prefixes"))
		return parse_prefix_list(c->dev, peer, value, c->line, false);
	if (!strcasecmp(key, "Direct") && peer->has_direct)
		return tw_err("duplicate key 'Direct'");
	if (!strcasecmp(key, "Direct"))
		return peer_direct(peer, value, "Direct");
	if (strcasecmp(key, "MAC") != 0)
		return tw_err("unknown key '%s' in [Peer]", key);
	if (c->peer_mac)
		return tw_err("duplicate key 'MAC'");
	c->peer_mac = true;
	peer->has_mac = true;
	return parse_mac(value, peer->mac);
}

static int service_address(struct cfg *c, struct tw_service *svc,
			   const char *value)
{
	char key[96];
	size_t i;

	if (c->svc_addr)
		return tw_err("duplicate key 'Address'");
	if (service_parse_key(value, svc))
		return -1;
	for (i = 0; i + 1 < c->dev->nsvcs; i++)
		if (service_find(&(struct tw_services){ .svcs = &c->dev->svcs[i],
							.n = 1 }, svc))
			return tw_err("service %s given twice",
				      service_fmt_key(svc, key, sizeof(key)));
	c->svc_addr = true;
	return 0;
}

/* "ADDR[:PORT] [weight W] [state S]": the words of `service set`. */
static int service_backend(struct tw_service *svc, const char *value)
{
	size_t len = strlen(value) + 1;
	char *copy = tw_malloc(len), *argv[8], *tok, *save;
	int argc = 0, ret;

	memcpy(copy, value, len);
	argv[argc++] = "backend";
	for (tok = strtok_r(copy, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		/* one backend and its options, nothing of the service's */
		if (argc == 6 || !strcmp(tok, "backend") ||
		    !strcmp(tok, "affinity") || !strcmp(tok, "remove")) {
			free(copy);
			return tw_err("invalid Backend '%s'", value);
		}
		argv[argc++] = tok;
	}
	ret = service_parse_args(argc, argv, svc);
	free(copy);
	return ret;
}

static int service_key(struct cfg *c, const char *key, const char *value)
{
	struct tw_service *svc = &c->dev->svcs[c->dev->nsvcs - 1];
	char *argv[2] = { "affinity", (char *)value };

	if (!strcasecmp(key, "Address"))
		return service_address(c, svc, value);
	if (strcasecmp(key, "Affinity") != 0 && strcasecmp(key, "Backend") != 0)
		return tw_err("unknown key '%s' in [Service]", key);
	if (!c->svc_addr)
		return tw_err("'%s' before Address in [Service]", key);
	if (!strcasecmp(key, "Backend"))
		return service_backend(svc, value);
	if (c->svc_affinity)
		return tw_err("duplicate key 'Affinity'");
	c->svc_affinity = true;
	return service_parse_args(2, argv, svc);
}

static int key_value(struct cfg *c, char *line)
{
	char *eq = strchr(line, '=');
	char *key, *value;

	if (!eq)
		return tw_err("expected 'Key = Value' or '[Section]', got '%s'",
			      line);
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (c->sec == SEC_NONE)
		return tw_err("key '%s' outside of a section", key);
	if (!*value && strcasecmp(key, "Prefixes") != 0)
		return tw_err("missing value for '%s'", key);
	if (c->sec == SEC_SERVICE)
		return service_key(c, key, value);
	return c->sec == SEC_DEVICE ? device_key(c, key, value) :
				      peer_key(c, key, value);
}

static int parse_line(struct cfg *c, char *line)
{
	char *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	line = trim(line);
	if (!*line)
		return 0;
	if (line[0] == '[')
		return start_section(c, line);
	if (key_value(c, line))
		return tw_err_ctx("%s:%u", c->name, c->line);
	return 0;
}

int config_parse(const char *name, const char *buf, size_t len,
		 struct tw_device *dev)
{
	struct cfg c = { .name = name, .dev = dev };
	char *copy = tw_malloc(len + 1), *line, *nl;
	int ret = 0;

	memcpy(copy, buf, len);
	copy[len] = '\0';
	for (line = copy; line && !ret; line = nl) {
		c.line++;
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		if (strlen(line) != (size_t)((nl ? nl - 1 : copy + len) - line))
			ret = tw_err("%s:%u: NUL byte in file", name, c.line);
		else
			ret = parse_line(&c, line);
	}
	if (!ret)
		ret = end_peer(&c);
	if (!ret)
		ret = end_service(&c);
	if (!ret)
		ret = end_nat(&c);
	free(copy);
	return ret;
}

static int read_all(FILE *f, char **buf, size_t *len)
{
	size_t cap = 0, n;

	*buf = NULL;
	*len = 0;
	do {
		tw_grow((void **)buf, &cap, *len + 65536, 1);
		n = fread(*buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n);
	return ferror(f) ? -1 : 0;
}

int config_read(const char *path, struct tw_device *dev)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	char *buf;
	size_t len;
	int ret;

	if (!f)
		return tw_err("%s: %s", path, strerror(errno));
	ret = read_all(f, &buf, &len);
	if (ret)
		tw_err("%s: %s", path, strerror(errno));
	if (!is_stdin)
		fclose(f);
	if (!ret)
		ret = config_parse(is_stdin ? "<stdin>" : path, buf, len, dev);
	free(buf);
	return ret;
}

static void write_device(FILE *f, const struct tw_device *d)
{
	const struct tw_setting *s;
	char v[TW_VALUE_STRLEN];

	fputs("[Device]\n", f);
	tw_for_each_setting(s)
		if (TW_HAS(d, s->field))
			fprintf(f, "%s = %s\n", s->key, setting_format(s, d, v));
	if (TW_HAS(d, TW_NAT))
		nat_config_write(f, &d->nat);
}

static void write_peer(FILE *f, const struct tw_peer *p)
{
	char e[TW_EP_STRLEN], m[TW_MAC_STRLEN], x[TW_PREFIX_STRLEN];
	size_t i;

	fprintf(f, "\n[Peer]\nEndpoint = %s\n", fmt_endpoint(&p->ep, e));
	if (p->has_mac && !mac_is_zero(p->mac))
		fprintf(f, "MAC = %s\n", fmt_mac(p->mac, m));
	if (p->has_direct && p->direct)
		fputs("Direct = on\n", f);
	for (i = 0; i < p->npfx; i++)
		fprintf(f, "Prefixes = %s\n", fmt_prefix(&p->pfx[i], x));
}

void config_write(FILE *f, const struct tw_device *dev)
{
	size_t i;

	write_device(f, dev);
	for (i = 0; i < dev->npeers; i++)
		write_peer(f, &dev->peers[i]);
	for (i = 0; i < dev->nsvcs; i++)
		service_config_write(f, &dev->svcs[i]);
}

void config_prepare(struct tw_device *dev, enum tw_conf_mode mode)
{
	struct tw_peer *p;
	size_t i;

	for (i = 0; i < dev->npeers; i++) {
		p = &dev->peers[i];
		if (mode == TW_CONF_ADD) {
			/* adds to what a peer has; a MAC only if given */
			p->mode = p->npfx ? TW_PFX_DELTA : TW_PFX_NONE;
		} else {
			/* the file is the whole truth: no MAC, none */
			if (!p->has_mac) {
				p->has_mac = true;
				memset(p->mac, 0, TW_MAC_LEN);
			}
			/* and no Direct, off */
			if (!p->has_direct) {
				p->has_direct = true;
				p->direct = 0;
			}
		}
	}
	if (mode == TW_CONF_SET)
		dev->flags |= TWILL_F_REPLACE_PEERS;
	/* a file with services gives all of them; one without leaves them */
	if (mode == TW_CONF_SET && dev->has_services)
		dev->flags |= TWILL_F_REPLACE_SERVICES;
}
