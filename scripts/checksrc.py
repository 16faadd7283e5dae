#!/usr/bin/env python3
"""checksrc: the house source check (STYLE.md habits 2, 6, 14, 15), after
curl's scripts/checksrc.pl.

Usage: scripts/checksrc.py [--root DIR] [FILE...]

Without FILEs it scans common/**/*.{c,h}, fcgi/*.{c,h}, tests/unit/*.c and
tests/fuzz/*.c under DIR (default: the tree this script lives in). Each
finding is printed as `file:line: rule: message`; the exit status is 1 when
there is one, 0 (with "checksrc: N files clean") when there is none.

A line may carry `/* checksrc: allow RULE[,RULE] */` for a justified
exception; the number of escapes used is printed, so they stay visible.
Rules: banned-call, line-width, trailing-space, layer-include,
include-folder, counted-prefix, why-comment.
"""
import bisect
import os
import re
import sys

MAX_COLS = 100
LONG_FUNCTION = 30  # body lines (between the braces) that need a why-comment

# Banned calls and what to use instead (habit 6 and 14): each is unbounded,
# unchecked or not thread-safe, and the worker is threaded.
BANNED = {
    "strcpy": "snprintf (checked) or memcpy with a known length",
    "strcat": "struct si_buf or snprintf (checked)",
    "sprintf": "snprintf with a checked result",
    "vsprintf": "vsnprintf with a checked result",
    "gets": "fgets",
    "atoi": "si_parse_long or strtol with end and range checks",
    "atol": "si_parse_long or strtol with end and range checks",
    "atoll": "strtoll with end and range checks",
    "strtok": "strtok_r",
    "gmtime": "gmtime_r",
    "localtime": "localtime_r",
    "strerror": "strerror_r",
}
# A call, not a longer identifier (snprintf, gmtime_r) nor a member (p->gets).
BANNED_RE = re.compile(r"(?<![\w.])(?<!->)\b(%s)\s*\(" % "|".join(BANNED))

# Layers (habit 2): util <- aws <- search <- root, util <- slack <- root,
# util <- store <- root; fcgi sits on top of common. Tests may include
# anything.
LAYERS = ("util", "aws", "slack", "search", "store")
ALLOWED = {
    "util": {"util"},
    "aws": {"util", "aws"},
    "slack": {"util", "slack"},
    "search": {"util", "aws", "search"},
    "store": {"util", "store"},
    "root": {"util", "aws", "slack", "search", "store", "root"},
    "fcgi": {"util", "aws", "slack", "search", "store", "root", "fcgi"},
}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
COUNTED_RE = re.compile(r"(?<![\w.])\b(strncmp|strncasecmp|memcmp)\s*\(")
ESCAPE_RE = re.compile(r"/\*\s*checksrc:\s*allow\s+([\w,\s-]+?)\s*\*/")


def blank_comments_and_strings(text):
    """Return text with comments and the insides of string and character
    literals replaced by spaces (quotes and newlines kept), so offsets and
    line numbers still match the original and no rule fires on prose."""
    out = list(text)
    i, n = 0, len(text)
    state = None  # None, "/*", "//", '"', "'"
    while i < n:
        c = text[i]
        if state is None:
            if text.startswith("/*", i) or text.startswith("//", i):
                state = text[i:i + 2]
                out[i] = out[i + 1] = " "
                i += 2
                continue
            if c in "\"'":
                state = c
        elif state == "/*":
            if text.startswith("*/", i):
                out[i] = out[i + 1] = " "
                state = None
                i += 2
                continue
            if c != "\n":
                out[i] = " "
        elif state == "//":
            if c == "\n":
                state = None
            else:
                out[i] = " "
        else:  # inside a literal
            if c == "\\" and i + 1 < n:
                out[i] = " "
                if text[i + 1] != "\n":
                    out[i + 1] = " "
                i += 2
                continue
            if c == state or c == "\n":
                state = None
            else:
                out[i] = " "
        i += 1
    return "".join(out)


def blank_preprocessor(code):
    """Blank preprocessor lines (with continuations): a macro's braces are
    not a function body."""
    lines = code.split("\n")
    cont = False
    for k, line in enumerate(lines):
        if cont or line.lstrip().startswith("#"):
            cont = line.rstrip().endswith("\\")
            lines[k] = " " * len(line)
        else:
            cont = False
    return "\n".join(lines)


def layer_of(rel):
    """The layer a path (relative to the root) belongs to, or None."""
    parts = rel.split("/")
    if parts[0] == "common":
        if len(parts) > 2 and parts[1] in LAYERS:
            return parts[1]
        return "root" if len(parts) == 2 else None
    if parts[0] in ("fcgi", "tests"):
        return parts[0]
    return None


class Checker:
    def __init__(self, root):
        self.root = root
        self.findings = []  # (file, line, rule, message)
        self.escapes_used = 0

    def report(self, rel, lineno, rule, msg, allowed):
        if rule in allowed.get(lineno, ()):
            self.escapes_used += 1
            return
        self.findings.append((rel, lineno, rule, msg))

    def check_file(self, rel):
        with open(os.path.join(self.root, rel), encoding="utf-8", errors="replace") as f:
            text = f.read()
        raw = text.split("\n")
        code = blank_comments_and_strings(text)
        starts = [0] + [m.end() for m in re.finditer("\n", text)]

        def line_at(off):
            return bisect.bisect_right(starts, off)

        allowed = {}
        for k, line in enumerate(raw, 1):
            for m in ESCAPE_RE.finditer(line):
                allowed.setdefault(k, set()).update(re.split(r"[\s,]+", m.group(1)))
        rep = lambda ln, rule, msg: self.report(rel, ln, rule, msg, allowed)

        # Width and trailing blanks: diffs and side-by-side review stay
        # readable (tabs expand to the next multiple of 8, as in an editor).
        for k, line in enumerate(raw, 1):
            cols = len(line.expandtabs(8))
            if cols > MAX_COLS:
                rep(k, "line-width", "line is %d columns (max %d)" % (cols, MAX_COLS))
            if line != line.rstrip(" \t\r\f\v"):
                rep(k, "trailing-space", "trailing whitespace")

        # Banned calls: unbounded or thread-unsafe (habit 6).
        for m in BANNED_RE.finditer(code):
            name = m.group(1)
            rep(line_at(m.start()), "banned-call",
                "%s() is banned: use %s" % (name, BANNED[name]))

        self.check_includes(rel, raw, code.split("\n"), rep)
        self.check_counted_prefix(text, code, line_at, rep)
        if rel.startswith(("common/", "fcgi/")):
            self.check_why_comments(raw, blank_preprocessor(code), line_at, rep)

    def resolve(self, rel, path):
        """Where the compiler finds "path" (the including file's folder first,
        then -I common), relative to the root, or None."""
        for base in (os.path.dirname(rel), "common"):
            cand = os.path.normpath(os.path.join(base, path)).replace(os.sep, "/")
            if os.path.isfile(os.path.join(self.root, cand)):
                return cand
        return None

    def check_includes(self, rel, raw, code_lines, rep):
        """Includes name the layer folder, never reach up or sideways a layer,
        and private headers stay in their layer (habit 2)."""
        mine = layer_of(rel)
        for k, line in enumerate(raw, 1):
            m = INCLUDE_RE.match(line)
            if not m or not code_lines[k - 1].lstrip().startswith("#"):
                continue
            path = m.group(1)
            found = self.resolve(rel, path)
            if found and found.startswith("common/"):
                canon = found[len("common/"):]
                theirs = layer_of(found)
                if theirs in LAYERS and path != canon:
                    rep(k, "include-folder",
                        '"%s" is under a layer folder: write "%s"' % (path, canon))
            elif found and found.startswith("fcgi/"):
                canon, theirs = found, "fcgi"
            elif path.split("/")[0] in LAYERS:  # not (yet) on disk: trust the spelling
                canon, theirs = path, path.split("/")[0]
            else:
                continue
            if mine in (None, "tests"):
                continue
            if theirs not in ALLOWED.get(mine, ()):
                rep(k, "layer-include",
                    '%s may not include "%s" (%s layer): util <- aws <- search <- root, '
                    "util <- slack <- root, util <- store <- root" % (mine, path, theirs))
            elif "/private/" in "/" + canon and theirs != mine:
                rep(k, "layer-include",
                    '"%s" is private to %s/: not for %s' % (path, theirs, mine))

    def check_counted_prefix(self, text, code, line_at, rep):
        """strncmp(s, "PREFIX=", 7): the 7 drifts when the literal changes;
        the compiler should count it (sizeof / SI_LITLEN, habit 14)."""
        for m in COUNTED_RE.finditer(code):
            args, depth, start = [], 0, m.end()
            for i in range(m.end(), len(code)):
                c = code[i]
                if c in "([{":
                    depth += 1
                elif c in ")]}" and depth > 0:
                    depth -= 1
                elif c == "," and depth == 0 or c == ")":
                    args.append((start, i))
                    start = i + 1
                    if c == ")":
                        break
            if len(args) != 3:
                continue
            is_lit = [re.fullmatch(r'\s*("\s*"\s*)+', code[a:b]) for a, b in args[:2]]
            length = text[args[2][0]:args[2][1]].strip()
            if any(is_lit) and re.fullmatch(r"\d+[uUlL]*", length):
                a, b = args[0] if is_lit[0] else args[1]
                lit = re.sub(r"\s*\n\s*", " ", text[a:b].strip())
                lit = lit if len(lit) <= 40 else lit[:36] + '..."'
                rep(line_at(m.start()), "counted-prefix",
                    "%s(..., %s, %s): use SI_LITLEN(%s), not a counted length"
                    % (m.group(1), lit, length, lit))

    def check_why_comments(self, raw, code, line_at, rep):
        """A function of 30 or more body lines opens with a comment saying
        why it exists and what it assumes (habit 15): it must end on the
        line just before the signature."""
        depth, stmt, open_at = 0, 0, None
        for i, c in enumerate(code):
            if c == "{":
                if depth == 0:
                    open_at = i
                depth += 1
            elif c == "}" and depth > 0:
                depth -= 1
                if depth == 0:
                    self.judge_function(raw, code, stmt, open_at, i, line_at, rep)
                    stmt = i + 1
            elif c == ";" and depth == 0:
                stmt = i + 1

    def judge_function(self, raw, code, stmt, open_at, close_at, line_at, rep):
        head = code[stmt:open_at]
        # A definition's head ends with its parameter list; struct, enum
        # and initialiser braces do not (and initialisers have an '=').
        if "=" in head or not re.search(r"\)\s*$", head):
            return
        body = line_at(close_at) - line_at(open_at) - 1
        if body < LONG_FUNCTION:
            return
        first = stmt + (len(head) - len(head.lstrip()))
        sig = line_at(first)
        before = raw[sig - 2].strip() if sig >= 2 else ""
        if before.endswith("*/") or before.startswith("//"):
            return
        name = re.search(r"(\w+)\s*\(", head)
        rep(sig, "why-comment",
            "%s() has %d body lines and no comment just above it saying why it exists"
            % (name.group(1) if name else "function", body))


def default_files(root):
    files = []
    for d, _, names in os.walk(os.path.join(root, "common")):
        files += [os.path.join(d, f) for f in names if f.endswith((".c", ".h"))]
    for d, exts in (("fcgi", (".c", ".h")), ("tests/unit", (".c",)), ("tests/fuzz", (".c",))):
        p = os.path.join(root, d)
        if os.path.isdir(p):
            files += [os.path.join(p, f) for f in os.listdir(p) if f.endswith(exts)]
    return sorted(os.path.relpath(f, root).replace(os.sep, "/") for f in files)


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if len(argv) >= 2 and argv[0] == "--root":
        root, argv = os.path.abspath(argv[1]), argv[2:]
    if argv and argv[0].startswith("-"):
        sys.stderr.write(__doc__)
        return 2
    files = [os.path.relpath(os.path.abspath(f), root).replace(os.sep, "/") for f in argv]
    files = files or default_files(root)
    ck = Checker(root)
    for rel in files:
        ck.check_file(rel)
    for f in sorted(ck.findings):
        print("%s:%d: %s: %s" % f)
    if ck.escapes_used:
        print("checksrc: %d escape%s used" % (ck.escapes_used, "" if ck.escapes_used == 1 else "s"))
    if not ck.findings:
        print("checksrc: %d files clean" % len(files))
        return 0
    per_rule = {}
    for f in ck.findings:
        per_rule[f[2]] = per_rule.get(f[2], 0) + 1
    print("checksrc: %d findings in %d of %d files" % (
        len(ck.findings), len({f[0] for f in ck.findings}), len(files)))
    for rule in sorted(per_rule):
        print("checksrc:   %-15s %d" % (rule, per_rule[rule]))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
