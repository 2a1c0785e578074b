/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device settings, each described once: its names (config file key,
 * command line word, label of the human output, JSON key), its netlink
 * attribute, its type, its bounds and how it prints.  Parsing (`twill set`
 * and [Device]), netlink requests and replies, the config writer, the
 * human, JSON and dump output, events, the syncconf diff and its copy all
 * walk this one table: a new setting is a field in struct tw_device, a bit
 * in enum tw_field and one entry in settings.c.
 */
#ifndef TWILL_SETTINGS_H
#define TWILL_SETTINGS_H

#include <linux/netlink.h>
#include <stdio.h>

#include "json.h"
#include "model.h"

#define TW_VALUE_STRLEN 64

enum tw_kind {
	TW_K_NUM,	/* unsigned integer of `size` bytes, min..max or a word */
	TW_K_RANGE,	/* two u16 at off and off2: "MIN-MAX", min..max */
	TW_K_ADDR,	/* struct tw_addr; "none" is family 0 */
	TW_K_MAC,	/* unicast, non-zero */
	TW_K_LINK,	/* u32 ifindex at off, name at off2; "none" */
};

/* A named value ("inherit" = 0). */
struct tw_word {
	const char *name;
	uint32_t value;
};

/* tw_setting.flags */
#define TW_S_HEX	(1U << 0)	/* prints as 0x%x; its words only parse */
#define TW_S_WORDS_ONLY	(1U << 1)	/* no numbers, only the words */
#define TW_S_HIDE_UNSET	(1U << 2)	/* human output leaves 0/none out */
#define TW_S_JSON_BOOL	(1U << 3)	/* JSON true/false */
#define TW_S_JSON_TEXT	(1U << 4)	/* JSON string of the printed value */

struct tw_setting {
	const char *key;	/* config file key ("ListenPort") */
	const char *arg;	/* command line word ("listen-port") */
	const char *label;	/* human output ("listen port") */
	const char *json;	/* JSON key; a range's lower end */
	const char *json2;	/* a range's upper end */
	enum tw_field field;
	uint16_t attr;		/* TWILL_A_* */
	uint16_t attr2;		/* range: the upper end; link: its name */
	enum tw_kind kind;
	size_t off, size;	/* the value in struct tw_device */
	size_t off2, size2;	/* its second part (range, link), size2 0: none */
	uint32_t min, max;	/* bounds of numbers */
	const struct tw_word *words;	/* ends with a NULL name */
	unsigned int flags;
};

extern const struct tw_setting tw_settings[];
extern const size_t tw_nsettings;

#define tw_for_each_setting(s) \
	for ((s) = tw_settings; (s) < tw_settings + tw_nsettings; (s)++)

const struct tw_setting *setting_by_key(const char *key);
const struct tw_setting *setting_by_arg(const char *arg);
/* The setting an attribute of a reply belongs to (attr or attr2). */
const struct tw_setting *setting_by_attr(uint16_t attr);

/*
 * Parses a value into dev and marks the setting present.  `name` is how
 * the user called the setting (key or word), for the error message.
 */
int setting_parse(const struct tw_setting *s, struct tw_device *dev,
		  const char *value, const char *name);
/* The value as `set`, the config file and dumps take and print it. */
const char *setting_format(const struct tw_setting *s,
			   const struct tw_device *dev,
			   char buf[TW_VALUE_STRLEN]);
/* 0, none, no link. */
bool setting_is_unset(const struct tw_setting *s, const struct tw_device *dev);
void setting_json(const struct tw_setting *s, struct json *j,
		  const struct tw_device *dev);
/* The attribute(s) of a SET_DEVICE request. */
void setting_put(const struct tw_setting *s, struct nlmsghdr *nlh,
		 const struct tw_device *dev);
/* Reads attribute `a` (attr or attr2 of s) of a reply; -1 if malformed. */
int setting_get(const struct tw_setting *s, const struct nlattr *a,
		struct tw_device *dev);
/* Whether the kernel's value `cur` already is what `want` asks for. */
bool setting_same(const struct tw_setting *s, const struct tw_device *cur,
		  const struct tw_device *want);
void setting_copy(const struct tw_setting *s, struct tw_device *dst,
		  const struct tw_device *src);

/* Parses "P,P,..." (or "+P,-P" when allow_delta) into a peer. */
int parse_prefix_list(struct tw_device *dev, struct tw_peer *peer,
		      const char *list, uint32_t line, bool allow_delta);

#endif
