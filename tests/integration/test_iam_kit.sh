#!/usr/bin/env bash
# conf/iam/: every JSON policy parses, the CloudFormation template parses
# (a small stdlib-only YAML reader for the subset it uses, cross-checked
# with PyYAML and cfn-lint when they are installed), the Terraform files
# are balanced (and `terraform fmt`-clean when terraform is installed), and
# the actions the kit grants EQUAL the AWS actions the C code calls plus
# those the resource-type modules declare (slash-infra --list-actions).
#
# How the code's actions are found (tests/integration/test_iam_kit.sh,
# function code_actions in the Python below), over common/**/*.c with comments
# removed:
#   A. string literals returned by a function whose name ends in
#      "action_name" (search.c's s_action_name());
#   B. a call whose arguments hold a service literal ("ec2", "sts",
#      "organizations") followed by an UpperCamel literal: that action of
#      that service (org.c's s_query_call(h, k, "sts", region, "AssumeRole"...));
#   C. X-Amz-Target literals "AWS<Service>V<date>.<Action>" (JSON protocol);
#   D. assignments `.action = "<Action>"`.
# A and D carry no service: STS action names are known (AssumeRole,
# GetCallerIdentity, GetSessionToken, AssumeRoleWith*), the rest is EC2 -
# the only Query-protocol services the worker talks to. A new AWS call
# written in one of these shapes shows up here and fails the test until
# the kit grants it.
. "$(dirname "$0")/lib.sh"

IAM=$SI_SRCDIR/conf/iam

cat > "$TMP/iamkit.py" <<'PY'
import glob, json, os, re, sys

src, iam, what = sys.argv[1], sys.argv[2], sys.argv[3]

# ---- a YAML reader for the subset CloudFormation templates here use --------
# Block mappings and sequences by indentation, "- key: value" items, plain
# and double-quoted scalars, short tags (!Ref x, !If [...] or a block), and
# flow sequences [a, "b", !Tag [..]]. Tags become {"!Tag": value}.
class YamlError(Exception):
    pass

def strip_comment(line):
    out, q = [], False
    for i, ch in enumerate(line):
        if ch == '"':
            q = not q
        if ch == '#' and not q and (i == 0 or line[i - 1] in ' \t'):
            break
        out.append(ch)
    return ''.join(out).rstrip()

def scalar(text):
    text = text.strip()
    if text.startswith('!'):
        m = re.match(r'(![A-Za-z]+)\s*(.*)$', text)
        return {m.group(1): scalar(m.group(2)) if m.group(2) else None}
    if text.startswith('['):
        val, rest = flow(text, 0)
        if text[rest:].strip():
            raise YamlError('junk after flow sequence: %r' % text)
        return val
    if text.startswith('"'):
        if not text.endswith('"') or len(text) < 2:
            raise YamlError('unterminated string: %r' % text)
        return json.loads(text)
    if text.startswith(("'", '{', '&', '*', '|', '>')):
        raise YamlError('unsupported YAML: %r' % text)
    return text

def flow(s, i):
    assert s[i] == '['
    i += 1
    items = []
    while True:
        while i < len(s) and s[i] == ' ':
            i += 1
        if i >= len(s):
            raise YamlError('unterminated [')
        if s[i] == ']':
            return items, i + 1
        tag = None
        m = re.match(r'(![A-Za-z]+)\s*', s[i:])
        if m:
            tag, i = m.group(1), i + m.end()
        if s[i] == '[':
            v, i = flow(s, i)
        elif s[i] == '"':
            j = i + 1
            while j < len(s) and s[j] != '"':
                j += 2 if s[j] == '\\' else 1
            v, i = json.loads(s[i:j + 1]), j + 1
        else:
            j = i
            while j < len(s) and s[j] not in ',]':
                j += 1
            v, i = s[i:j].strip(), j
        items.append({tag: v} if tag else v)
        while i < len(s) and s[i] == ' ':
            i += 1
        if i < len(s) and s[i] == ',':
            i += 1

def parse_yaml(text):
    lines = []
    for n, raw in enumerate(text.split('\n'), 1):
        if '\t' in raw:
            raise YamlError('line %d: tab' % n)
        line = strip_comment(raw)
        if line.strip():
            lines.append((len(line) - len(line.lstrip(' ')), line.strip(), n))
    pos = [0]

    def block(indent):
        if pos[0] >= len(lines):
            raise YamlError('empty block')
        ind, text, n = lines[pos[0]]
        if ind != indent:
            raise YamlError('line %d: indentation %d, expected %d' % (n, ind, indent))
        if text.startswith('- ') or text == '-':
            return seq(indent)
        return mapping(indent)

    def value_after(rest, indent, n):
        if rest:
            tag = re.match(r'(![A-Za-z]+)$', rest)
            if tag:  # a tag whose value is the following block
                return {tag.group(1): child(indent, n)}
            return scalar(rest)
        return child(indent, n)

    def child(indent, n):
        if pos[0] >= len(lines) or lines[pos[0]][0] < indent:
            raise YamlError('line %d: missing value' % n)
        nind = lines[pos[0]][0]
        # A sequence may sit at its key's indentation.
        if nind == indent and not lines[pos[0]][1].startswith('-'):
            raise YamlError('line %d: missing value' % n)
        return block(nind)

    def mapping(indent):
        out = {}
        while pos[0] < len(lines) and lines[pos[0]][0] == indent \
                and not lines[pos[0]][1].startswith('- '):
            _, text, n = lines[pos[0]]
            m = re.match(r'("[^"]*"|[A-Za-z0-9_:.-]+?):(?:\s+(.*))?$', text)
            if not m:
                raise YamlError('line %d: not "key: value": %r' % (n, text))
            key = json.loads(m.group(1)) if m.group(1).startswith('"') else m.group(1)
            if key in out:
                raise YamlError('line %d: duplicate key %s' % (n, key))
            pos[0] += 1
            out[key] = value_after((m.group(2) or '').strip(), indent + 1, n)
        if pos[0] < len(lines) and lines[pos[0]][0] > indent:
            raise YamlError('line %d: unexpected indentation' % lines[pos[0]][2])
        return out

    def seq(indent):
        out = []
        while pos[0] < len(lines) and lines[pos[0]][0] == indent \
                and lines[pos[0]][1].startswith('-'):
            _, text, n = lines[pos[0]]
            rest = text[1:].strip()
            if re.match(r'("[^"]*"|[A-Za-z0-9_:.-]+?):(\s|$)', rest):
                # "- key: value": a mapping whose first key sits after "- ".
                lines[pos[0]] = (indent + 2, rest, n)
                out.append(mapping(indent + 2))
            else:
                pos[0] += 1
                out.append(value_after(rest, indent + 1, n))
        return out

    doc = block(0)
    if pos[0] != len(lines):
        raise YamlError('line %d: trailing content' % lines[pos[0]][2])
    return doc

# ---- actions ------------------------------------------------------------------
STS = {'AssumeRole', 'GetCallerIdentity', 'GetSessionToken'}

def service_of(action):
    return 'sts' if action in STS or action.startswith('AssumeRoleWith') else 'ec2'

def strip_c_comments(s):
    return re.sub(r'/\*.*?\*/|//[^\n]*', ' ', s, flags=re.S)

def code_actions():
    found = {}
    camel = r'"([A-Z][a-z]+(?:[A-Z][a-z0-9]*)+)"'
    for path in sorted(glob.glob(os.path.join(src, 'common', '**', '*.c'), recursive=True)):
        name = os.path.basename(path)
        if name.startswith('rt_'):
            continue  # type modules declare their actions: --list-actions
        c = strip_c_comments(open(path, encoding='utf-8', errors='replace').read())
        # A: bodies of *action_name functions.
        for m in re.finditer(r'\b\w*action_name\s*\([^;{)]*\)\s*\{', c):
            depth, i = 1, m.end()
            while depth and i < len(c):
                depth += {'{': 1, '}': -1}.get(c[i], 0)
                i += 1
            for a in re.findall(camel, c[m.end():i]):
                found.setdefault('%s:%s' % (service_of(a), a), set()).add(name + ' (A)')
        # B: calls naming a service literal then an action literal.
        for m in re.finditer(r'\w+\s*\(([^;]*?)"(ec2|sts|organizations)"([^;]*?)\)\s*[;!=<>)|&]', c):
            acts = re.findall(camel, m.group(3))
            if acts:
                found.setdefault('%s:%s' % (m.group(2), acts[0]), set()).add(name + ' (B)')
        # C: JSON protocol targets.
        for svc, a in re.findall(r'"AWS([A-Za-z]+?)V\d{8}\.([A-Za-z]+)"', c):
            found.setdefault('%s:%s' % (svc.lower(), a), set()).add(name + ' (C)')
        # D: .action = "X", in a call description whose .service = "y"
        # (set just before it) names the signing service.
        for m in re.finditer(r'\.action\s*=\s*' + camel, c):
            a = m.group(1)
            svc = re.findall(r'\.service\s*=\s*"([a-z0-9-]+)"', c[max(0, m.start() - 400):m.start()])
            found.setdefault('%s:%s' % (svc[-1] if svc else service_of(a), a), set()).add(name + ' (D)')
    return found

def policy_actions(path):
    doc = json.load(open(path))
    acts = set()
    for st in doc['Statement']:
        a = st['Action']
        acts |= set([a] if isinstance(a, str) else a)
    return acts

def walk(x):
    if isinstance(x, dict):
        for k, v in x.items():
            yield k, v
            yield from walk(v)
    elif isinstance(x, list):
        for v in x:
            yield from walk(v)

def tf_actions(path, doc_name):
    # Only the named aws_iam_policy_document: a role's trust document also
    # lists sts:AssumeRole, which is not a permission of the role.
    t = open(path).read()
    m = re.search(r'data "aws_iam_policy_document" "%s" \{' % re.escape(doc_name), t)
    depth, i = 1, m.end()
    while depth and i < len(t):
        depth += {'{': 1, '}': -1}.get(t[i], 0)
        i += 1
    t = t[m.end():i]
    acts = set()
    for m in re.finditer(r'actions\s*=\s*\[(.*?)\]', t, re.S):
        acts |= set(re.findall(r'"([a-z0-9-]+:[A-Za-z*]+)"', m.group(1)))
    return acts

if what == 'json':
    for p in sys.argv[4:]:
        try:
            json.load(open(p))
            print('ok %s' % os.path.basename(p))
        except Exception as e:
            print('bad %s: %s' % (os.path.basename(p), e))
elif what == 'yaml':
    p = sys.argv[4]
    text = open(p).read()
    try:
        doc = parse_yaml(text)
    except YamlError as e:
        print('parse-error %s' % e)
        sys.exit(0)
    print('parsed')
    try:
        import yaml
        class L(yaml.SafeLoader):
            pass
        # Scalars compare as text: the subset reader does not type them.
        def norm(x):
            if isinstance(x, dict):
                return {k: norm(v) for k, v in x.items()}
            if isinstance(x, list):
                return [norm(v) for v in x]
            return x if x is None or isinstance(x, str) else str(x)
        L.add_multi_constructor('!', lambda l, tag, node: {'!' + tag: (
            l.construct_sequence(node, deep=True) if isinstance(node, yaml.SequenceNode) else
            l.construct_mapping(node, deep=True) if isinstance(node, yaml.MappingNode) else
            l.construct_scalar(node))})
        print('pyyaml-same' if norm(yaml.load(text, Loader=L)) == doc else 'pyyaml-differs')
    except ImportError:
        print('pyyaml-absent')
    print('version %s' % doc.get('AWSTemplateFormatVersion'))
    print('parameters %s' % ' '.join(sorted(doc.get('Parameters', {}))))
    print('default-rolename %s' % doc['Parameters']['RoleName'].get('Default'))
    roles = [r for r in doc.get('Resources', {}).values() if r.get('Type') == 'AWS::IAM::Role']
    print('roles %d' % len(roles))
    acts = set()
    for k, v in walk(roles[0]['Properties'].get('Policies', [])):
        if k == 'Action':
            acts |= set([v] if isinstance(v, str) else v)
    print('cfn-actions %s' % ' '.join(sorted(acts)))
    trust = roles[0]['Properties']['AssumeRolePolicyDocument']['Statement'][0]
    print('trust-principal %s' % json.dumps(trust['Principal']['AWS'], sort_keys=True))
    print('trust-condition %s' % json.dumps(trust.get('Condition'), sort_keys=True))
elif what == 'actions':
    for k, v in sorted(code_actions().items()):
        print('%s %s' % (k, ','.join(sorted(v))))
elif what == 'policy':
    print(' '.join(sorted(policy_actions(sys.argv[4]))))
elif what == 'tf':
    print(' '.join(sorted(tf_actions(sys.argv[4], sys.argv[5]))))
elif what == 'balanced':
    t = open(sys.argv[4]).read()
    # Drop comments and strings, then count brackets in order.
    t = re.sub(r'"(?:\\.|[^"\\])*"', '""', t)
    t = re.sub(r'(#|//)[^\n]*|/\*.*?\*/', '', t, flags=re.S)
    stack, pairs = [], {')': '(', ']': '[', '}': '{'}
    for ch in t:
        if ch in '([{':
            stack.append(ch)
        elif ch in pairs:
            if not stack or stack.pop() != pairs[ch]:
                print('unbalanced')
                sys.exit(0)
    print('balanced' if not stack else 'unbalanced')
PY
py() { "$PYTHON3" "$TMP/iamkit.py" "$SI_SRCDIR" "$IAM" "$@"; }

# --- JSON ----------------------------------------------------------------------
for f in base-identity-policy inspection-role-permissions inspection-role-trust \
	organization-reader-permissions; do
	[ -f "$IAM/$f.json" ]; check "$f.json exists" $?
done
while read -r st name rest; do
	expect_eq "$name parses as JSON" "$st" ok
done < <(py json "$IAM"/*.json)

# --- CloudFormation ------------------------------------------------------------
CFN=$IAM/cloudformation-inspection-role.yaml
out=$(py yaml "$CFN")
expect_contains "CloudFormation template parses (stdlib YAML subset reader)" "$out" "parsed"
if printf '%s' "$out" | grep -q pyyaml-absent; then
	log "skip - PyYAML not installed: reader not cross-checked"
else
	expect_contains "subset reader agrees with PyYAML" "$out" "pyyaml-same"
fi
expect_contains "template version" "$out" "version 2010-09-09"
expect_contains "parameters TrustedPrincipalArn, ExternalId, RoleName" "$out" \
	"parameters ExternalId RoleName TrustedPrincipalArn"
expect_contains "RoleName defaults to SlashInfraInspection" "$out" "default-rolename SlashInfraInspection"
expect_contains "one IAM role" "$out" "roles 1"
expect_contains "trust names the TrustedPrincipalArn parameter" "$out" \
	'trust-principal {"!Ref": "TrustedPrincipalArn"}'
expect_contains "ExternalId condition is optional (!If HasExternalId)" "$out" '"!If": ["HasExternalId"'
cfn_acts=$(printf '%s\n' "$out" | sed -n 's/^cfn-actions //p')
expect_eq "template grants exactly inspection-role-permissions.json" \
	"$cfn_acts" "$(py policy "$IAM/inspection-role-permissions.json")"
if command -v cfn-lint >/dev/null; then
	lint=$(cfn-lint "$CFN" 2>&1); check "cfn-lint passes" $? "$lint"
else
	log "skip - cfn-lint not installed"
fi

# --- Terraform -----------------------------------------------------------------
for m in aws-app-user aws-app-role; do
	for f in main.tf variables.tf outputs.tf; do
		[ -f "$IAM/terraform/$m/$f" ]; check "terraform/$m/$f exists" $?
	done
done
for f in "$IAM"/terraform/*/*.tf; do
	expect_eq "${f#"$IAM"/} has balanced brackets" "$(py balanced "$f")" balanced
done
if command -v terraform >/dev/null; then
	terraform fmt -check -recursive "$IAM/terraform" >/dev/null 2>&1
	check "terraform fmt -check" $?
else
	log "skip - terraform not installed: fmt not checked (validate needs the provider: never run here)"
fi
for v in name role_arns create_access_key; do
	grep -q "^variable \"$v\"" "$IAM/terraform/aws-app-user/variables.tf"; check "aws-app-user variable $v" $?
done
for v in trusted_principal_arns role_name external_id allow_list_accounts; do
	grep -q "^variable \"$v\"" "$IAM/terraform/aws-app-role/variables.tf"; check "aws-app-role variable $v" $?
done
grep -q '^output "user_arn"' "$IAM/terraform/aws-app-user/outputs.tf"; check "aws-app-user output user_arn" $?
grep -q '^output "role_arn"' "$IAM/terraform/aws-app-role/outputs.tf"; check "aws-app-role output role_arn" $?
expect_eq "aws-app-user grants exactly base-identity-policy.json" \
	"$(py tf "$IAM/terraform/aws-app-user/main.tf" assume_roles)" "$(py policy "$IAM/base-identity-policy.json")"
expect_eq "aws-app-role grants exactly inspection + organisation reader" \
	"$(py tf "$IAM/terraform/aws-app-role/main.tf" permissions)" \
	"$(cat <(py policy "$IAM/inspection-role-permissions.json" | tr ' ' '\n') \
	       <(py policy "$IAM/organization-reader-permissions.json" | tr ' ' '\n') | sort | xargs)"

# --- the kit grants what the code calls, no more ---------------------------------
code=$(py actions)
log "actions found in the code:"; printf '%s\n' "$code" | sed 's/^/    /' >&2
# The resource-type modules (common/search/rt_*.c) declare every action
# they may call in their struct rt_type; the worker prints the union
# (tests/unit/test_registry.c checks each module plans only what it
# declares).
registry=$("$WORKER" --list-actions)
check "slash-infra --list-actions" $? "$registry"
log "actions the registered types declare:"; printf '%s\n' "$registry" | sed 's/^/    /' >&2
code_set=$( { printf '%s\n' "$code" | awk '{print $1}'; printf '%s\n' "$registry"; } |
	sort -u | xargs)
kit_set=$(for f in base-identity-policy inspection-role-permissions organization-reader-permissions; do
	py policy "$IAM/$f.json" | tr ' ' '\n'; done | sort -u | xargs)
[ -n "$code_set" ]; check "actions extracted from common/**/*.c" $?
expect_eq "kit actions == actions the code calls" "$kit_set" "$code_set"
expect_eq "base identity may only assume roles" "$(py policy "$IAM/base-identity-policy.json")" "sts:AssumeRole"
expect_eq "trust policy grants sts:AssumeRole only" "$(py policy "$IAM/inspection-role-trust.json")" "sts:AssumeRole"
for f in inspection-role-permissions organization-reader-permissions; do
	! py policy "$IAM/$f.json" | grep -q '\*'; check "$f: no wildcard actions" $?
done
