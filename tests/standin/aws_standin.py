#!/usr/bin/python3
"""Local AWS stand-in for slash-infra tests, benchmarks and the local demo.

One loopback HTTP endpoint serves STS (query protocol), EC2 (query protocol)
and Organizations (JSON 1.1 protocol).  The service and region are taken from
the SigV4 credential scope, exactly as a client pointed at
AWS_ENDPOINT_URL=http://127.0.0.1:PORT signs them.  Every request is SigV4
verified the way AWS does it (canonical request recomputed from what was
received), and errors use AWS's real envelopes and codes.

Python 3 standard library only.  See README.md next to this file for the
fixture format, the fault kinds and the control API.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import select
import signal
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote
from xml.sax.saxutils import escape

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
ORG_TARGET_PREFIX = "AWSOrganizationsV20161128."

# AWS rejects requests whose X-Amz-Date is more than 5 minutes off.
MAX_SKEW_SECONDS = 300
# Bodies of the APIs we imitate are tiny; a cap keeps a broken client from
# making us buffer without limit.
MAX_BODY_BYTES = 1 << 20
# A "hang" fault waits for the client to give up; this bound keeps a
# forgotten client from pinning a thread forever.
MAX_HANG_SECONDS = 600
# EC2 Describe* MaxResults bounds (AWS: 5..1000).
EC2_MIN_RESULTS, EC2_MAX_RESULTS = 5, 1000
# Organizations ListAccounts MaxResults bounds (AWS: 1..20, default 20).
ORG_MAX_RESULTS = 20
# STS AssumeRole DurationSeconds bounds (AWS: 900..43200, role max 3600 by default).
STS_MIN_DURATION, STS_MAX_DURATION = 900, 43200

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")

STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32,
               "terminated": 48, "stopping": 64, "stopped": 80}

FAULT_KINDS = {"latency": True, "sts-access-denied": False, "ec2-unauthorized": False,
               "throttle": True, "throttle-count": True, "http500": False,
               "malformed-xml": False, "hang": False, "refuse": False,
               "expire-credentials": None, "huge-answer": True}

SIG_MISMATCH_MSG = ("The request signature we calculated does not match the signature you "
                    "provided. Check your AWS Secret Access Key and signing method. Consult "
                    "the service documentation for details.")
EC2_AUTH_MSG = "AWS was not able to validate the provided access credentials"
BAD_TOKEN_MSG = "The security token included in the request is invalid."
EXPIRED_TOKEN_MSG = "The security token included in the request is expired"


# --------------------------------------------------------------------------
# SigV4 (server side)
# --------------------------------------------------------------------------

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def uri_encode(text, keep_slash):
    """SigV4 URI encoding: everything but unreserved (and '/' in paths) as %XX."""
    out = []
    for b in text.encode("utf-8"):
        if b in _UNRESERVED or (keep_slash and b == 0x2F):
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def normalize_path(path):
    """Remove '.'/'..' segments and empty segments, as AWS does for non-S3 services."""
    segs = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if segs:
                segs.pop()
            continue
        segs.append(seg)
    out = "/" + "/".join(segs)
    if segs and path.endswith("/"):
        out += "/"
    return out


def canonical_query(raw_query):
    if not raw_query:
        return ""
    pairs = []
    for part in raw_query.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        pairs.append((uri_encode(unquote(k), False), uri_encode(unquote(v), False)))
    pairs.sort()
    return "&".join("%s=%s" % kv for kv in pairs)


def _trim_value(value):
    return re.sub(r"\s+", " ", value).strip()


def canonical_request(method, raw_path, raw_query, header_pairs, signed_headers, body,
                      normalize=True):
    """Build the canonical request from what was received.

    header_pairs: list of (name, value) in received order (duplicates allowed).
    signed_headers: list of lower-case names from SignedHeaders.
    Raises KeyError(name) when a signed header was not received.
    """
    path = raw_path or "/"
    if normalize:
        path = normalize_path(path)
    lines = [method, uri_encode(path, True), canonical_query(raw_query)]
    for name in signed_headers:
        vals = [_trim_value(v) for n, v in header_pairs if n.lower() == name]
        if not vals:
            raise KeyError(name)
        lines.append("%s:%s" % (name, ",".join(vals)))
    lines.append("")
    lines.append(";".join(signed_headers))
    lines.append(hashlib.sha256(body).hexdigest())
    return "\n".join(lines)


def string_to_sign(amz_date, scope, creq):
    return "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                      hashlib.sha256(creq.encode("utf-8")).hexdigest()])


def signing_key(secret, date, region, service):
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def compute_signature(secret, date, region, service, sts):
    return hmac.new(signing_key(secret, date, region, service), sts.encode("utf-8"),
                    hashlib.sha256).hexdigest()


_AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256\s+(.*)$", re.S)


def parse_authorization(value):
    """Return dict(akid, date, region, service, signed_headers, signature) or None."""
    m = _AUTH_RE.match(value.strip())
    if not m:
        return None
    fields = {}
    for part in m.group(1).split(","):
        k, sep, v = part.strip().partition("=")
        if not sep:
            return None
        fields[k] = v
    try:
        cred = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        sig = fields["Signature"]
    except KeyError:
        return None
    if len(cred) != 5 or cred[4] != "aws4_request" or not all(cred) or not sig:
        return None
    return {"akid": cred[0], "date": cred[1], "region": cred[2], "service": cred[3],
            "signed_headers": signed, "signature": sig}


# --------------------------------------------------------------------------
# XML / JSON helpers
# --------------------------------------------------------------------------

def X(name, *children, text=None):
    """Tiny XML element builder: X('a', X('b', text='1')) -> '<a><b>1</b></a>'."""
    if text is not None:
        if text == "":
            return "<%s/>" % name
        return "<%s>%s</%s>" % (name, escape(str(text)), name)
    inner = "".join(c for c in children if c)
    if not inner:
        return "<%s/>" % name
    return "<%s>%s</%s>" % (name, inner, name)


def xbool(v):
    return "true" if v else "false"


def new_request_id():
    return str(uuid.uuid4())


class Reply:
    """What the handler should do: send a response, hang, or refuse."""

    def __init__(self, status=200, body=b"", ctype="text/xml;charset=UTF-8", mode="normal",
                 headers=None):
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")
        self.ctype = ctype
        self.mode = mode
        self.headers = headers or {}


def ec2_error(status, code, msg):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n' +
            X("Response", X("Errors", X("Error", X("Code", text=code), X("Message", text=msg))),
              X("RequestID", text=new_request_id())))
    return Reply(status, body)


def sts_error(status, code, msg, etype="Sender"):
    rid = new_request_id()
    body = ('<ErrorResponse xmlns="%s">\n  ' % STS_NS +
            X("Error", X("Type", text=etype), X("Code", text=code), X("Message", text=msg)) +
            "\n  " + X("RequestId", text=rid) + "\n</ErrorResponse>\n")
    return Reply(status, body, headers={"x-amzn-RequestId": rid})


def json_error(status, etype, msg):
    rid = new_request_id()
    body = json.dumps({"__type": etype, "Message": msg})
    return Reply(status, body, ctype="application/x-amz-json-1.1",
                 headers={"x-amzn-RequestId": rid, "x-amzn-ErrorType": etype})


# Authentication failures per protocol: (sts, ec2, json) -> (status, code, message-or-None)
_AUTH_ERRORS = {
    "missing": ((403, "MissingAuthenticationToken", "Request is missing Authentication Token"),
                (401, "MissingAuthenticationToken",
                 "The request must contain either a valid (registered) AWS access key ID or "
                 "X.509 certificate."),
                (400, "MissingAuthenticationTokenException", "Missing Authentication Token")),
    "incomplete": ((400, "IncompleteSignature", None), (401, "AuthFailure", EC2_AUTH_MSG),
                   (400, "IncompleteSignatureException", None)),
    "unknown_key": ((403, "InvalidClientTokenId", BAD_TOKEN_MSG),
                    (401, "AuthFailure", EC2_AUTH_MSG),
                    (400, "UnrecognizedClientException", BAD_TOKEN_MSG)),
    "bad_sig": ((403, "SignatureDoesNotMatch", None), (401, "AuthFailure", EC2_AUTH_MSG),
                (400, "InvalidSignatureException", None)),
    "bad_token": ((403, "InvalidClientTokenId", BAD_TOKEN_MSG),
                  (401, "AuthFailure", EC2_AUTH_MSG),
                  (400, "UnrecognizedClientException", BAD_TOKEN_MSG)),
    "expired_token": ((403, "ExpiredToken", EXPIRED_TOKEN_MSG),
                      (400, "RequestExpired", "Request has expired."),
                      (400, "ExpiredTokenException", EXPIRED_TOKEN_MSG)),
}


def auth_error(proto, kind, msg=None):
    sts, ec2, js = _AUTH_ERRORS[kind]
    if proto == "sts":
        st, code, m = sts
        return sts_error(st, code, m or msg)
    if proto == "ec2":
        st, code, m = ec2
        return ec2_error(st, code, m or msg)
    st, code, m = js
    return json_error(st, code, m or msg)


class ApiError(Exception):
    def __init__(self, reply):
        super().__init__("api error")
        self.reply = reply


# --------------------------------------------------------------------------
# Fixture
# --------------------------------------------------------------------------

_REGION_NAMES = ["us-east-1", "eu-west-2", "eu-west-1", "us-west-2", "eu-central-1",
                 "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "us-east-2",
                 "us-west-1", "ca-central-1", "eu-north-1", "eu-west-3", "ap-south-1",
                 "sa-east-1", "ap-northeast-2", "eu-south-1", "af-south-1", "me-south-1",
                 "ap-east-1"]


def _h(*parts, n=17):
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


def private_dns(ip, region):
    suffix = "ec2.internal" if region == "us-east-1" else "%s.compute.internal" % region
    return "ip-%s.%s" % (ip.replace(".", "-"), suffix)


def public_dns(ip, region):
    suffix = ("compute-1.amazonaws.com" if region == "us-east-1"
              else "%s.compute.amazonaws.com" % region)
    return "ec2-%s.%s" % (ip.replace(".", "-"), suffix)


def _mac(seed):
    h = _h(seed, "mac", n=10)
    return "02:" + ":".join(h[i:i + 2] for i in range(0, 10, 2))


class FixtureError(Exception):
    pass


def _norm_eni(raw, account, region, az_default, vpc_default, subnet_default, instance=None,
              device_index=0, launch_time=None):
    eid = raw.get("id") or "eni-" + _h(account, region, instance["id"] if instance else "",
                                       str(device_index))
    pip = raw["private_ip"]
    pub = raw.get("public_ip")
    eni = {
        "id": eid, "account": account, "region": region,
        "az": raw.get("az", az_default), "vpc": raw.get("vpc", vpc_default),
        "subnet": raw.get("subnet", subnet_default),
        "description": raw.get("description",
                               "Primary network interface" if instance and device_index == 0
                               else ""),
        "interface_type": raw.get("interface_type", "interface"),
        "requester_id": raw.get("requester_id"),
        "requester_managed": bool(raw.get("requester_managed", bool(raw.get("requester_id")))),
        "status": raw.get("status", "in-use"),
        "mac": raw.get("mac", _mac(eid)),
        "private_ip": pip,
        "private_dns": private_dns(pip, region),
        "secondary_private_ips": list(raw.get("secondary_private_ips", [])),
        "ipv6": list(raw.get("ipv6", [])),
        "public_ip": pub,
        "public_dns": public_dns(pub, region) if pub else None,
        "ip_owner": raw.get("ip_owner", "amazon"),
        "instance_id": instance["id"] if instance else None,
        "device_index": device_index,
        "attach_time": launch_time or raw.get("attach_time", "2024-01-01T00:00:00.000Z"),
        "attachment_owner": raw.get("attachment_owner"),
        "tags": dict(raw.get("tags", {})),
    }
    return eni


def _norm_instance(raw, account, region):
    iid = raw["id"]
    if not re.match(r"^i-([0-9a-f]{8}|[0-9a-f]{17})$", iid):
        raise FixtureError("bad instance id %r" % iid)
    state = raw.get("state", "running")
    if state not in STATE_CODES:
        raise FixtureError("bad state %r for %s" % (state, iid))
    az = raw.get("az", region + "a")
    launch = raw.get("launch_time", "2024-01-01T00:00:00.000Z")
    inst = {
        "id": iid, "account": account, "region": region, "az": az,
        "type": raw.get("type", "t3.micro"), "state": state,
        "launch_time": launch, "image": raw.get("image", "ami-" + _h(iid, "ami")),
        "vpc": raw.get("vpc"), "subnet": raw.get("subnet"),
        "key_name": raw.get("key_name"), "tags": dict(raw.get("tags", {})),
        "reservation": raw.get("reservation", "r-" + _h(account, iid, "r")),
        "platform": raw.get("platform"),
        "private_ip": None, "public_ip": None, "private_dns": "", "public_dns": "",
        "enis": [],
    }
    if state == "terminated":
        return inst
    pip = raw.get("private_ip")
    if not pip:
        raise FixtureError("instance %s has no private_ip" % iid)
    pub = raw.get("public_ip") if state in ("running", "pending", "stopping") else None
    primary = {"id": raw.get("eni_id"), "private_ip": pip, "public_ip": pub,
               "secondary_private_ips": raw.get("secondary_private_ips", []),
               "ipv6": raw.get("ipv6", [])}
    inst["enis"].append(_norm_eni(primary, account, region, az, inst["vpc"], inst["subnet"],
                                  inst, 0, launch))
    for idx, extra in enumerate(raw.get("extra_enis", []), start=1):
        e = dict(extra)
        if state not in ("running", "pending", "stopping"):
            e.pop("public_ip", None)
        inst["enis"].append(_norm_eni(e, account, region, az, inst["vpc"], inst["subnet"],
                                      inst, idx, launch))
    inst["private_ip"] = pip
    inst["private_dns"] = raw.get("private_dns", private_dns(pip, region))
    inst["public_ip"] = pub
    inst["public_dns"] = public_dns(pub, region) if pub else ""
    return inst


class World:
    """Normalized, indexed fixture.  Read-only after construction."""

    def __init__(self, doc):
        base = doc.get("base_identity") or {}
        for k in ("access_key_id", "secret_access_key", "arn"):
            if not base.get(k):
                raise FixtureError("base_identity.%s missing" % k)
        self.base = dict(base)
        self.base["account"] = base["arn"].split(":")[4]
        org = doc.get("organization") or {}
        self.org_id = org.get("id", "o-exampleorg1")
        self.management_account = org.get("management_account", self.base["account"])
        self.accounts = {}
        self.account_order = []
        self.roles = {}
        seen_ids = set()
        for acc in doc.get("accounts", []):
            aid = str(acc["id"])
            if not re.match(r"^\d{12}$", aid):
                raise FixtureError("account id must be 12 digits: %r" % aid)
            if aid in self.accounts:
                raise FixtureError("duplicate account %s" % aid)
            a = {"id": aid, "name": acc.get("name", aid),
                 "email": acc.get("email", "aws+%s@example.com" % aid),
                 "status": acc.get("status", "ACTIVE"),
                 "joined_method": acc.get("joined_method",
                                          "CREATED" if aid != self.management_account
                                          else "INVITED"),
                 "joined_timestamp": acc.get("joined_timestamp", 1.5e9),
                 "regions": {}}
            for role in acc.get("roles", []):
                arn = role["arn"]
                if arn.split(":")[4] != aid:
                    raise FixtureError("role %s not in account %s" % (arn, aid))
                self.roles[arn] = {"arn": arn, "account": aid,
                                   "external_id": role.get("external_id"),
                                   "max_session_duration": int(role.get(
                                       "max_session_duration", 3600))}
            for rname, rdoc in acc.get("regions", {}).items():
                insts = [_norm_instance(i, aid, rname) for i in rdoc.get("instances", [])]
                enis = []
                for i in insts:
                    if i["id"] in seen_ids:
                        raise FixtureError("duplicate instance id %s" % i["id"])
                    seen_ids.add(i["id"])
                    enis.extend(i["enis"])
                for e in rdoc.get("network_interfaces", []):
                    enis.append(_norm_eni(e, aid, rname, e.get("az", rname + "a"),
                                          e.get("vpc"), e.get("subnet")))
                a["regions"][rname] = {"instances": insts, "enis": enis}
            self.accounts[aid] = a
            self.account_order.append(aid)


def generate_org(n_accounts, n_regions, per_region, seed=1, role_name="InfraSearchReadOnly",
                 external_id=None):
    """Deterministically synthesize a large organisation (fixture document)."""
    rng = random.Random(seed)
    n_regions = max(1, min(n_regions, len(_REGION_NAMES)))
    envs = ["production", "staging", "dev", "qa"]
    roles = ["web", "api", "worker", "db", "cache", "batch", "bastion"]
    accounts = []
    for ai in range(n_accounts):
        aid = "%012d" % (400000000000 + ai)
        env = envs[ai % len(envs)]
        regions = {}
        for ri, rname in enumerate(_REGION_NAMES[:n_regions]):
            vpc = "vpc-" + "%017x" % rng.getrandbits(68)
            subnet = "subnet-" + "%017x" % rng.getrandbits(68)
            insts = []
            for k in range(per_region):
                role = roles[rng.randrange(len(roles))]
                inst = {
                    "id": "i-%017x" % rng.getrandbits(68),
                    "type": rng.choice(["t3.micro", "t3.large", "m5.xlarge", "c6g.large"]),
                    "state": "running" if rng.random() < 0.85 else "stopped",
                    "launch_time": "2025-%02d-%02dT%02d:00:00.000Z" % (
                        rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23)),
                    "vpc": vpc, "subnet": subnet, "az": rname + "abc"[k % 3],
                    "private_ip": "10.%d.%d.%d" % (ai % 250, ri * 16 + (k // 250) % 16,
                                                   k % 250 + 4),
                    "key_name": "deploy",
                    "tags": {"Name": "%s-%s-%03d" % (env, role, k), "Environment": env,
                             "Role": role},
                }
                if rng.random() < 0.3:
                    inst["public_ip"] = "3.%d.%d.%d" % (rng.randint(0, 255), rng.randint(0, 255),
                                                        rng.randint(1, 254))
                insts.append(inst)
            regions[rname] = {"instances": insts, "network_interfaces": []}
        role = {"arn": "arn:aws:iam::%s:role/%s" % (aid, role_name)}
        if external_id:
            role["external_id"] = external_id
        accounts.append({"id": aid, "name": "acct-%03d-%s" % (ai, env), "roles": [role],
                         "regions": regions})
    return accounts


# --------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------

def parse_fault_spec(spec):
    """'ACCOUNT:KIND[:ARG][@SERVICE]' -> dict."""
    service = None
    if "@" in spec:
        spec, service = spec.rsplit("@", 1)
    parts = spec.split(":")
    if len(parts) < 2:
        raise ValueError("fault must be ACCOUNT:KIND[:ARG]: %r" % spec)
    f = {"account": parts[0], "kind": parts[1], "service": service}
    if len(parts) > 2:
        f["arg"] = parts[2]
    return f


class Fault:
    def __init__(self, d):
        self.account = str(d.get("account", "*"))
        self.kind = d.get("kind")
        if self.kind not in FAULT_KINDS:
            raise ValueError("unknown fault kind %r" % self.kind)
        # True: the argument is required; None: optional; False: none.
        if FAULT_KINDS[self.kind] is True and d.get("arg") is None:
            raise ValueError("fault %s needs an argument" % self.kind)
        if FAULT_KINDS[self.kind] is not False and d.get("arg") not in (None, ""):
            self.arg = float(d["arg"])
        else:
            self.arg = None
        self.service = d.get("service") or None
        if self.service not in (None, "sts", "ec2", "organizations"):
            raise ValueError("bad fault service %r" % self.service)
        self.first = None
        self.count = 0

    def matches(self, account, service):
        return ((self.account == "*" or self.account == account) and
                (self.service is None or self.service == service))

    def as_dict(self):
        return {"account": self.account, "kind": self.kind, "arg": self.arg,
                "service": self.service, "count": self.count}


# --------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------

def wildcard_regex(pattern):
    """AWS filter value: '*' any run, '?' one char, backslash escapes; case-sensitive."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return re.compile("^" + "".join(out) + "$", re.S)


def _all_private_ips(enis):
    out = []
    for e in enis:
        out.append(e["private_ip"])
        out.extend(e["secondary_private_ips"])
    return out


def instance_field(inst, name):
    enis = inst["enis"]
    if name.startswith("tag:"):
        key = name[4:]
        return [inst["tags"][key]] if key in inst["tags"] else []
    simple = {
        "instance-id": [inst["id"]],
        "private-ip-address": [inst["private_ip"]] if inst["private_ip"] else [],
        "ip-address": [inst["public_ip"]] if inst["public_ip"] else [],
        "private-dns-name": [inst["private_dns"]] if inst["private_dns"] else [],
        "dns-name": [inst["public_dns"]] if inst["public_dns"] else [],
        "instance-state-name": [inst["state"]],
        "instance-state-code": [str(STATE_CODES[inst["state"]])],
        "instance-type": [inst["type"]],
        "availability-zone": [inst["az"]],
        "vpc-id": [inst["vpc"]] if inst["vpc"] and enis else [],
        "subnet-id": [inst["subnet"]] if inst["subnet"] and enis else [],
        "image-id": [inst["image"]],
        "key-name": [inst["key_name"]] if inst["key_name"] else [],
        "reservation-id": [inst["reservation"]],
        "tag-key": list(inst["tags"].keys()),
        "tag-value": list(inst["tags"].values()),
        "network-interface.addresses.private-ip-address": _all_private_ips(enis),
        "network-interface.private-dns-name": [e["private_dns"] for e in enis],
        "network-interface.ipv6-addresses.ipv6-address": [a for e in enis for a in e["ipv6"]],
        "ipv6-address": [a for e in enis for a in e["ipv6"]],
        "network-interface.network-interface-id": [e["id"] for e in enis],
        "network-interface.addresses.association.public-ip":
            [e["public_ip"] for e in enis if e["public_ip"]],
        "network-interface.association.public-ip":
            [e["public_ip"] for e in enis if e["public_ip"]],
    }
    if name not in simple:
        return None
    return simple[name]


def eni_field(eni, name):
    if name.startswith("tag:"):
        key = name[4:]
        return [eni["tags"][key]] if key in eni["tags"] else []
    simple = {
        "addresses.private-ip-address": [eni["private_ip"]] + eni["secondary_private_ips"],
        "private-ip-address": [eni["private_ip"]],
        "private-dns-name": [eni["private_dns"]],
        "association.public-ip": [eni["public_ip"]] if eni["public_ip"] else [],
        "ipv6-addresses.ipv6-address": list(eni["ipv6"]),
        "network-interface-id": [eni["id"]],
        "attachment.instance-id": [eni["instance_id"]] if eni["instance_id"] else [],
        "interface-type": [eni["interface_type"]],
        "requester-id": [eni["requester_id"]] if eni["requester_id"] else [],
        "requester-managed": [xbool(eni["requester_managed"])],
        "description": [eni["description"]],
        "vpc-id": [eni["vpc"]] if eni["vpc"] else [],
        "subnet-id": [eni["subnet"]] if eni["subnet"] else [],
        "availability-zone": [eni["az"]],
        "status": [eni["status"]],
        "mac-address": [eni["mac"]],
    }
    if name not in simple:
        return None
    return simple[name]


def parse_filters(params):
    """Filter.N.Name / Filter.N.Value.M -> [(name, [regex...], [raw...])]."""
    names = {}
    values = {}
    for k, v in params.items():
        m = re.match(r"^Filter\.(\d+)\.Name$", k)
        if m:
            names[int(m.group(1))] = v
            continue
        m = re.match(r"^Filter\.(\d+)\.Value\.(\d+)$", k)
        if m:
            values.setdefault(int(m.group(1)), []).append((int(m.group(2)), v))
    out = []
    for n in sorted(names):
        vals = [v for _, v in sorted(values.get(n, []))]
        out.append((names[n], [wildcard_regex(v) for v in vals], vals))
    return out


def indexed_list(params, prefix):
    items = []
    for k, v in params.items():
        m = re.match(r"^%s\.(\d+)$" % re.escape(prefix), k)
        if m:
            items.append((int(m.group(1)), v))
    return [v for _, v in sorted(items)]


def apply_filters(objs, filters, field_fn):
    for name, _, _ in filters:
        probe = field_fn(objs[0], name) if objs else None
        if objs and probe is None:
            raise ApiError(ec2_error(400, "InvalidParameterValue",
                                     "The filter '%s' is invalid" % name))
    out = []
    for o in objs:
        ok = True
        for name, regs, _ in filters:
            vals = field_fn(o, name)
            if not any(r.match(v) for r in regs for v in vals):
                ok = False
                break
        if ok:
            out.append(o)
    return out


# --------------------------------------------------------------------------
# State and request processing
# --------------------------------------------------------------------------

class Standin:
    def __init__(self, world, faults, latency_ms=0, credential_ttl=None, log=True):
        self.world = world
        self.startup_faults = [dict(f) for f in faults]
        self.lock = threading.Lock()
        self.faults = [Fault(f) for f in faults]
        self.latency_ms = latency_ms
        self.credential_ttl = credential_ttl
        self.log_enabled = log
        self.creds = {}  # akid -> temp credential dict
        # Secrets of credentials forgotten on purpose, still reported by
        # /_control/issued-secrets so a test's leak check covers them too.
        self.forgotten_secrets = []
        self.stats = Counter()
        self.token_key = secrets.token_bytes(16)
        self.stopping = threading.Event()

    # ---- control API -------------------------------------------------------
    def control(self, method, path, body):
        try:
            doc = json.loads(body.decode("utf-8")) if body.strip() else {}
        except ValueError:
            return Reply(400, json.dumps({"error": "bad json"}), ctype="application/json")
        with self.lock:
            if method == "GET" and path == "/_control/stats":
                out = {"total": self.stats.get("total", 0), "by_action": {}, "by_account": {},
                       "by_region": {}, "by_status": {}, "by_key": {}}
                for k, v in self.stats.items():
                    if isinstance(k, tuple):
                        out["by_" + k[0]][k[1]] = v
                return Reply(200, json.dumps(out, sort_keys=True), ctype="application/json")
            if method == "GET" and path == "/_control/faults":
                return Reply(200, json.dumps([f.as_dict() for f in self.faults]),
                             ctype="application/json")
            if method == "GET" and path == "/_control/issued-secrets":
                # Test-only: every secret this stand-in knows (the base secret
                # and each issued secret key and session token), so a test can
                # grep everything it captured and prove none of them leaked.
                out = [self.fixture_base_secret()] if self.fixture_base_secret() else []
                for c in self.creds.values():
                    out.extend(v for v in (c.get("secret"), c.get("token")) if v)
                out.extend(self.forgotten_secrets)
                return Reply(200, json.dumps(out), ctype="application/json")
            if method == "GET" and path == "/_control/health":
                return Reply(200, '{"ok":true}', ctype="application/json")
            if method == "POST" and path == "/_control/fault":
                specs = doc.get("faults", [doc]) if isinstance(doc, dict) else doc
                try:
                    new = [Fault(s) for s in specs]
                except (ValueError, TypeError, AttributeError) as e:
                    return Reply(400, json.dumps({"error": str(e)}), ctype="application/json")
                self.faults.extend(new)
                return Reply(200, json.dumps({"ok": True, "faults": len(self.faults)}),
                             ctype="application/json")
            if method == "POST" and path == "/_control/forget-credentials":
                # The endpoint loses the sessions it issued (a credential
                # store reset, a rotated signing key): every temporary key
                # issued so far (for one account, or all) is now unknown,
                # though not expired, and is answered as AWS answers an
                # unknown key (InvalidClientTokenId / AuthFailure /
                # UnrecognizedClientException). Stats and faults are kept.
                account = doc.get("account") if isinstance(doc, dict) else None
                gone = [k for k, c in self.creds.items()
                        if account is None or c["account"] == str(account)]
                self._forget(gone)
                return Reply(200, json.dumps({"ok": True, "forgotten": len(gone)}),
                             ctype="application/json")
            if method == "POST" and path in ("/_control/reset", "/_control/clear-faults"):
                self.faults = ([] if path.endswith("clear-faults")
                               else [Fault(f) for f in self.startup_faults])
                if path.endswith("reset"):
                    self.stats.clear()
                    if isinstance(doc, dict) and doc.get("credentials"):
                        self._forget(list(self.creds))
                return Reply(200, '{"ok":true}', ctype="application/json")
        return Reply(404, json.dumps({"error": "unknown control path"}),
                     ctype="application/json")

    # ---- helpers -----------------------------------------------------------
    def _forget(self, akids):
        """Drop issued credentials (lock held), keeping their secrets for the leak check."""
        for k in akids:
            c = self.creds.pop(k)
            self.forgotten_secrets.extend(v for v in (c.get("secret"), c.get("token")) if v)
        # Bounded like self.creds: a long benchmark keeps the newest only.
        del self.forgotten_secrets[:-20000]

    def fixture_base_secret(self):
        return self.world.base.get("secret_access_key")

    def count(self, action, account, region, status):
        with self.lock:
            self.stats["total"] += 1
            self.stats[("action", action or "-")] += 1
            self.stats[("account", account or "-")] += 1
            self.stats[("region", region or "-")] += 1
            self.stats[("status", str(status))] += 1
            self.stats[("key", "%s:%s:%s" % (action or "-", account or "-", region or "-"))] += 1

    def active_faults(self, account, service):
        with self.lock:
            return [f for f in self.faults if f.matches(account, service)]

    def fault_throttles(self, fault):
        with self.lock:
            fault.count += 1
            now = time.monotonic()
            if fault.kind == "throttle":
                if fault.first is None:
                    fault.first = now
                return now - fault.first < fault.arg
            return fault.count <= fault.arg

    def fault_fires(self, fault):
        """A fault with a count argument fires for its first N matching calls only."""
        with self.lock:
            if fault.arg is None:
                return True
            fault.count += 1
            return fault.count <= fault.arg

    def make_token(self, scope, offset):
        mac = hmac.new(self.token_key, ("%s|%d" % (scope, offset)).encode(),
                       hashlib.sha256).hexdigest()[:24]
        raw = json.dumps({"o": offset, "m": mac}).encode()
        return base64.b64encode(raw).decode()

    def read_token(self, scope, token):
        try:
            doc = json.loads(base64.b64decode(token.encode(), validate=True))
            off = int(doc["o"])
            ok = hmac.compare_digest(doc["m"], hmac.new(
                self.token_key, ("%s|%d" % (scope, off)).encode(),
                hashlib.sha256).hexdigest()[:24])
        except (ValueError, KeyError, TypeError):
            return None
        return off if ok and off >= 0 else None

    # ---- authentication ----------------------------------------------------
    def authenticate(self, req, proto):
        """Return (identity dict, auth dict) or raise ApiError."""
        hdr = req["headers_lc"].get("authorization")
        if not hdr:
            raise ApiError(auth_error(proto, "missing"))
        auth = parse_authorization(hdr)
        if auth is None:
            raise ApiError(auth_error(proto, "incomplete",
                                      "Authorization header requires 'Credential', "
                                      "'SignedHeaders' and 'Signature' parameters. "
                                      "Authorization=" + hdr.split(" ")[0]))
        amz_date = req["headers_lc"].get("x-amz-date", "")
        if "host" not in auth["signed_headers"] or not amz_date:
            raise ApiError(auth_error(proto, "incomplete",
                                      "Authorization header must sign 'host' and carry "
                                      "X-Amz-Date"))
        akid = auth["akid"]
        with self.lock:
            temp = self.creds.get(akid)
        if akid == self.world.base["access_key_id"]:
            ident = {"kind": "base", "secret": self.world.base["secret_access_key"],
                     "account": self.world.base["account"], "arn": self.world.base["arn"],
                     "token": None}
        elif temp is not None:
            ident = temp
        else:
            raise ApiError(auth_error(proto, "unknown_key"))
        try:
            req_time = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            raise ApiError(auth_error(proto, "incomplete",
                                      "Date must be in ISO-8601 'basic format'. Got '%s'."
                                      % amz_date))
        now = datetime.datetime.now(datetime.timezone.utc)
        fmt = "%Y%m%dT%H%M%SZ"
        if req_time < now - datetime.timedelta(seconds=MAX_SKEW_SECONDS):
            raise ApiError(auth_error(proto, "bad_sig",
                                      "Signature expired: %s is now earlier than %s (%s - 5 min.)"
                                      % (amz_date, (now - datetime.timedelta(minutes=5))
                                         .strftime(fmt), now.strftime(fmt))))
        if req_time > now + datetime.timedelta(seconds=MAX_SKEW_SECONDS):
            raise ApiError(auth_error(proto, "bad_sig",
                                      "Signature not yet current: %s is still later than %s "
                                      "(%s + 5 min.)" % (amz_date, (now + datetime.timedelta(
                                          minutes=5)).strftime(fmt), now.strftime(fmt))))
        if auth["date"] != amz_date[:8]:
            raise ApiError(auth_error(proto, "bad_sig",
                                      "Date in Credential scope does not match YYYYMMDD from "
                                      "ISO-8601 version of date from HTTP: '%s' != '%s', from "
                                      "'%s'." % (auth["date"], amz_date[:8], amz_date)))
        try:
            creq = canonical_request(req["method"], req["path"], req["query"], req["headers"],
                                     auth["signed_headers"], req["body"])
        except KeyError:
            raise ApiError(auth_error(proto, "bad_sig", SIG_MISMATCH_MSG))
        scope = "/".join([auth["date"], auth["region"], auth["service"], "aws4_request"])
        want = compute_signature(ident["secret"], auth["date"], auth["region"],
                                 auth["service"], string_to_sign(amz_date, scope, creq))
        if not hmac.compare_digest(want, auth["signature"]):
            raise ApiError(auth_error(proto, "bad_sig", SIG_MISMATCH_MSG))
        token = req["headers_lc"].get("x-amz-security-token")
        if ident["token"] is None:
            if token:
                raise ApiError(auth_error(proto, "bad_token"))
        else:
            if not token or not hmac.compare_digest(token, ident["token"]):
                raise ApiError(auth_error(proto, "bad_token"))
            if time.time() >= ident["expires"]:
                raise ApiError(auth_error(proto, "expired_token"))
        return ident, auth

    # ---- dispatch ----------------------------------------------------------
    def handle(self, req, log):
        """Process one AWS request; returns Reply.  log: dict filled for the log line."""
        hl = req["headers_lc"]
        auth_hdr = parse_authorization(hl.get("authorization", "")) or {}
        service = auth_hdr.get("service")
        if service is None:
            if hl.get("x-amz-target", "").startswith(ORG_TARGET_PREFIX):
                service = "organizations"
            elif req["params"].get("Action") in ("AssumeRole", "GetCallerIdentity"):
                service = "sts"
            else:
                service = "ec2"
        proto = {"sts": "sts", "ec2": "ec2", "organizations": "json"}.get(service)
        log["service"] = service
        log["region"] = auth_hdr.get("region")
        if proto == "json":
            log["action"] = hl.get("x-amz-target", "")[len(ORG_TARGET_PREFIX):] or "-"
        else:
            log["action"] = req["params"].get("Action")
        if proto is None:
            return json_error(400, "UnknownServiceException",
                              "The stand-in does not serve service '%s'" % service)
        try:
            ident, auth = self.authenticate(req, proto)
            log["account"] = ident["account"]
            action = log["action"]
            fault_account = ident["account"]
            if proto == "sts" and action == "AssumeRole":
                parts = req["params"].get("RoleArn", "").split(":")
                if len(parts) > 4:
                    fault_account = parts[4]
                    log["account"] = fault_account
            if proto == "ec2" and ident["kind"] != "temp":
                raise ApiError(ec2_error(403, "UnauthorizedOperation",
                                         "You are not authorized to perform this operation."))
            faults = self.active_faults(fault_account, service)
            r = self.apply_faults(faults, proto, log)
            if r is not None:
                return r
            if proto == "sts":
                reply = self.sts(action, req["params"], ident, faults)
            elif proto == "ec2":
                reply = self.ec2(action, req["params"], ident, auth["region"], faults)
            else:
                reply = self.orgs(action, req["body"], ident)
            if reply.status == 200 and any(f.kind == "malformed-xml" for f in faults):
                reply.body = reply.body[:max(1, len(reply.body) // 2)]
            huge = [f for f in faults if f.kind == "huge-answer"]
            if reply.status == 200 and huge and proto == "ec2" and action.startswith(
                    "Describe"):
                reply.body = huge_answer(action, int(huge[0].arg)).encode()
            return reply
        except ApiError as e:
            return e.reply

    def apply_faults(self, faults, proto, log):
        delay = sum(f.arg for f in faults if f.kind == "latency")
        if delay > 0:
            self.stopping.wait(delay / 1000.0)
        for f in faults:
            if f.kind == "refuse":
                return Reply(mode="refuse")
            if f.kind == "hang":
                return Reply(mode="hang")
        for f in faults:
            if f.kind in ("throttle", "throttle-count") and self.fault_throttles(f):
                if proto == "ec2":
                    return ec2_error(503, "RequestLimitExceeded", "Request limit exceeded.")
                if proto == "sts":
                    return sts_error(400, "Throttling", "Rate exceeded")
                return json_error(400, "TooManyRequestsException",
                                  "AWS Organizations can't complete your request because "
                                  "another request is already in progress. Try again later.")
        for f in faults:
            if f.kind == "http500":
                if proto == "ec2":
                    return ec2_error(500, "InternalError", "An internal error has occurred")
                if proto == "sts":
                    return sts_error(500, "InternalFailure", "An internal error occurred",
                                     etype="Receiver")
                return json_error(500, "ServiceException",
                                  "AWS Organizations can't complete your request because it "
                                  "encountered an internal error. Try again later.")
        return None

    # ---- STS ---------------------------------------------------------------
    def sts(self, action, params, ident, faults):
        rid = new_request_id()
        if action == "GetCallerIdentity":
            user_id = (ident.get("role_id", "") + ":" + ident.get("session", "")
                       if ident["kind"] == "temp" else "AIDA" + _h(ident["arn"], n=17).upper())
            body = ('<GetCallerIdentityResponse xmlns="%s">' % STS_NS +
                    X("GetCallerIdentityResult", X("Arn", text=ident["arn"]),
                      X("UserId", text=user_id), X("Account", text=ident["account"])) +
                    X("ResponseMetadata", X("RequestId", text=rid)) +
                    "</GetCallerIdentityResponse>")
            return Reply(200, body, headers={"x-amzn-RequestId": rid})
        if action != "AssumeRole":
            return sts_error(400, "InvalidAction",
                             "Could not find operation %s for version 2011-06-15" % action)
        role_arn = params.get("RoleArn")
        session = params.get("RoleSessionName")
        if not role_arn or not session:
            missing = "roleArn" if not role_arn else "roleSessionName"
            return sts_error(400, "ValidationError",
                             "1 validation error detected: Value null at '%s' failed to "
                             "satisfy constraint: Member must not be null" % missing)
        if not re.match(r"^[\w+=,.@-]{2,64}$", session):
            return sts_error(400, "ValidationError",
                             "1 validation error detected: Value '%s' at 'roleSessionName' "
                             "failed to satisfy constraint: Member must satisfy regular "
                             "expression pattern: [\\w+=,.@-]*" % session)
        duration = 3600
        if params.get("DurationSeconds"):
            try:
                duration = int(params["DurationSeconds"])
            except ValueError:
                duration = -1
            if not STS_MIN_DURATION <= duration <= STS_MAX_DURATION:
                return sts_error(400, "ValidationError",
                                 "1 validation error detected: Value '%s' at 'durationSeconds' "
                                 "failed to satisfy constraint: Member must have value between "
                                 "900 and 43200" % params["DurationSeconds"])
        denied = sts_error(403, "AccessDenied",
                           "User: %s is not authorized to perform: sts:AssumeRole on resource: %s"
                           % (ident["arn"], role_arn))
        role = self.world.roles.get(role_arn)
        if role is None or any(f.kind == "sts-access-denied" for f in faults):
            return denied
        if role["external_id"] is not None and params.get("ExternalId") != role["external_id"]:
            return denied
        if duration > role["max_session_duration"]:
            return sts_error(400, "ValidationError",
                             "The requested DurationSeconds exceeds the MaxSessionDuration set "
                             "for this role.")
        ttl = self.credential_ttl if self.credential_ttl is not None else duration
        if any(f.kind == "expire-credentials" and self.fault_fires(f) for f in faults):
            ttl = 0
        now = time.time()
        expires = now + ttl
        akid = "ASIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
                                for _ in range(16))
        secret = base64.b64encode(secrets.token_bytes(30)).decode()
        token = "IQoJb3JpZ2luX2VjE" + base64.b64encode(secrets.token_bytes(180)).decode()
        role_name = role_arn.split("/")[-1]
        role_id = "AROA" + _h(role_arn, n=17).upper()
        cred = {"kind": "temp", "secret": secret, "token": token, "expires": expires,
                "account": role["account"], "role_arn": role_arn, "session": session,
                "role_id": role_id,
                "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (role["account"], role_name,
                                                               session)}
        with self.lock:
            # Drop credentials that expired long ago so a long benchmark run stays bounded.
            if len(self.creds) > 10000:
                for k in [k for k, c in self.creds.items() if c["expires"] < now - 3600]:
                    del self.creds[k]
            self.creds[akid] = cred
        exp_s = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        body = ('<AssumeRoleResponse xmlns="%s">\n' % STS_NS +
                X("AssumeRoleResult",
                  X("AssumedRoleUser", X("AssumedRoleId", text=role_id + ":" + session),
                    X("Arn", text=cred["arn"])),
                  X("Credentials", X("AccessKeyId", text=akid),
                    X("SecretAccessKey", text=secret), X("SessionToken", text=token),
                    X("Expiration", text=exp_s))) + "\n" +
                X("ResponseMetadata", X("RequestId", text=rid)) + "\n</AssumeRoleResponse>\n")
        return Reply(200, body, headers={"x-amzn-RequestId": rid})

    # ---- EC2 ---------------------------------------------------------------
    def ec2(self, action, params, ident, region, faults):
        account = self.world.accounts.get(ident["account"])
        if account is None or region not in account["regions"]:
            # AWS answers AuthFailure for a region the account has not enabled.
            return ec2_error(401, "AuthFailure", EC2_AUTH_MSG)
        if any(f.kind == "ec2-unauthorized" for f in faults):
            return ec2_error(403, "UnauthorizedOperation",
                             "You are not authorized to perform this operation.")
        rdata = account["regions"][region]
        if action == "DescribeInstances":
            return self.describe_instances(params, account, region, rdata)
        if action == "DescribeNetworkInterfaces":
            return self.describe_enis(params, account, region, rdata)
        if action == "DescribeRegions":
            items = [X("item", X("regionName", text=r),
                       X("regionEndpoint", text="ec2.%s.amazonaws.com" % r),
                       X("optInStatus", text="opt-in-not-required"))
                     for r in sorted(account["regions"])]
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<DescribeRegionsResponse xmlns="%s">' % EC2_NS +
                    X("requestId", text=new_request_id()) + X("regionInfo", *items) +
                    "</DescribeRegionsResponse>")
            return Reply(200, body)
        return ec2_error(400, "InvalidAction",
                         "The action %s is not valid for this web service." % action)

    def _paging(self, params, scope, total, ids_given):
        max_results = params.get("MaxResults")
        token = params.get("NextToken")
        if max_results is not None and ids_given:
            raise ApiError(ec2_error(400, "InvalidParameterCombination",
                                     "The parameter instancesSet cannot be used with the "
                                     "parameter maxResults"))
        start = 0
        if token:
            start = self.read_token(scope, token)
            if start is None or start > total:
                raise ApiError(ec2_error(400, "InvalidPaginationToken",
                                         "Invalid pagination token"))
        if max_results is None:
            return start, total
        try:
            n = int(max_results)
        except ValueError:
            n = -1
        if not EC2_MIN_RESULTS <= n <= EC2_MAX_RESULTS:
            raise ApiError(ec2_error(400, "InvalidParameterValue",
                                     "Value ( %s ) for parameter maxResults is invalid. Expecting "
                                     "a value between %d and %d." % (max_results, EC2_MIN_RESULTS,
                                                                     EC2_MAX_RESULTS)))
        return start, min(total, start + n)

    def _scope(self, action, account, region, params):
        keep = sorted((k, v) for k, v in params.items()
                      if k not in ("NextToken", "MaxResults", "Version", "Action"))
        return "%s|%s|%s|%s" % (action, account["id"], region, json.dumps(keep))

    def describe_instances(self, params, account, region, rdata):
        ids = indexed_list(params, "InstanceId")
        for i in ids:
            if not re.match(r"^i-([0-9a-f]{8}|[0-9a-f]{17})$", i):
                raise ApiError(ec2_error(400, "InvalidInstanceID.Malformed",
                                         'Invalid id: "%s"' % i))
        insts = rdata["instances"]
        if ids:
            by_id = {i["id"]: i for i in insts}
            missing = [i for i in ids if i not in by_id]
            if len(missing) == 1:
                raise ApiError(ec2_error(400, "InvalidInstanceID.NotFound",
                                         "The instance ID '%s' does not exist" % missing[0]))
            if missing:
                raise ApiError(ec2_error(400, "InvalidInstanceID.NotFound",
                                         "The instance IDs '%s' do not exist"
                                         % ", ".join(missing)))
            seen = set()
            insts = [by_id[i] for i in ids if not (i in seen or seen.add(i))]
        filters = parse_filters(params)
        insts = apply_filters(insts, filters, instance_field)
        scope = self._scope("DescribeInstances", account, region, params)
        start, end = self._paging(params, scope, len(insts), bool(ids))
        page = insts[start:end]
        reservations = []
        for inst in page:
            if reservations and reservations[-1][0] == inst["reservation"]:
                reservations[-1][1].append(inst)
            else:
                reservations.append((inst["reservation"], [inst]))
        res_xml = [X("item", X("reservationId", text=rid), X("ownerId", text=account["id"]),
                     X("groupSet"), X("instancesSet", *[instance_xml(i) for i in group]))
                   for rid, group in reservations]
        token = self.make_token(scope, end) if end < len(insts) else None
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<DescribeInstancesResponse xmlns="%s">' % EC2_NS +
                X("requestId", text=new_request_id()) + X("reservationSet", *res_xml) +
                (X("nextToken", text=token) if token else "") + "</DescribeInstancesResponse>")
        return Reply(200, body)

    def describe_enis(self, params, account, region, rdata):
        ids = indexed_list(params, "NetworkInterfaceId")
        for i in ids:
            if not re.match(r"^eni-([0-9a-f]{8}|[0-9a-f]{17})$", i):
                raise ApiError(ec2_error(400, "InvalidNetworkInterfaceID.Malformed",
                                         'Invalid id: "%s" (expecting "eni-...")' % i))
        enis = rdata["enis"]
        if ids:
            by_id = {e["id"]: e for e in enis}
            missing = [i for i in ids if i not in by_id]
            if missing:
                raise ApiError(ec2_error(400, "InvalidNetworkInterfaceID.NotFound",
                                         "The networkInterface ID '%s' does not exist"
                                         % missing[0]))
            enis = [by_id[i] for i in dict.fromkeys(ids)]
        enis = apply_filters(enis, parse_filters(params), eni_field)
        scope = self._scope("DescribeNetworkInterfaces", account, region, params)
        max_results = params.get("MaxResults")
        if max_results is not None and ids:
            raise ApiError(ec2_error(400, "InvalidParameterCombination",
                                     "The parameter NetworkInterfaceIds cannot be used with the "
                                     "parameter maxResults"))
        start, end = self._paging(params, scope, len(enis), False)
        token = self.make_token(scope, end) if end < len(enis) else None
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<DescribeNetworkInterfacesResponse xmlns="%s">' % EC2_NS +
                X("requestId", text=new_request_id()) +
                X("networkInterfaceSet", *[eni_xml(e, standalone=True)
                                           for e in enis[start:end]]) +
                (X("nextToken", text=token) if token else "") +
                "</DescribeNetworkInterfacesResponse>")
        return Reply(200, body)

    # ---- Organizations -----------------------------------------------------
    def orgs(self, action, body, ident):
        if action != "ListAccounts":
            return json_error(400, "UnknownOperationException", "Unknown operation " + action)
        if ident["account"] != self.world.management_account:
            return json_error(400, "AccessDeniedException",
                              "You don't have permissions to access this resource.")
        try:
            doc = json.loads(body.decode("utf-8")) if body.strip() else {}
            if not isinstance(doc, dict):
                raise ValueError
        except ValueError:
            return json_error(400, "SerializationException", "Start of structure or map found "
                              "where not expected.")
        n = doc.get("MaxResults", ORG_MAX_RESULTS)
        if not isinstance(n, int) or not 1 <= n <= ORG_MAX_RESULTS:
            return json_error(400, "InvalidInputException",
                              "You provided a value that does not match the required pattern.")
        ids = self.world.account_order
        scope = "ListAccounts|%s" % self.world.org_id
        start = 0
        if doc.get("NextToken") is not None:
            start = self.read_token(scope, str(doc["NextToken"]))
            if start is None or start > len(ids):
                return json_error(400, "InvalidInputException",
                                  "You provided an invalid value for NextToken.")
        end = min(len(ids), start + n)
        accs = []
        for aid in ids[start:end]:
            a = self.world.accounts[aid]
            accs.append({"Id": aid,
                         "Arn": "arn:aws:organizations::%s:account/%s/%s" % (
                             self.world.management_account, self.world.org_id, aid),
                         "Email": a["email"], "Name": a["name"], "Status": a["status"],
                         "JoinedMethod": a["joined_method"],
                         "JoinedTimestamp": a["joined_timestamp"]})
        out = {"Accounts": accs}
        if end < len(ids):
            out["NextToken"] = self.make_token(scope, end)
        return Reply(200, json.dumps(out), ctype="application/x-amz-json-1.1",
                     headers={"x-amzn-RequestId": new_request_id()})


def _assoc_xml(eni):
    if not eni["public_ip"]:
        return ""
    return X("association", X("publicIp", text=eni["public_ip"]),
             X("publicDnsName", text=eni["public_dns"]), X("ipOwnerId", text=eni["ip_owner"]))


def eni_xml(e, standalone):
    """One networkInterfaceSet item (DescribeInstances or DescribeNetworkInterfaces shape)."""
    ips = [X("item", X("privateIpAddress", text=e["private_ip"]),
             X("privateDnsName", text=e["private_dns"]), X("primary", text="true"),
             _assoc_xml(e))]
    for ip in e["secondary_private_ips"]:
        ips.append(X("item", X("privateIpAddress", text=ip),
                     X("privateDnsName", text=private_dns(ip, e["region"])),
                     X("primary", text="false")))
    if e["instance_id"]:
        attach = X("attachment", X("attachmentId", text="eni-attach-" + _h(e["id"], "a")),
                   X("instanceId", text=e["instance_id"]) if standalone else "",
                   X("instanceOwnerId", text=e["account"]) if standalone else "",
                   X("deviceIndex", text=str(e["device_index"])), X("status", text="attached"),
                   X("attachTime", text=e["attach_time"]),
                   X("deleteOnTermination", text=xbool(e["device_index"] == 0)))
    elif e["attachment_owner"]:
        attach = X("attachment", X("attachmentId", text="eni-attach-" + _h(e["id"], "a")),
                   X("instanceOwnerId", text=e["attachment_owner"]),
                   X("deviceIndex", text="1"), X("status", text="attached"),
                   X("attachTime", text=e["attach_time"]),
                   X("deleteOnTermination", text="false"))
    else:
        attach = ""
    tags = X("tagSet", *[X("item", X("key", text=k), X("value", text=v))
                         for k, v in e["tags"].items()])
    return X("item",
             X("networkInterfaceId", text=e["id"]),
             X("subnetId", text=e["subnet"] or ""), X("vpcId", text=e["vpc"] or ""),
             X("availabilityZone", text=e["az"]) if standalone else "",
             X("description", text=e["description"]),
             X("ownerId", text=e["account"]),
             X("requesterId", text=e["requester_id"]) if standalone and e["requester_id"]
             else "",
             X("requesterManaged", text=xbool(e["requester_managed"])) if standalone else "",
             X("status", text=e["status"]),
             X("macAddress", text=e["mac"]),
             X("privateIpAddress", text=e["private_ip"]),
             X("privateDnsName", text=e["private_dns"]),
             X("sourceDestCheck", text="true"),
             X("groupSet", *([X("item", X("groupId", text="sg-" + _h(e["vpc"] or "", "sg")),
                                  X("groupName", text="default"))]
                             if e["interface_type"] in ("interface",) else [])),
             attach,
             _assoc_xml(e),
             tags if standalone else "",
             X("privateIpAddressesSet", *ips),
             X("ipv6AddressesSet", *[X("item", X("ipv6Address", text=a)) for a in e["ipv6"]]),
             X("interfaceType", text=e["interface_type"]))


def huge_answer(action, n):
    """A well-formed answer of n empty items ("<item/>", 7 bytes each): the
    cheapest document to send and, parsed into a tree, the dearest to hold."""
    set_name = "reservationSet" if action == "DescribeInstances" else "networkInterfaceSet"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s">' % (action, EC2_NS) +
            X("requestId", text=new_request_id()) + "<%s>" % set_name + "<item/>" * n +
            "</%s></%sResponse>" % (set_name, action))


def instance_xml(i):
    running = i["enis"] != []
    tags = [X("item", X("key", text=k), X("value", text=v)) for k, v in i["tags"].items()]
    return X("item",
             X("instanceId", text=i["id"]),
             X("imageId", text=i["image"]),
             X("instanceState", X("code", text=str(STATE_CODES[i["state"]])),
               X("name", text=i["state"])),
             X("privateDnsName", text=i["private_dns"]),
             X("dnsName", text=i["public_dns"]),
             X("reason", text=""),
             X("keyName", text=i["key_name"]) if i["key_name"] else "",
             X("amiLaunchIndex", text="0"),
             X("productCodes"),
             X("instanceType", text=i["type"]),
             X("launchTime", text=i["launch_time"]),
             X("placement", X("availabilityZone", text=i["az"]), X("groupName", text=""),
               X("tenancy", text="default")),
             X("platform", text=i["platform"]) if i["platform"] else "",
             X("monitoring", X("state", text="disabled")),
             X("subnetId", text=i["subnet"]) if running and i["subnet"] else "",
             X("vpcId", text=i["vpc"]) if running and i["vpc"] else "",
             X("privateIpAddress", text=i["private_ip"]) if i["private_ip"] else "",
             X("ipAddress", text=i["public_ip"]) if i["public_ip"] else "",
             X("sourceDestCheck", text="true") if running else "",
             X("groupSet"),
             X("architecture", text="x86_64"),
             X("rootDeviceType", text="ebs"),
             X("rootDeviceName", text="/dev/xvda"),
             X("blockDeviceMapping"),
             X("virtualizationType", text="hvm"),
             X("clientToken", text=""),
             X("tagSet", *tags) if tags else "",
             X("hypervisor", text="xen"),
             X("networkInterfaceSet", *[eni_xml(e, standalone=False) for e in i["enis"]]),
             X("ebsOptimized", text="false"))


# --------------------------------------------------------------------------
# HTTP server
# --------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    # Headers and body go out in separate writes; without TCP_NODELAY a
    # kept-alive connection waits ~40 ms for the delayed ACK between them.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    def version_string(self):
        return "AmazonStandin"

    def log_message(self, fmt, *args):  # silence http.server's default access log
        pass

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def _send(self, reply):
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.ctype)
        self.send_header("Content-Length", str(len(reply.body)))
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(reply.body)

    def _hang(self, standin):
        """Never answer; return once the client has closed (or bounds are hit)."""
        deadline = time.monotonic() + MAX_HANG_SECONDS
        conn = self.connection
        while time.monotonic() < deadline and not standin.stopping.is_set():
            r, _, _ = select.select([conn], [], [], 0.2)
            if r:
                try:
                    if conn.recv(1, socket.MSG_PEEK) == b"":
                        break
                except OSError:
                    break
                time.sleep(0.2)  # pipelined bytes: keep waiting, but do not spin
        self.close_connection = True

    def _handle(self):
        standin = self.server.standin
        t0 = time.monotonic()
        path, _, query = self.path.partition("?")
        length = self.headers.get("Content-Length")
        try:
            n = int(length) if length else 0
        except ValueError:
            n = -1
        if n < 0 or n > MAX_BODY_BYTES:
            self.close_connection = True
            self._send(Reply(413, "request body too large or bad Content-Length",
                             ctype="text/plain"))
            return
        body = self.rfile.read(n) if n else b""
        if path.startswith("/_control/"):
            self._send(standin.control(self.command, path, body))
            return
        if standin.latency_ms:
            standin.stopping.wait(standin.latency_ms / 1000.0)
        params = dict(parse_qsl(query, keep_blank_values=True))
        ctype = self.headers.get("Content-Type", "")
        if self.command == "POST" and "x-www-form-urlencoded" in ctype:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        headers = list(self.headers.items())
        req = {"method": self.command, "path": path, "query": query, "headers": headers,
               "headers_lc": {k.lower(): v for k, v in headers}, "body": body,
               "params": params}
        log = {}
        reply = standin.handle(req, log)
        status = {"hang": "hang", "refuse": "refuse"}.get(reply.mode, reply.status)
        standin.count(log.get("action"), log.get("account"), log.get("region"), status)
        if standin.log_enabled:
            sys.stderr.write("aws-standin: %s %s %s account=%s region=%s status=%s ms=%d\n" % (
                self.command, log.get("service"), log.get("action"), log.get("account", "-"),
                log.get("region"), status, (time.monotonic() - t0) * 1000))
            sys.stderr.flush()
        if reply.mode == "refuse":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if reply.mode == "hang":
            self._hang(standin)
            return
        self._send(reply)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True


def make_server(host, port, handler):
    if host not in LOOPBACK_HOSTS:
        raise ValueError("refusing to bind to non-loopback address %r" % host)
    if host == "localhost":
        host = "127.0.0.1"
    cls = Server
    if ":" in host:
        class Server6(Server):
            address_family = socket.AF_INET6
        cls = Server6
    return cls((host, port), handler)


def announce(server, port_file):
    port = server.server_address[1]
    if port_file:
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, port_file)
    sys.stdout.write("%d\n" % port)
    sys.stdout.flush()


def serve_until_signal(server, on_stop=None):
    def stop(signum, frame):
        if on_stop:
            on_stop()
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


def build_world(args):
    doc = {}
    if args.fixture:
        with open(args.fixture, encoding="utf-8") as f:
            doc = json.load(f)
    if args.generate_org:
        a, r, i = args.generate_org
        role_name = "InfraSearchReadOnly"
        ext = None
        if doc.get("accounts"):
            first = (doc["accounts"][0].get("roles") or [{}])[0]
            if first.get("arn"):
                role_name = first["arn"].split("/")[-1]
            ext = first.get("external_id")
        doc = dict(doc)
        doc["accounts"] = generate_org(a, r, i, seed=args.seed, role_name=role_name,
                                       external_id=ext)
        if "base_identity" not in doc:
            doc["base_identity"] = {
                "access_key_id": "AKIASTANDINBASE00001",
                "secret_access_key": "standinBaseSecretKey/0000000000000000000",
                "arn": "arn:aws:iam::%s:user/slash-infra" % doc["accounts"][0]["id"]}
        doc["organization"] = {"id": "o-generated01",
                               "management_account": doc["base_identity"]["arn"].split(":")[4]}
    return World(doc), doc.get("faults", [])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1", help="127.0.0.1 or ::1 only")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--fixture", help="fixture JSON (see README.md)")
    p.add_argument("--generate-org", type=int, nargs=3,
                   metavar=("ACCOUNTS", "REGIONS", "INSTANCES_PER_REGION"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--latency-ms", type=float, default=0)
    p.add_argument("--credential-ttl", type=float, default=None,
                   help="lifetime in seconds of issued credentials (overrides DurationSeconds)")
    p.add_argument("--fault", action="append", default=[],
                   help="ACCOUNT:KIND[:ARG][@SERVICE], repeatable")
    p.add_argument("--quiet", action="store_true", help="no per-request log lines")
    args = p.parse_args(argv)
    if args.host not in LOOPBACK_HOSTS:
        sys.stderr.write("aws-standin: refusing non-loopback bind address %r\n" % args.host)
        return 2
    if not args.fixture and not args.generate_org:
        args.fixture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixture.json")
    try:
        world, faults = build_world(args)
        faults = list(faults) + [parse_fault_spec(s) for s in args.fault]
        standin = Standin(world, faults, args.latency_ms, args.credential_ttl,
                          log=not args.quiet)
    except (OSError, ValueError, KeyError, FixtureError) as e:
        sys.stderr.write("aws-standin: %s\n" % e)
        return 2
    server = make_server(args.host, args.port, Handler)
    server.standin = standin
    announce(server, args.port_file)
    serve_until_signal(server, on_stop=standin.stopping.set)
    return 0


if __name__ == "__main__":
    sys.exit(main())
