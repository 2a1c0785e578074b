#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Check Documentation/netlink/specs/twill.yaml against include/uapi/linux/twill.h.

Part 1 (always; python3 stdlib + PyYAML): compute the C names and values the
YNL generator would render from the spec (family defines, consts, enums and
flags, attribute sets, commands, multicast groups) and compare them with the
enums and #defines parsed out of the header, in both directions, including
which enum each name belongs to.

Part 2 (optional): if a kernel source tree with the YNL schema is found
($KSRC if set, empty to disable; else /tmp/ks/linux-source-*,
/usr/src/linux-source-*; needs an extracted tree), validate the spec
against Documentation/netlink/genetlink-legacy.yaml with jsonschema, generate
the uAPI header from the spec with tools/net/ynl (--mode uapi --header) and
compile a C file that includes both headers with a static assert per name.
Each missing piece (tree, jsonschema, generator, C compiler) is reported as
SKIP and is not a failure.

Run from anywhere (paths are relative to this file):
    python3 tests/unit/spec-check.py [--spec FILE] [--header FILE] [--no-ynl]
Prints one line per mismatch and a final "N passed, N failed" line; exits 1
on any failure.
"""

import argparse
import ast
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("FAIL: PyYAML is not installed (Debian: python3-yaml)")
    print("0 passed, 1 failed")
    sys.exit(1)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = os.path.join(ROOT, "Documentation/netlink/specs/twill.yaml")
HEADER = os.path.join(ROOT, "include/uapi/linux/twill.h")

# Header names YNL cannot render, each with the check that replaces the
# one-to-one comparison.
#   cmd-zero: the reserved command 0; must be 0 and no spec op may use 0.
#   flag-mask: accepted-flags mask; must only contain bits of the spec's flags
#              of the same enum.
HEADER_ONLY = {
    "TWILL_CMD_UNSPEC": "cmd-zero",
    "__TWILL_F_ALL": "flag-mask",
    "__TWILL_PEER_F_ALL": "flag-mask",
    "__TWILL_PREFIX_F_ALL": "flag-mask",
    "__TWILL_SERVICE_F_ALL": "flag-mask",
}
# Header parts outside the generic netlink family (rtnetlink link attributes).
HEADER_IGNORE_RE = re.compile(r"^(IFLA_TWILL_|__IFLA_TWILL_)")
# The include guard is not an API name.
GUARD_RE = re.compile(r"^_UAPI_LINUX_\w+_H$")


class Result:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, cond, msg):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: " + msg)
        return cond

    def fail(self, msg):
        self.ok(False, msg)

    @staticmethod
    def skip(msg):
        print("SKIP: " + msg)

    @staticmethod
    def info(msg):
        print("INFO: " + msg)


# --- C header parsing ------------------------------------------------------

def strip_comments(text):
    # Keep line structure (for #define parsing) and token separation.
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n") or " ",
                  text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


_INT_RE = re.compile(r"\b(0[xX][0-9a-fA-F]+|\d+)([uUlL]*)\b")


def c_eval(expr, names):
    """Evaluate a C integer constant expression over known names."""
    expr = expr.strip()
    expr = _INT_RE.sub(lambda m: str(int(m.group(1), 0)), expr)

    def ident(m):
        word = m.group(0)
        if word in names and isinstance(names[word], int):
            return "(%d)" % names[word]
        raise ValueError("unknown name %s" % word)

    expr = re.sub(r"\b[A-Za-z_]\w*\b", ident, expr)
    try:
        tree = ast.parse("(" + " ".join(expr.split()) + ")", mode="eval")
    except SyntaxError as e:
        raise ValueError("cannot parse expression %r" % expr) from e
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant,
               ast.BitOr, ast.BitAnd, ast.BitXor, ast.LShift, ast.RShift,
               ast.Add, ast.Sub, ast.Mult, ast.Invert, ast.USub, ast.UAdd)
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise ValueError("unsupported expression %r" % expr)
    return int(eval(compile(tree, "<c-expr>", "eval")))


def parse_c_header(path):
    """Return (names, enums): names maps NAME -> int or str (string defines);
    enums maps enum tag (None for anonymous, numbered) -> list of NAMEs."""
    text = strip_comments(open(path, encoding="utf-8").read())
    # Join continued preprocessor lines.
    text = text.replace("\\\n", " ")
    names = {}
    enums = {}
    anon = 0
    # Walk the file in order so later expressions can use earlier names.
    token_re = re.compile(
        r"^[ \t]*#[ \t]*define[ \t]+(\w+)(?![(\w])[ \t]*([^\n]*)$"
        r"|\benum\s+(\w+)?\s*\{(.*?)\}\s*;", re.S | re.M)
    pending = []  # defines that reference names not known yet
    for m in token_re.finditer(text):
        if m.group(1):
            name, val = m.group(1), m.group(2).strip()
            if not val or GUARD_RE.match(name):
                continue
            sm = re.fullmatch(r'"((?:[^"\\]|\\.)*)"', val)
            if sm:
                names[name] = sm.group(1)
                continue
            try:
                names[name] = c_eval(val, names)
            except ValueError:
                pending.append((name, val))
            continue
        tag = m.group(3)
        if tag is None:
            anon += 1
            tag = "<anonymous %d>" % anon
        members = []
        value = -1
        for item in m.group(4).split(","):
            item = item.strip()
            if not item:
                continue
            em = re.fullmatch(r"([A-Za-z_]\w*)\s*(?:=\s*(.+))?", item, re.S)
            if not em:
                raise ValueError("%s: cannot parse enum item %r" % (path, item))
            if em.group(2) is not None:
                value = c_eval(em.group(2), names)
            else:
                value += 1
            names[em.group(1)] = value
            members.append(em.group(1))
        enums[tag] = members
    for name, val in pending:
        try:
            names[name] = c_eval(val, names)
        except ValueError:
            pass  # not an integer constant (macro with other syntax): ignore
    return names, enums


# --- Spec model: what YNL renders ------------------------------------------

def c_upper(name):
    return name.upper().replace("-", "_")


def c_lower(name):
    return name.lower().replace("-", "_")


def spec_model(spec):
    """Return (names, groups, info): names maps C NAME -> value; groups maps
    enum tag -> list of member NAMEs (regular members, no count/max names);
    info carries data for the special checks."""
    fam = spec["name"]
    ident = fam.replace("-", "_")
    names = {}
    groups = {}
    info = {"flags": {}, "cmd_values": []}

    def put(name, value, what):
        if name in names:
            raise ValueError("spec renders %s twice (%s)" % (name, what))
        names[name] = value

    put(c_upper(spec.get("c-family-name", fam + "_FAMILY_NAME")), fam, "family")
    put(c_upper(spec.get("c-version-name", fam + "_FAMILY_VERSION")),
        spec.get("version", 1), "version")

    for d in spec.get("definitions", []):
        if d.get("header") or d.get("scope", "uapi") != "uapi":
            continue
        if d["type"] == "const":
            pfx = d.get("name-prefix", ident + "-")
            put(c_upper(pfx + d["name"]), d["value"], "const")
            continue
        if d["type"] not in ("enum", "flags"):
            continue
        tag = c_lower(d["enum-name"]) if d.get("enum-name") else (
            None if "enum-name" in d else c_lower(ident + "-" + d["name"]))
        pfx = d.get("name-prefix", "%s-%s-" % (ident, d["name"]))
        members = []
        value = d.get("value-start", 0)
        first = True
        mask = 0
        for e in d["entries"]:
            e = {"name": e} if isinstance(e, str) else e
            if "value" in e:
                value = e["value"]
            elif not first:
                value += 1
            first = False
            uval = 1 << value if d["type"] == "flags" else value
            mask |= uval
            put(c_upper(pfx + e["name"]), uval, tag)
            members.append(c_upper(pfx + e["name"]))
        if d.get("render-max"):
            if d["type"] == "flags":
                put(c_upper(pfx + "mask"), mask, tag)
            else:
                cnt = c_upper(d.get("enum-cnt-name") or "__" + pfx + "max")
                put(cnt, value + 1, tag)
                put(c_upper(pfx + "max"), value, tag)
        groups[tag or "<anonymous %s>" % d["name"]] = members
        if d["type"] == "flags":
            info["flags"][tag] = mask

    for s in spec.get("attribute-sets", []):
        if s.get("subset-of"):
            continue
        if "name-prefix" in s:
            pfx = s["name-prefix"]
        elif s["name"] == fam:
            pfx = ident + "-a-"
        else:
            pfx = "%s-a-%s-" % (ident, s["name"])
        tag = c_lower(s["enum-name"]) if s.get("enum-name") else None
        members = []
        value = 1
        for a in s["attributes"]:
            if "value" in a:
                value = a["value"]
            put(c_upper(pfx + a["name"]), value, "attr-set " + s["name"])
            members.append(c_upper(pfx + a["name"]))
            value += 1
        put(c_upper(s.get("attr-cnt-name", "__" + pfx + "max")), value,
            "attr-set " + s["name"])
        put(c_upper(s.get("attr-max-name", pfx + "max")), value - 1,
            "attr-set " + s["name"])
        groups[tag or "<anonymous attr-set %s>" % s["name"]] = members

    ops = spec["operations"]
    if ops.get("enum-model", "unified") != "unified" or "async-prefix" in ops:
        raise ValueError("spec-check only models the unified command enum")
    op_pfx = ops.get("name-prefix", ident + "-cmd-")
    tag = c_lower(ops["enum-name"]) if ops.get("enum-name") else None
    members = []
    value = 1
    for op in ops["list"]:
        if "value" in op:
            value = op["value"]
        put(c_upper(op_pfx + op["name"]), value, "operations")
        members.append(c_upper(op_pfx + op["name"]))
        info["cmd_values"].append(value)
        value += 1
    put(c_upper(spec.get("cmd-cnt-name", "__" + op_pfx + "max")), value,
        "operations")
    put(c_upper(spec.get("cmd-max-name", op_pfx + "max")), value - 1,
        "operations")
    groups[tag or "<anonymous operations>"] = members

    for g in spec.get("mcast-groups", {}).get("list", []):
        put(c_upper(g.get("c-define-name", "%s-mcgrp-%s" % (ident, g["name"]))),
            g["name"], "mcast group")
    return names, groups, info


def header_scope(hnames, henums):
    """Names of the header that belong to the genetlink family."""
    out = {}
    for name, val in hnames.items():
        if HEADER_IGNORE_RE.match(name) or GUARD_RE.match(name):
            continue
        out[name] = val
    groups = {}
    for tag, members in henums.items():
        members = [m for m in members if not HEADER_IGNORE_RE.match(m)]
        if members:
            groups[tag] = members
    return out, groups


def regular_members(members):
    """Enum members that are API values, not counters or masks."""
    return [m for m in members if not m.startswith("__")]


def compare(res, spec, hnames, henums):
    snames, sgroups, info = spec_model(spec)
    hnames, hgroups = header_scope(hnames, henums)

    # Names and values, spec -> header.
    for name, sval in snames.items():
        if name not in hnames:
            res.fail("%s = %r: in spec, missing from header" % (name, sval))
            continue
        res.ok(hnames[name] == sval,
               "%s: spec %r, header %r" % (name, sval, hnames[name]))

    # Header -> spec.
    for name, hval in hnames.items():
        if name in snames:
            continue
        special = HEADER_ONLY.get(name)
        if special == "cmd-zero":
            res.ok(hval == 0 and 0 not in info["cmd_values"],
                   "%s: header %r, must be 0 and unused by spec ops"
                   % (name, hval))
        elif special == "flag-mask":
            tag = next((t for t, m in hgroups.items() if name in m), None)
            bits = info["flags"].get(tag)
            if bits is None:
                res.fail("%s: no spec flags for enum %s" % (name, tag))
            else:
                res.ok(hval & ~bits == 0,
                       "%s = %#x has bits not among spec flags of enum %s "
                       "(%#x)" % (name, hval, tag, bits))
                if hval != bits:
                    res.info("%s = %#x accepts a subset of enum %s (%#x)"
                             % (name, hval, tag, bits))
        else:
            res.fail("%s = %r: in header, missing from spec" % (name, hval))

    # Enum membership: same tags, same regular members.
    for tag, members in sgroups.items():
        if tag not in hgroups:
            res.fail("enum %s: in spec, missing from header" % tag)
            continue
        want = regular_members(members)
        have = [m for m in regular_members(hgroups[tag])
                if HEADER_ONLY.get(m) != "cmd-zero"]
        res.ok(want == have,
               "enum %s: members differ (order or set): spec-only %s, "
               "header-only %s" % (tag, sorted(set(want) - set(have)),
                                   sorted(set(have) - set(want))))
    for tag in hgroups:
        if tag not in sgroups:
            res.fail("enum %s: in header, missing from spec" % tag)


# --- Optional: YNL schema and generator -------------------------------------

def find_kernel_tree():
    if "KSRC" in os.environ:  # explicit choice, also to disable: KSRC=
        cands = [os.environ["KSRC"]] if os.environ["KSRC"] else []
    else:
        cands = sorted(glob.glob("/tmp/ks/linux-source-*"), reverse=True)
        cands += sorted(glob.glob("/usr/src/linux-source-*"), reverse=True)
    for c in cands:
        if os.path.isfile(os.path.join(c, "Documentation/netlink/genetlink-legacy.yaml")):
            return c
    return None


def ynl_checks(res, spec_path, spec, hnames):
    ksrc = find_kernel_tree()
    if not ksrc:
        res.skip("no kernel tree with Documentation/netlink/genetlink-legacy.yaml "
                 "(set KSRC); schema validation and generation not run")
        return
    proto = spec.get("protocol", "genetlink")
    schema_path = os.path.join(ksrc, "Documentation/netlink", proto + ".yaml")
    try:
        import jsonschema
    except ImportError:
        res.skip("python3 jsonschema missing (Debian: python3-jsonschema); "
                 "schema validation and generation not run")
        return
    schema = yaml.safe_load(open(schema_path, encoding="utf-8"))
    try:
        jsonschema.validate(spec, schema)
        res.ok(True, "")
        print("ok: spec validates against %s" % schema_path)
    except jsonschema.ValidationError as e:
        res.fail("schema %s: %s at /%s" % (schema_path, e.message,
                                            "/".join(map(str, e.absolute_path))))
        return

    gen = None
    for rel in ("tools/net/ynl/pyynl/ynl_gen_c.py", "tools/net/ynl/ynl-gen-c.py"):
        if os.path.isfile(os.path.join(ksrc, rel)):
            gen = os.path.join(ksrc, rel)
            break
    if not gen:
        res.skip("no YNL C generator in %s" % ksrc)
        return
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")

    with tempfile.TemporaryDirectory(prefix="twill-spec-") as tmp:
        # The generator finds the schema at ../<protocol>.yaml from the spec
        # and loops looking for MAINTAINERS above it: give it a mini tree.
        specs = os.path.join(tmp, "Documentation/netlink/specs")
        os.makedirs(specs)
        open(os.path.join(tmp, "MAINTAINERS"), "w").close()
        shutil.copy(schema_path, os.path.join(tmp, "Documentation/netlink"))
        tspec = os.path.join(specs, os.path.basename(spec_path))
        shutil.copy(spec_path, tspec)
        out = os.path.join(tmp, "gen-twill.h")
        try:
            p = subprocess.run([sys.executable, gen, "--mode", "uapi", "--header",
                                "--spec", tspec, "-o", out],
                               cwd=os.path.dirname(gen), capture_output=True,
                               text=True, timeout=120)
        except subprocess.TimeoutExpired:
            res.fail("YNL generator timed out")
            return
        if p.returncode != 0:
            tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or [""]
            res.fail("YNL generator failed (rc %d): %s" % (p.returncode, tail[0]))
            return
        res.ok(True, "")
        print("ok: generated uAPI header with %s" % os.path.relpath(gen, ksrc))

        gnames, genums = parse_c_header(out)
        hn, _ = header_scope(hnames, {})
        gn, _ = header_scope(gnames, {})
        for name in sorted(set(hn) - set(gn)):
            if name not in HEADER_ONLY:
                res.fail("%s: in header, not in generated header" % name)
        for name in sorted(set(gn) - set(hn)):
            res.fail("%s: in generated header, not in header" % name)
        common = sorted(set(hn) & set(gn))

        if not cc:
            res.skip("no C compiler; generated header not compiled")
            return
        text = open(out, encoding="utf-8").read()
        text = re.sub(r"\b_UAPI_LINUX_(\w+)_H\b", r"_GEN_UAPI_LINUX_\1_H", text)
        text = re.sub(r"\b(__)?(TWILL_|twill_)", lambda m: (m.group(1) or "") +
                      ("GEN_" if m.group(2)[0] == "T" else "gen_") + m.group(2),
                      text)
        gen_h = os.path.join(tmp, "gen-renamed.h")
        open(gen_h, "w", encoding="utf-8").write(text)

        def gname(n):
            return re.sub(r"^(__)?", lambda m: (m.group(1) or "") + "GEN_", n)

        lines = ["#include <string.h>",
                 '#include "%s"' % HEADER_PATH,
                 '#include "%s"' % gen_h]
        checks = 0
        for n in common:
            if isinstance(hn[n], int):
                lines.append('_Static_assert((long long)(%s) == (long long)(%s), '
                             '"%s differs");' % (n, gname(n), n))
                checks += 1
        lines.append("int main(void)\n{\n\tint bad = 0;")
        for n in common:
            if isinstance(hn[n], str):
                lines.append('\tbad |= strcmp(%s, %s) != 0;' % (n, gname(n)))
                checks += 1
        lines.append("\treturn bad;\n}")
        csrc = os.path.join(tmp, "cmp.c")
        open(csrc, "w").write("\n".join(lines) + "\n")
        exe = os.path.join(tmp, "cmp")
        p = subprocess.run([cc, "-std=gnu11", "-Wall", "-Werror", "-o", exe, csrc],
                           capture_output=True, text=True)
        if p.returncode != 0:
            for line in p.stderr.splitlines():
                if "error" in line:
                    print("  " + line)
            res.fail("C comparison of generated and hand-written header "
                     "does not compile")
            return
        p = subprocess.run([exe])
        res.ok(p.returncode == 0, "string defines differ between generated "
               "and hand-written header")
        if p.returncode == 0:
            print("ok: %d names compared by the C compiler (static asserts "
                  "and strcmp)" % checks)


def main():
    global HEADER_PATH
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", default=SPEC)
    ap.add_argument("--header", default=HEADER)
    ap.add_argument("--no-ynl", action="store_true",
                    help="skip schema validation and generation")
    args = ap.parse_args()
    HEADER_PATH = os.path.abspath(args.header)

    res = Result()
    try:
        spec = yaml.safe_load(open(args.spec, encoding="utf-8"))
        hnames, henums = parse_c_header(args.header)
        compare(res, spec, hnames, henums)
    except (OSError, ValueError, KeyError, yaml.YAMLError) as e:
        res.fail("cannot check: %s: %s" % (type(e).__name__, e))
    else:
        if args.no_ynl:
            res.skip("--no-ynl: schema validation and generation not run")
        else:
            ynl_checks(res, args.spec, spec, hnames)
    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed else 0


HEADER_PATH = HEADER

if __name__ == "__main__":
    sys.exit(main())
