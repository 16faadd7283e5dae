#!/usr/bin/python3
"""Local AWS stand-in for slash-infra tests, benchmarks and the local demo.

One loopback HTTP endpoint serves STS (query protocol), EC2 (EC2 query
protocol), Organizations (JSON 1.1), Elastic Load Balancing classic and v2,
RDS and Auto Scaling (query protocol), Route 53 (REST-XML, global, signed for
us-east-1) and Lambda (REST-JSON).  The service and region are taken from the
SigV4 credential scope, exactly as a client pointed at
AWS_ENDPOINT_URL=http://127.0.0.1:PORT signs them.  Every request is SigV4
verified the way AWS does it (canonical request recomputed from what was
received: method, path, sorted query, signed headers, body hash), and errors
use AWS's real envelopes and codes.

Python 3 standard library only.  See README.md next to this file for the
fixture format, the fault kinds and the control API.
"""

import argparse
import base64
import datetime
import gc
import hashlib
import hmac
import ipaddress
import json
import os
import random
import re
import secrets
import select
import signal
import socket
import ssl
import sys
import threading
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote
from xml.sax.saxutils import escape

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
ELB_NS = "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/"
ELBV2_NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
RDS_NS = "http://rds.amazonaws.com/doc/2014-10-31/"
ASG_NS = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
R53_NS = "https://route53.amazonaws.com/doc/2013-04-01/"
ORG_TARGET_PREFIX = "AWSOrganizationsV20161128."

# Signing name -> protocol family.  "query" services answer <ErrorResponse>
# in their own namespace; "restxml" is Route 53, "restjson" is Lambda.
SERVICE_PROTO = {"sts": "sts", "ec2": "ec2", "organizations": "json",
                 "elasticloadbalancing": "query", "rds": "query", "autoscaling": "query",
                 "route53": "restxml", "lambda": "restjson"}
# Query services: (signing name, Version) -> (API name, namespace).  ELB
# classic and v2 share the endpoint and signing name; Version tells them apart.
QUERY_APIS = {("elasticloadbalancing", "2012-06-01"): ("elb", ELB_NS),
              ("elasticloadbalancing", "2015-12-01"): ("elbv2", ELBV2_NS),
              ("rds", "2014-10-31"): ("rds", RDS_NS),
              ("autoscaling", "2011-01-01"): ("autoscaling", ASG_NS)}
QUERY_DEFAULT_NS = {"elasticloadbalancing": ELBV2_NS, "rds": RDS_NS, "autoscaling": ASG_NS}
# Services holding account data: only credentials from this stand-in's
# AssumeRole may call them, and they honour the "unauthorized" fault.
DATA_SERVICES = ("ec2", "elasticloadbalancing", "rds", "autoscaling", "route53", "lambda")
R53_REGION = "us-east-1"

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
# Page sizes of the other services (AWS's documented bounds and defaults).
ELB_MAX_PAGE = 400            # PageSize 1..400
RDS_MIN_RECORDS, RDS_MAX_RECORDS = 20, 100   # MaxRecords, default 100
ASG_MAX_RECORDS, ASG_DEFAULT_RECORDS = 100, 50
R53_MAX_ZONES = 100           # ListHostedZones maxitems (default and cap)
R53_MAX_RECORDS = 300         # ListResourceRecordSets maxitems (default and cap)
LAMBDA_MAX_ITEMS, LAMBDA_DEFAULT_ITEMS = 10000, 50
# Organizations ListAccounts MaxResults bounds (AWS: 1..20, default 20).
ORG_MAX_RESULTS = 20
# STS AssumeRole DurationSeconds bounds (AWS: 900..43200, role max 3600 by default).
STS_MIN_DURATION, STS_MAX_DURATION = 900, 43200

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")

STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32,
               "terminated": 48, "stopping": 64, "stopped": 80}
# EC2 keeps a terminated instance visible in DescribeInstances for about an
# hour ("Terminated instances remain visible after termination (for
# approximately one hour)", TerminateInstances); the stand-in forgets it this
# many seconds of its own clock after the termination time.
DEFAULT_TERMINATED_RETENTION = 3600
# What EC2 says about an instance terminated through the API: the reason
# string (the time in GMT, as in botocore's captured DescribeInstances sample)
# and the stateReason code and message.
USER_TERMINATED_REASON = "User initiated (%Y-%m-%d %H:%M:%S GMT)"
USER_SHUTDOWN_STATE_REASON = ("Client.UserInitiatedShutdown",
                              "Client.UserInitiatedShutdown: User initiated shutdown")

FAULT_KINDS = {"latency": True, "sts-access-denied": False, "ec2-unauthorized": False,
               "unauthorized": False,
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


def query_error(status, code, msg, ns, etype="Sender"):
    """The query / REST-XML envelope (STS, ELB, RDS, Auto Scaling, Route 53)."""
    rid = new_request_id()
    body = ('<ErrorResponse xmlns="%s">\n  ' % ns +
            X("Error", X("Type", text=etype), X("Code", text=code), X("Message", text=msg)) +
            "\n  " + X("RequestId", text=rid) + "\n</ErrorResponse>\n")
    return Reply(status, body, headers={"x-amzn-RequestId": rid})


def sts_error(status, code, msg, etype="Sender"):
    return query_error(status, code, msg, STS_NS, etype)


def json_error(status, etype, msg):
    rid = new_request_id()
    body = json.dumps({"__type": etype, "Message": msg})
    return Reply(status, body, ctype="application/x-amz-json-1.1",
                 headers={"x-amzn-RequestId": rid, "x-amzn-ErrorType": etype})


def rest_json_error(status, code, msg, key="message", etype="User", headers=None):
    """Lambda's REST-JSON error: the code only in x-amzn-ErrorType, the body
    {"Type": "User", "message": ...} (front-end auth errors carry only
    "message"; AccessDeniedException spells it "Message")."""
    rid = new_request_id()
    doc = {"Type": etype} if etype else {}
    doc[key] = msg
    hdrs = {"x-amzn-RequestId": rid, "x-amzn-ErrorType": code}
    hdrs.update(headers or {})
    return Reply(status, json.dumps(doc), ctype="application/json", headers=hdrs)


# Authentication failures: kind -> protocol -> (status, code, message-or-None).
# The query services and Route 53 answer as STS does (in their namespace).
_STS_AUTH = {
    "missing": (403, "MissingAuthenticationToken", "Request is missing Authentication Token"),
    "incomplete": (400, "IncompleteSignature", None),
    "unknown_key": (403, "InvalidClientTokenId", BAD_TOKEN_MSG),
    "bad_sig": (403, "SignatureDoesNotMatch", None),
    "bad_token": (403, "InvalidClientTokenId", BAD_TOKEN_MSG),
    "expired_token": (403, "ExpiredToken", EXPIRED_TOKEN_MSG),
}
_AUTH_ERRORS = {
    "sts": _STS_AUTH, "query": _STS_AUTH, "restxml": _STS_AUTH,
    "ec2": {
        "missing": (401, "MissingAuthenticationToken",
                    "The request must contain either a valid (registered) AWS access key ID "
                    "or X.509 certificate."),
        "incomplete": (401, "AuthFailure", EC2_AUTH_MSG),
        "unknown_key": (401, "AuthFailure", EC2_AUTH_MSG),
        "bad_sig": (401, "AuthFailure", EC2_AUTH_MSG),
        "bad_token": (401, "AuthFailure", EC2_AUTH_MSG),
        "expired_token": (400, "RequestExpired", "Request has expired."),
    },
    "json": {
        "missing": (400, "MissingAuthenticationTokenException", "Missing Authentication Token"),
        "incomplete": (400, "IncompleteSignatureException", None),
        "unknown_key": (400, "UnrecognizedClientException", BAD_TOKEN_MSG),
        "bad_sig": (400, "InvalidSignatureException", None),
        "bad_token": (400, "UnrecognizedClientException", BAD_TOKEN_MSG),
        "expired_token": (400, "ExpiredTokenException", EXPIRED_TOKEN_MSG),
    },
    "restjson": {
        "missing": (403, "MissingAuthenticationTokenException", "Missing Authentication Token"),
        "incomplete": (403, "IncompleteSignatureException", None),
        "unknown_key": (403, "UnrecognizedClientException", BAD_TOKEN_MSG),
        "bad_sig": (403, "InvalidSignatureException", None),
        "bad_token": (403, "UnrecognizedClientException", BAD_TOKEN_MSG),
        "expired_token": (403, "ExpiredTokenException", EXPIRED_TOKEN_MSG),
    },
}


class Api:
    """Who is being called: signing name, protocol, API name (for stats:
    "ec2", "elb", "elbv2", "rds", "autoscaling", "route53", "lambda", "sts",
    "organizations") and the namespace of its XML envelopes."""

    def __init__(self, service, proto, name, ns=None):
        self.service = service
        self.proto = proto
        self.name = name
        self.ns = ns

    def error(self, status, code, msg, etype="Sender"):
        if self.proto == "ec2":
            return ec2_error(status, code, msg)
        if self.proto in ("sts", "query", "restxml"):
            return query_error(status, code, msg, self.ns or STS_NS, etype)
        if self.proto == "json":
            return json_error(status, code, msg)
        return rest_json_error(status, code, msg, etype="User" if etype == "Sender"
                               else "Service")


def auth_error(api, kind, msg=None):
    """api: an Api, or a protocol name ("sts", "ec2", "json") for the old callers."""
    if isinstance(api, str):
        api = Api(None, api, api, STS_NS if api == "sts" else None)
    st, code, m = _AUTH_ERRORS[api.proto][kind]
    if api.proto == "restjson":
        return rest_json_error(st, code, m or msg, etype=None)
    return api.error(st, code, m or msg)


class ApiError(Exception):
    def __init__(self, reply):
        super().__init__("api error")
        self.reply = reply


class ControlError(Exception):
    """A refused control request: HTTP status and a message."""

    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status
        self.msg = msg


def json_reply(status, doc):
    return Reply(status, json.dumps(doc, sort_keys=True), ctype="application/json")


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


# ---- time ------------------------------------------------------------------

def iso_ms(t):
    """Epoch seconds -> EC2's timestamp form, '2025-03-01T09:00:00.000Z'."""
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


def parse_time(v):
    """Epoch seconds (a number) or an ISO 8601 time with a zone
    ('2026-11-30T03:00:00Z', '2026-11-30T03:00:00.000+00:00') -> epoch
    seconds (float).  ValueError for anything else."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise ValueError("a time is epoch seconds or an ISO 8601 string: %r" % (v,))
    if not isinstance(v, str):
        return float(v)
    s = v.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        d = datetime.datetime.fromisoformat(s)
    except ValueError:
        raise ValueError("not an ISO 8601 time: %r" % v)
    if d.tzinfo is None:
        raise ValueError("time %r has no zone (end it with Z)" % v)
    return d.timestamp()


def user_terminated_reason(t):
    """The StateTransitionReason EC2 writes for a TerminateInstances call."""
    return time.strftime(USER_TERMINATED_REASON, time.gmtime(int(t)))


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
        "sg_ids": raw.get("security_groups"),
        "groups": [],
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
        "enis": [], "sg_ids": raw.get("security_groups"), "groups": [], "block_devices": [],
        # StateTransitionReason and StateReason; for a terminated instance
        # the termination time (epoch seconds, or None when the fixture does
        # not say: then it never expires) and its own retention (None: the
        # stand-in's current default).
        "reason": raw.get("state_transition_reason", ""), "state_reason": None,
        "terminated_at": None, "retain_s": None,
    }
    if state == "terminated":
        if raw.get("terminated_at") is not None:
            try:
                t = parse_time(raw["terminated_at"])
            except ValueError as e:
                raise FixtureError("instance %s: terminated_at: %s" % (iid, e))
            inst["terminated_at"] = t
            inst["reason"] = user_terminated_reason(t)
            inst["state_reason"] = USER_SHUTDOWN_STATE_REASON
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


# ---- the estate beyond instances and ENIs ----------------------------------

_ID_RE = {}


def valid_id(prefix, s):
    """An EC2 resource ID: prefix-<8 or 17 lower-case hex digits>."""
    r = _ID_RE.get(prefix)
    if r is None:
        r = _ID_RE[prefix] = re.compile(r"^%s-([0-9a-f]{8}|[0-9a-f]{17})$" % re.escape(prefix))
    return isinstance(s, str) and bool(r.match(s))


def _need_id(prefix, s, what):
    if not valid_id(prefix, s):
        raise FixtureError("%s: bad %s- id %r" % (what, prefix, s))
    return s


def az_id(az):
    """eu-west-2a -> euw2-az1 (a stable, AWS-shaped zone ID)."""
    m = re.match(r"^([a-z]{2})-([a-z]+)-(\d+)([a-z])$", az or "")
    if not m:
        return ""
    return "%s%s%s-az%d" % (m.group(1), m.group(2)[0], m.group(3), ord(m.group(4)) - 96)


def cidr_size(cidr):
    try:
        return 1 << (32 - int(cidr.split("/")[1]))
    except (IndexError, ValueError):
        return 0


# Canonical hosted zone IDs of load balancers (AWS's published per-region
# values) for the regions the fixtures use; others get a derived one.
ELB_ZONES = {"application": {"eu-west-2": "ZHURV8PSTC4K8", "us-east-1": "Z35SXDOTRQ7X7K",
                             "eu-west-1": "Z32O12XQLNTSW2", "us-west-2": "Z1H1FL5HABSF5"},
             "network": {"eu-west-2": "ZD4D7Y8KGAS4G", "us-east-1": "Z26RNL4JYFTOTI",
                         "eu-west-1": "Z2IFOLAFXWLO4F", "us-west-2": "Z18D5FSROUN65G"}}
ELB_ZONES["classic"] = ELB_ZONES["application"]
ELB_ZONES["gateway"] = {}
RDS_ZONES = {"eu-west-2": "Z1H1FL5HABSF5", "us-east-1": "Z2R2ITUGPM61AM",
             "eu-west-1": "Z29XKXDKYMONMX", "us-west-2": "Z1PVIF0B656C1W"}
LB_TYPE_CODE = {"application": "app", "network": "net", "gateway": "gwy"}


def _zone_for(table, region, seed):
    return table.get(region) or ("Z" + _h(seed, "zone", n=13).upper())


def _tags(raw):
    t = raw.get("tags", {})
    if not isinstance(t, dict):
        raise FixtureError("tags must be an object: %r" % (t,))
    return dict(t)


def _rule(raw, what):
    r = {"protocol": str(raw.get("protocol", "tcp")), "from": raw.get("from"),
         "to": raw.get("to", raw.get("from")), "cidrs": list(raw.get("cidrs", [])),
         "ipv6_cidrs": list(raw.get("ipv6_cidrs", [])), "groups": list(raw.get("groups", [])),
         "description": raw.get("description")}
    if r["protocol"] == "-1":
        r["from"] = r["to"] = None
    for g in r["groups"]:
        _need_id("sg", g, what)
    return r


def _volume(vid, aid, region, raw, atts, az):
    """A normalised volume (raw: its fixture object; atts: its attachments)."""
    vtype = raw.get("type", "gp3")
    return {"id": vid, "account": aid, "region": region, "size": int(raw.get("size", 8)),
            "type": vtype, "iops": raw.get("iops", 3000 if vtype in ("gp3", "io1", "io2")
                                            else None),
            "throughput": raw.get("throughput", 125 if vtype == "gp3" else None),
            "az": az or region + "a", "snapshot": raw.get("snapshot", ""),
            "state": "in-use" if atts else raw.get("state", "available"),
            "create_time": raw.get("create_time", "2024-01-01T00:00:00.000Z"),
            "encrypted": bool(raw.get("encrypted", False)), "attachments": atts,
            "tags": _tags(raw)}


def _norm_estate(aid, region, rdoc, insts, enis):
    """Normalise one account-region's resources beyond instances and ENIs.

    Returns the region dict's extra collections.  References are checked
    (a volume's instance, a target's instance, a NAT gateway's ENI, a cluster
    member, a load balancer's target group) so a broken fixture fails at
    start-up, not as a puzzling answer later.
    """
    by_inst = {i["id"]: i for i in insts}
    by_eni = {e["id"]: e for e in enis}
    out = {}
    seen = set()

    def uniq(kind, rid):
        if (kind, rid) in seen:
            raise FixtureError("duplicate %s %s in %s/%s" % (kind, rid, aid, region))
        seen.add((kind, rid))

    vpcs = []
    for raw in rdoc.get("vpcs", []):
        vid = _need_id("vpc", raw.get("id"), "vpc")
        uniq("vpc", vid)
        cidrs = list(raw.get("cidrs") or [raw.get("cidr", "172.31.0.0/16")])
        vpcs.append({"id": vid, "account": aid, "region": region, "cidrs": cidrs,
                     "ipv6": list(raw.get("ipv6", [])), "state": raw.get("state", "available"),
                     "is_default": bool(raw.get("is_default", False)),
                     "dhcp": raw.get("dhcp_options", "dopt-" + _h(vid, "dopt")),
                     "tenancy": raw.get("tenancy", "default"), "tags": _tags(raw),
                     "default_sg": _need_id("sg", raw.get("default_security_group",
                                                          "sg-" + _h(vid, "sg")), vid)})
    out["vpcs"] = vpcs
    vpc_ids = {v["id"] for v in vpcs}

    subnets = []
    for raw in rdoc.get("subnets", []):
        sid = _need_id("subnet", raw.get("id"), "subnet")
        uniq("subnet", sid)
        vpc = raw.get("vpc")
        if vpc not in vpc_ids:
            raise FixtureError("subnet %s: unknown vpc %r" % (sid, vpc))
        az = raw.get("az", region + "a")
        cidr = raw["cidr"]
        used = sum(1 for e in enis if e["subnet"] == sid
                   for ip in [e["private_ip"]] + e["secondary_private_ips"])
        subnets.append({"id": sid, "account": aid, "region": region, "vpc": vpc, "cidr": cidr,
                        "ipv6": list(raw.get("ipv6", [])), "az": az, "az_id": az_id(az),
                        "state": raw.get("state", "available"),
                        "default_for_az": bool(raw.get("default_for_az", False)),
                        "map_public_ip": bool(raw.get("map_public_ip", False)),
                        "available_ips": max(0, cidr_size(cidr) - 5 - used),
                        "tags": _tags(raw)})
    out["subnets"] = subnets

    sgs = []
    for raw in rdoc.get("security_groups", []):
        gid = _need_id("sg", raw.get("id"), "security group")
        uniq("sg", gid)
        vpc = raw.get("vpc")
        if vpc is not None and vpc not in vpc_ids:
            raise FixtureError("security group %s: unknown vpc %r" % (gid, vpc))
        egress = raw.get("egress")
        if egress is None:
            egress = [{"protocol": "-1", "cidrs": ["0.0.0.0/0"]}]
        sgs.append({"id": gid, "account": aid, "region": region, "vpc": vpc,
                    "name": raw.get("name", gid), "description": raw.get("description",
                                                                        raw.get("name", gid)),
                    "tags": _tags(raw), "ingress": [_rule(r, gid) for r in raw.get("ingress", [])],
                    "egress": [_rule(r, gid) for r in egress]})
    have = {g["id"] for g in sgs}
    for v in vpcs:  # every VPC has its default group
        if v["default_sg"] not in have:
            sgs.append({"id": v["default_sg"], "account": aid, "region": region, "vpc": v["id"],
                        "name": "default", "description": "default VPC security group",
                        "tags": {}, "ingress": [_rule({"protocol": "-1",
                                                      "groups": [v["default_sg"]]}, v["id"])],
                        "egress": [_rule({"protocol": "-1", "cidrs": ["0.0.0.0/0"]}, v["id"])]})
            have.add(v["default_sg"])
    out["security_groups"] = sgs
    sg_names = {g["id"]: g["name"] for g in sgs}
    default_sg = {v["id"]: v["default_sg"] for v in vpcs}

    def groups_of(ids, vpc, what):
        if ids is None:
            if vpc is None:
                return []
            gid = default_sg.get(vpc, "sg-" + _h(vpc, "sg"))
            return [(gid, "default")]
        res = []
        for g in ids:
            if g not in sg_names:
                raise FixtureError("%s: unknown security group %r" % (what, g))
            res.append((g, sg_names[g]))
        return res

    # Instances and ENIs learn their groups (and their block devices below).
    for i in insts:
        i["groups"] = groups_of(i.pop("sg_ids", None), i["vpc"], i["id"]) if i["enis"] else []
        for e in i["enis"]:
            e["groups"] = i["groups"]
        i["block_devices"] = []
    for e in enis:
        if e["instance_id"] is None:
            ids = e.pop("sg_ids", None)
            e["groups"] = (groups_of(ids, e["vpc"], e["id"])
                           if ids is not None or e["interface_type"] == "interface" else [])

    vols = []
    for raw in rdoc.get("volumes", []):
        vid = _need_id("vol", raw.get("id"), "volume")
        uniq("vol", vid)
        atts = []
        az = raw.get("az")
        for a in raw.get("attachments", []):
            inst = by_inst.get(a.get("instance"))
            if inst is None:
                raise FixtureError("volume %s: unknown instance %r" % (vid, a.get("instance")))
            az = az or inst["az"]
            att = {"volume": vid, "instance": inst["id"], "device": a.get("device", "/dev/xvda"),
                   "attach_time": a.get("attach_time", inst["launch_time"]),
                   "delete_on_termination": bool(a.get("delete_on_termination", True)),
                   "state": "attached"}
            atts.append(att)
            inst["block_devices"].append(att)
        vols.append(_volume(vid, aid, region, raw, atts, az))
    out["volumes"] = vols

    images = []
    for raw in rdoc.get("images", []):
        iid = _need_id("ami", raw.get("id"), "image")
        uniq("ami", iid)
        name = raw.get("name", iid)
        images.append({"id": iid, "owner": aid, "region": region, "name": name,
                       "description": raw.get("description", ""),
                       "create_time": raw.get("create_time", "2024-01-01T00:00:00.000Z"),
                       "state": raw.get("state", "available"),
                       "public": bool(raw.get("public", False)),
                       "architecture": raw.get("architecture", "x86_64"),
                       "root_device": raw.get("root_device", "/dev/xvda"),
                       "snapshot": raw.get("snapshot"), "root_size": int(raw.get("root_size", 8)),
                       "volume_type": raw.get("volume_type", "gp3"),
                       "launch_permissions": [str(x) for x in raw.get("launch_permissions", [])],
                       "platform_details": raw.get("platform_details", "Linux/UNIX"),
                       "tags": _tags(raw), "location": "%s/%s" % (aid, name)})
    out["images"] = images

    snaps = []
    for raw in rdoc.get("snapshots", []):
        sid = _need_id("snap", raw.get("id"), "snapshot")
        uniq("snap", sid)
        snaps.append({"id": sid, "owner": aid, "region": region,
                      "volume": raw.get("volume", "vol-ffffffff"),
                      "volume_size": int(raw.get("volume_size", 8)),
                      "start_time": raw.get("start_time", "2024-01-01T00:00:00.000Z"),
                      "description": raw.get("description", ""),
                      "state": raw.get("state", "completed"),
                      "progress": raw.get("progress", "100%"),
                      "encrypted": bool(raw.get("encrypted", False)), "tags": _tags(raw)})
    out["snapshots"] = snaps

    nats = []
    for raw in rdoc.get("nat_gateways", []):
        nid = _need_id("nat", raw.get("id"), "NAT gateway")
        uniq("nat", nid)
        eni = by_eni.get(raw.get("eni"))
        if eni is None:
            raise FixtureError("NAT gateway %s: unknown eni %r" % (nid, raw.get("eni")))
        nats.append({"id": nid, "account": aid, "region": region,
                     "vpc": raw.get("vpc", eni["vpc"]), "subnet": raw.get("subnet", eni["subnet"]),
                     "state": raw.get("state", "available"),
                     "create_time": raw.get("create_time", "2024-01-01T00:00:00.000Z"),
                     "connectivity": raw.get("connectivity", "public"),
                     "addresses": [{"allocation_id": raw.get("allocation_id",
                                                             "eipalloc-" + _h(nid, "eip")),
                                    "eni": eni["id"], "private_ip": eni["private_ip"],
                                    "public_ip": eni["public_ip"],
                                    "association_id": "eipassoc-" + _h(nid, "assoc")}],
                     "tags": _tags(raw)})
    out["nat_gateways"] = nats

    igws = []
    for raw in rdoc.get("internet_gateways", []):
        gid = _need_id("igw", raw.get("id"), "internet gateway")
        uniq("igw", gid)
        for v in raw.get("vpcs", []):
            if v not in vpc_ids:
                raise FixtureError("internet gateway %s: unknown vpc %r" % (gid, v))
        igws.append({"id": gid, "account": aid, "region": region,
                     "attachments": list(raw.get("vpcs", [])), "tags": _tags(raw)})
    out["internet_gateways"] = igws

    vpces = []
    for raw in rdoc.get("vpc_endpoints", []):
        eid = _need_id("vpce", raw.get("id"), "VPC endpoint")
        uniq("vpce", eid)
        if raw.get("vpc") not in vpc_ids:
            raise FixtureError("VPC endpoint %s: unknown vpc %r" % (eid, raw.get("vpc")))
        for e in raw.get("enis", []):
            if e not in by_eni:
                raise FixtureError("VPC endpoint %s: unknown eni %r" % (eid, e))
        etype = raw.get("type", "Interface")
        vpces.append({"id": eid, "account": aid, "region": region, "vpc": raw["vpc"],
                      "type": etype, "service": raw.get("service",
                                                        "com.amazonaws.%s.s3" % region),
                      "state": raw.get("state", "available"),
                      "subnets": list(raw.get("subnets", [])), "enis": list(raw.get("enis", [])),
                      "route_tables": list(raw.get("route_tables", [])),
                      "groups": groups_of(raw.get("security_groups"), raw["vpc"], eid)
                      if etype == "Interface" else [],
                      "dns": [dict(d) for d in raw.get("dns", [])],
                      "private_dns": bool(raw.get("private_dns", etype == "Interface")),
                      "policy": raw.get("policy"),
                      "create_time": raw.get("create_time", "2024-01-01T00:00:00.000Z"),
                      "tags": _tags(raw)})
    out["vpc_endpoints"] = vpces

    tgws = []
    for raw in rdoc.get("transit_gateways", []):
        tid = _need_id("tgw", raw.get("id"), "transit gateway")
        uniq("tgw", tid)
        tgws.append({"id": tid, "account": aid, "region": region,
                     "arn": "arn:aws:ec2:%s:%s:transit-gateway/%s" % (region, aid, tid),
                     "description": raw.get("description", ""),
                     "state": raw.get("state", "available"), "asn": int(raw.get("asn", 64512)),
                     "route_table": "tgw-rtb-" + _h(tid, "rtb"),
                     "create_time": raw.get("create_time", "2024-01-01T00:00:00.000Z"),
                     "tags": _tags(raw)})
    out["transit_gateways"] = tgws

    lts = []
    for raw in rdoc.get("launch_templates", []):
        lid = _need_id("lt", raw.get("id"), "launch template")
        uniq("lt", lid)
        lts.append({"id": lid, "account": aid, "region": region, "name": raw["name"],
                    "create_time": raw.get("create_time", "2024-01-01T00:00:00.000Z"),
                    "created_by": raw.get("created_by", "arn:aws:iam::%s:user/deploy" % aid),
                    "default_version": int(raw.get("default_version", 1)),
                    "latest_version": int(raw.get("latest_version", raw.get("default_version",
                                                                            1))),
                    "tags": _tags(raw)})
    out["launch_templates"] = lts
    lt_by_id = {t["id"]: t for t in lts}

    # ---- ELBv2: load balancers, listeners, target groups -------------------
    elb = "arn:aws:elasticloadbalancing:%s:%s:" % (region, aid)
    lbs, clbs = [], []
    for raw in rdoc.get("load_balancers", []):
        name = raw["name"]
        ltype = raw.get("type", "application")
        uniq("lb", name)
        scheme = raw.get("scheme", "internet-facing")
        sub_ids = list(raw.get("subnets", []))
        azs = []
        for s_id in sub_ids:
            sub = next((x for x in subnets if x["id"] == s_id), None)
            if sub is None:
                raise FixtureError("load balancer %s: unknown subnet %r" % (name, s_id))
            azs.append((s_id, sub["az"]))
        if ltype == "classic":
            for i in raw.get("instances", []):
                if i not in by_inst:
                    raise FixtureError("load balancer %s: unknown instance %r" % (name, i))
            dns = raw.get("dns_name") or "%s%s-%s.%s.elb.amazonaws.com" % (
                "internal-" if scheme == "internal" else "", name,
                int(_h(aid, region, name, n=8), 16) % 10 ** 10, region)
            clbs.append({"name": name, "account": aid, "region": region, "dns_name": dns,
                         "zone_id": _zone_for(ELB_ZONES["classic"], region, name),
                         "scheme": scheme, "vpc": raw.get("vpc"), "subnets": sub_ids,
                         "azs": [z for _, z in azs] or list(raw.get("azs", [region + "a"])),
                         "security_groups": list(raw.get("security_groups", [])),
                         "listeners": [dict(x) for x in raw.get("listeners", [])],
                         "instances": list(raw.get("instances", [])),
                         "health": {k: dict(v) for k, v in raw.get("health", {}).items()},
                         "health_check": dict(raw.get("health_check", {})),
                         "created": raw.get("created", "2024-01-01T00:00:00.000Z"),
                         "tags": _tags(raw)})
            continue
        if ltype not in LB_TYPE_CODE:
            raise FixtureError("load balancer %s: bad type %r" % (name, ltype))
        lb_id = raw.get("id") or _h(aid, region, name, n=16)
        if not re.match(r"^[0-9a-f]{16}$", lb_id):
            raise FixtureError("load balancer %s: id must be 16 hex digits" % name)
        arn = elb + "loadbalancer/%s/%s/%s" % (LB_TYPE_CODE[ltype], name, lb_id)
        if ltype == "network":
            dns = "%s-%s.elb.%s.amazonaws.com" % (name, lb_id, region)
        else:
            dns = "%s%s-%s.%s.elb.amazonaws.com" % (
                "internal-" if scheme == "internal" else "", name,
                int(lb_id[:8], 16) % 10 ** 10, region)
        lbs.append({"name": name, "type": ltype, "id": lb_id, "arn": arn, "account": aid,
                    "region": region, "scheme": scheme, "vpc": raw.get("vpc"), "azs": azs,
                    "security_groups": list(raw.get("security_groups", [])),
                    "dns_name": raw.get("dns_name", dns),
                    "zone_id": _zone_for(ELB_ZONES[ltype], region, arn),
                    "created": raw.get("created", "2024-01-01T00:00:00.000Z"),
                    "state": raw.get("state", "active"),
                    "ip_address_type": raw.get("ip_address_type", "ipv4"),
                    "raw_listeners": raw.get("listeners", []), "listeners": [],
                    "tags": _tags(raw)})
    out["load_balancers"], out["classic_load_balancers"] = lbs, clbs
    lb_by_name = {b["name"]: b for b in lbs}

    tgs = []
    for raw in rdoc.get("target_groups", []):
        name = raw["name"]
        uniq("tg", name)
        tg_id = raw.get("id") or _h(aid, region, "tg", name, n=16)
        ttype = raw.get("target_type", "instance")
        lb_arns = []
        for lb_name in raw.get("load_balancers", []):
            if lb_name not in lb_by_name:
                raise FixtureError("target group %s: unknown load balancer %r" % (name, lb_name))
            lb_arns.append(lb_by_name[lb_name]["arn"])
        targets = []
        port = int(raw.get("port", 80))
        for t in raw.get("targets", []):
            if ttype == "instance" and t.get("id") not in by_inst:
                raise FixtureError("target group %s: unknown instance %r" % (name, t.get("id")))
            targets.append({"id": t["id"], "port": int(t.get("port", port)),
                            "state": t.get("state", "healthy"), "reason": t.get("reason"),
                            "description": t.get("description"),
                            "az": t.get("az") or (by_inst[t["id"]]["az"] if t["id"] in by_inst
                                                  else None)})
        hc = dict(raw.get("health_check", {}))
        proto = raw.get("protocol", "HTTP")
        tgs.append({"name": name, "id": tg_id,
                    "arn": elb + "targetgroup/%s/%s" % (name, tg_id), "account": aid,
                    "region": region, "protocol": proto, "port": port, "vpc": raw.get("vpc"),
                    "target_type": ttype, "load_balancers": lb_arns, "targets": targets,
                    "health_check": {
                        "protocol": hc.get("protocol", proto if proto in ("HTTP", "HTTPS")
                                           else "TCP"),
                        "port": str(hc.get("port", "traffic-port")),
                        "path": hc.get("path", "/" if proto in ("HTTP", "HTTPS") else None),
                        "interval": int(hc.get("interval", 30)),
                        "timeout": int(hc.get("timeout", 5)),
                        "healthy": int(hc.get("healthy", 5)),
                        "unhealthy": int(hc.get("unhealthy", 2)),
                        "matcher": hc.get("matcher", "200" if proto in ("HTTP", "HTTPS")
                                          else None)},
                    "tags": _tags(raw)})
    out["target_groups"] = tgs
    tg_by_name = {t["name"]: t for t in tgs}
    for lb in lbs:
        for k, raw in enumerate(lb.pop("raw_listeners")):
            acts = []
            for a in raw.get("actions", []):
                a = dict(a)
                if a.get("type", "forward") == "forward":
                    tg = tg_by_name.get(a.get("target_group"))
                    if tg is None:
                        raise FixtureError("listener of %s: unknown target group %r"
                                           % (lb["name"], a.get("target_group")))
                    a = {"type": "forward", "target_group": tg["arn"]}
                acts.append(a)
            lb["listeners"].append({
                "arn": elb + "listener/%s/%s/%s/%s" % (LB_TYPE_CODE[lb["type"]], lb["name"],
                                                       lb["id"], _h(lb["arn"], str(k), n=16)),
                "lb": lb["arn"], "protocol": raw.get("protocol", "HTTP"),
                "port": int(raw.get("port", 80)), "certificate": raw.get("certificate"),
                "ssl_policy": raw.get("ssl_policy"), "actions": acts})

    # ---- RDS ----------------------------------------------------------------
    def rds_subnet_group(raw, what):
        sg = raw.get("subnet_group")
        if not sg:
            return None
        subs = []
        for s_id in sg.get("subnets", []):
            sub = next((x for x in subnets if x["id"] == s_id), None)
            if sub is None:
                raise FixtureError("%s: unknown subnet %r" % (what, s_id))
            subs.append((s_id, sub["az"]))
        return {"name": sg.get("name", "default"), "vpc": sg.get("vpc"), "subnets": subs,
                "description": sg.get("description", sg.get("name", "default"))}

    dbs = []
    for raw in rdoc.get("db_instances", []):
        did = raw["id"].lower()
        uniq("db", did)
        dbs.append({"id": did, "account": aid, "region": region,
                    "arn": "arn:aws:rds:%s:%s:db:%s" % (region, aid, did),
                    "class": raw.get("class", "db.t3.medium"),
                    "engine": raw.get("engine", "postgres"),
                    "engine_version": raw.get("engine_version", "15.4"),
                    "status": raw.get("status", "available"),
                    "endpoint": raw.get("endpoint"), "port": int(raw.get("port", 5432)),
                    "zone_id": _zone_for(RDS_ZONES, region, did),
                    "multi_az": bool(raw.get("multi_az", False)),
                    "storage": int(raw.get("storage", 20)),
                    "storage_type": raw.get("storage_type", "gp3"),
                    "cluster": raw.get("cluster"), "az": raw.get("az", region + "a"),
                    "secondary_az": raw.get("secondary_az"),
                    "subnet_group": rds_subnet_group(raw, did),
                    "security_groups": list(raw.get("security_groups", [])),
                    "create_time": raw.get("create_time", "2024-01-01T00:00:00.000Z"),
                    "username": raw.get("username", "dbadmin"),
                    "publicly_accessible": bool(raw.get("publicly_accessible", False)),
                    "encrypted": bool(raw.get("encrypted", True)),
                    "resource_id": "db-" + _h(aid, region, did, n=26).upper(),
                    "tags": _tags(raw)})
    out["db_instances"] = dbs
    db_by_id = {d["id"]: d for d in dbs}
    clusters = []
    for raw in rdoc.get("db_clusters", []):
        cid = raw["id"].lower()
        uniq("cluster", cid)
        members = []
        for m in raw.get("members", []):
            db = db_by_id.get(m["id"].lower())
            if db is None or db["cluster"] != cid:
                raise FixtureError("cluster %s: member %r is not a DB instance of it"
                                   % (cid, m["id"]))
            members.append({"id": db["id"], "writer": bool(m.get("writer", False)),
                            "tier": int(m.get("promotion_tier", 1))})
        clusters.append({"id": cid, "account": aid, "region": region,
                         "arn": "arn:aws:rds:%s:%s:cluster:%s" % (region, aid, cid),
                         "engine": raw.get("engine", "aurora-mysql"),
                         "engine_version": raw.get("engine_version", "8.0.mysql_aurora.3.05.2"),
                         "status": raw.get("status", "available"),
                         "endpoint": raw.get("endpoint"),
                         "reader_endpoint": raw.get("reader_endpoint"),
                         "port": int(raw.get("port", 3306)),
                         "zone_id": _zone_for(RDS_ZONES, region, cid),
                         "multi_az": len(members) > 1, "members": members,
                         "subnet_group": rds_subnet_group(raw, cid),
                         "security_groups": list(raw.get("security_groups", [])),
                         "create_time": raw.get("create_time", "2024-01-01T00:00:00.000Z"),
                         "username": raw.get("username", "admin"),
                         "database_name": raw.get("database_name"),
                         "encrypted": bool(raw.get("encrypted", True)),
                         "resource_id": "cluster-" + _h(aid, region, cid, n=26).upper(),
                         "storage": int(raw.get("storage", 1)), "tags": _tags(raw)})
    for d in dbs:
        if d["cluster"] and d["cluster"] not in {c["id"] for c in clusters}:
            raise FixtureError("DB instance %s: unknown cluster %r" % (d["id"], d["cluster"]))
    out["db_clusters"] = clusters

    # ---- Auto Scaling -------------------------------------------------------
    asgs = []
    for raw in rdoc.get("auto_scaling_groups", []):
        name = raw["name"]
        uniq("asg", name)
        members = []
        for i in raw.get("instances", []):
            inst = by_inst.get(i)
            if inst is None:
                raise FixtureError("auto scaling group %s: unknown instance %r" % (name, i))
            members.append(inst)
        lt = raw.get("launch_template")
        if lt is not None:
            t = lt_by_id.get(lt.get("id"))
            if t is None:
                raise FixtureError("auto scaling group %s: unknown launch template %r"
                                   % (name, lt.get("id")))
            lt = {"id": t["id"], "name": t["name"], "version": str(lt.get("version",
                                                                            "$Default"))}
        tg_arns = []
        for n in raw.get("target_groups", []):
            if n not in tg_by_name:
                raise FixtureError("auto scaling group %s: unknown target group %r" % (name, n))
            tg_arns.append(tg_by_name[n]["arn"])
        uid = str(uuid.UUID(_h(aid, region, name, n=32)))
        asgs.append({"name": name, "account": aid, "region": region,
                     "arn": "arn:aws:autoscaling:%s:%s:autoScalingGroup:%s:"
                            "autoScalingGroupName/%s" % (region, aid, uid, name),
                     "min": int(raw.get("min", len(members))),
                     "max": int(raw.get("max", max(1, len(members)))),
                     "desired": int(raw.get("desired", len(members))),
                     "launch_template": lt, "instances": members,
                     "health": dict(raw.get("health", {})),
                     "target_groups": tg_arns,
                     "load_balancers": list(raw.get("load_balancers", [])),
                     "subnets": list(raw.get("subnets", [])),
                     "health_check_type": raw.get("health_check_type",
                                                  "ELB" if tg_arns else "EC2"),
                     "created": raw.get("created", "2024-01-01T00:00:00.000Z"),
                     "tags": _tags(raw)})
    out["auto_scaling_groups"] = asgs

    # ---- Lambda -------------------------------------------------------------
    fns = []
    for raw in rdoc.get("lambda_functions", []):
        name = raw["name"]
        if not re.match(r"^[a-zA-Z0-9_-]{1,64}$", name):
            raise FixtureError("lambda function name %r" % name)
        uniq("fn", name)
        vpc = raw.get("vpc_config")
        if vpc is not None:
            vpc = {"subnets": list(vpc.get("subnets", [])),
                   "groups": list(vpc.get("security_groups", [])), "vpc": vpc.get("vpc")}
        fns.append({"name": name, "account": aid, "region": region,
                    "arn": "arn:aws:lambda:%s:%s:function:%s" % (region, aid, name),
                    "runtime": raw.get("runtime", "python3.12"),
                    "handler": raw.get("handler", "app.handler"),
                    "role": raw.get("role", "arn:aws:iam::%s:role/%s-role" % (aid, name)),
                    "description": raw.get("description", ""),
                    "memory": int(raw.get("memory", 128)), "timeout": int(raw.get("timeout", 3)),
                    "code_size": int(raw.get("code_size", 1024)),
                    "code_sha": base64.b64encode(hashlib.sha256(
                        ("%s/%s/%s" % (aid, region, name)).encode()).digest()).decode(),
                    "last_modified": raw.get("last_modified", "2024-01-01T00:00:00.000+0000"),
                    "revision": str(uuid.UUID(_h(aid, region, name, "rev", n=32))),
                    "vpc": vpc, "architectures": list(raw.get("architectures", ["x86_64"])),
                    "state": raw.get("state", "Active"), "tags": _tags(raw)})
    out["lambda_functions"] = fns
    return out


R53_TYPES = ("A", "AAAA", "CAA", "CNAME", "DS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF",
             "SRV", "TXT", "HTTPS", "SVCB", "TLSA", "SSHFP")


def dns_name(name):
    """Route 53's form of a name: lower-case, one trailing dot."""
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


def dns_sort_key(name):
    """Route 53 lists record sets by name with the labels reversed."""
    return tuple(reversed(dns_name(name).rstrip(".").split(".")))


def _norm_zones(aid, raw_zones):
    zones = []
    for raw in raw_zones:
        zid = raw["id"]
        if not re.match(r"^Z[A-Z0-9]{1,31}$", zid):
            raise FixtureError("hosted zone id %r" % zid)
        name = dns_name(raw["name"])
        recs = []
        for r in raw.get("records", []):
            rtype = r["type"]
            if rtype not in R53_TYPES:
                raise FixtureError("zone %s: record type %r" % (zid, rtype))
            rname = dns_name(r["name"])
            if not (rname == name or rname.endswith("." + name)):
                raise FixtureError("zone %s: %s is not in %s" % (zid, rname, name))
            rec = {"name": rname, "type": rtype, "ttl": int(r.get("ttl", 300)),
                   "values": list(r.get("values", [])), "alias": None,
                   "set_id": r.get("set_id"), "weight": r.get("weight")}
            if r.get("alias"):
                a = r["alias"]
                rec["alias"] = {"zone": a["zone"], "dns": dns_name(a["dns"]),
                                "evaluate": bool(a.get("evaluate", False))}
            elif not rec["values"]:
                raise FixtureError("zone %s: %s %s has no values" % (zid, rname, rtype))
            recs.append(rec)
        have = {(r["name"], r["type"]) for r in recs}
        ns = ["ns-%d.awsdns-%02d.%s." % (int(_h(zid, str(k), n=4), 16) % 2048,
                                         int(_h(zid, str(k), n=2), 16) % 64, tld)
              for k, tld in enumerate(("com", "net", "org", "co.uk"))]
        if (name, "SOA") not in have:
            recs.append({"name": name, "type": "SOA", "ttl": 900, "alias": None,
                         "set_id": None, "weight": None,
                         "values": ["%s awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"
                                    % ns[0]]})
        if (name, "NS") not in have:
            recs.append({"name": name, "type": "NS", "ttl": 172800, "alias": None,
                         "set_id": None, "weight": None,
                         "values": ns if not raw.get("private")
                         else ["ns-0.awsdns-00.com.", "ns-512.awsdns-00.net.",
                               "ns-1024.awsdns-00.org.", "ns-1536.awsdns-00.co.uk."]})
        recs.sort(key=lambda r: (dns_sort_key(r["name"]), r["type"], r["set_id"] or ""))
        zones.append({"id": zid, "name": name, "account": aid,
                      "private": bool(raw.get("private", False)),
                      "comment": raw.get("comment"), "caller_ref": raw.get("caller_ref",
                                                                            _h(aid, zid, n=12)),
                      "vpcs": [dict(v) for v in raw.get("vpcs", [])], "records": recs})
    zones.sort(key=lambda z: z["id"])
    return zones


def norm_region(aid, rname, rdoc, seen_ids=None):
    """One account-region of a fixture document, normalised.

    seen_ids: instance IDs met so far in the world (duplicates are an error),
    or None where the caller guarantees uniqueness (a generated org).
    """
    insts = [_norm_instance(i, aid, rname) for i in rdoc.get("instances", [])]
    enis = []
    for i in insts:
        if seen_ids is not None:
            if i["id"] in seen_ids:
                raise FixtureError("duplicate instance id %s" % i["id"])
            seen_ids.add(i["id"])
        enis.extend(i["enis"])
    for e in rdoc.get("network_interfaces", []):
        enis.append(_norm_eni(e, aid, rname, e.get("az", rname + "a"),
                              e.get("vpc"), e.get("subnet")))
    seen_enis = set()
    for e in enis:
        if e["id"] in seen_enis:
            raise FixtureError("duplicate network interface %s" % e["id"])
        seen_enis.add(e["id"])
    rd = {"instances": insts, "enis": enis}
    rd.update(_norm_estate(aid, rname, rdoc, insts, enis))
    # Terminated instances that will be forgotten once their retention has
    # passed on the stand-in's clock (those with a known termination time).
    rd["expiring"] = {i["id"] for i in insts if i["terminated_at"] is not None}
    return rd


class World:
    """Normalized, indexed fixture.  Its regions change only through the
    Standin's control API (terminate, launch), copy-on-write, under its lock;
    a generated organisation's regions are built on first use (LazyRegions)."""

    def __init__(self, doc, org=None, cache_regions=0):
        """doc: a fixture document; org: an OrgSpec whose accounts are in
        doc["accounts"] without regions (they are built on first use, at most
        cache_regions of them kept unless changed; 0: all kept)."""
        base = doc.get("base_identity") or {}
        for k in ("access_key_id", "secret_access_key", "arn"):
            if not base.get(k):
                raise FixtureError("base_identity.%s missing" % k)
        self.base = dict(base)
        self.base["account"] = base["arn"].split(":")[4]
        odoc = doc.get("organization") or {}
        self.org_id = odoc.get("id", "o-exampleorg1")
        self.management_account = odoc.get("management_account", self.base["account"])
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
                a["regions"][rname] = norm_region(aid, rname, rdoc, seen_ids)
            a["zones"] = _norm_zones(aid, (acc.get("route53") or {}).get("zones", []))
            self.accounts[aid] = a
            self.account_order.append(aid)
        # Images are visible beyond their owner (launch permissions, public).
        self.images = {}
        for a in self.accounts.values():
            for rname, rd in a["regions"].items():
                self.images.setdefault(rname, []).extend(rd["images"])
        self.org = org
        self.region_cache = RegionCache(org, cache_regions) if org is not None else None
        if org is not None:
            for ai in range(org.n_accounts):
                a = self.accounts.get(org.account_id(ai))
                if a is not None:
                    a["regions"] = LazyRegions(self.region_cache, ai)

    def region_for_update(self, aid, region):
        """The data of an account-region about to be changed, or None."""
        a = self.accounts.get(aid)
        if a is None or region not in a["regions"]:
            return None
        if isinstance(a["regions"], LazyRegions):
            return a["regions"].pin(region)
        return a["regions"][region]

    def built_regions(self):
        """(account id, region, data) of every region built now (a generated
        organisation's unbuilt regions are not built for this)."""
        for aid in self.account_order:
            regs = self.accounts[aid]["regions"]
            items = regs.built() if isinstance(regs, LazyRegions) else regs.items()
            for r, rd in items:
                yield aid, r, rd


# Registry type name (common/search/registry.c) -> the region collection
# listing it, for counting what a crawler of a region would find.
_COUNTED = (("instance", "instances"), ("network-interface", "enis"),
            ("security-group", "security_groups"), ("subnet", "subnets"), ("vpc", "vpcs"),
            ("volume", "volumes"), ("image", "images"), ("snapshot", "snapshots"),
            ("nat-gateway", "nat_gateways"), ("internet-gateway", "internet_gateways"),
            ("vpc-endpoint", "vpc_endpoints"), ("transit-gateway", "transit_gateways"),
            ("launch-template", "launch_templates"), ("load-balancer", "load_balancers"),
            ("classic-load-balancer", "classic_load_balancers"),
            ("db-instance", "db_instances"), ("db-cluster", "db_clusters"),
            ("auto-scaling-group", "auto_scaling_groups"),
            ("lambda-function", "lambda_functions"))


def region_counts(rd):
    """Resources of one account-region by registry type name (non-zero only;
    the account's own images; Route 53 is global and not counted here)."""
    return {name: len(rd[coll]) for name, coll in _COUNTED if rd.get(coll)}


# ---- a generated organisation ----------------------------------------------

ORG_SHAPES = ("instances", "mixed")
_ENVS = ("production", "staging", "dev", "qa")
_ROLES = ("web", "api", "worker", "db", "cache", "batch", "bastion")
# The "mixed" shape: every region holds a VPC, its subnet, a web security
# group and the VPC's default group (4 resources) and one instance with its
# ENI and root volume (3), then units from this list, taken in turn from a
# place that moves with the account-region, whenever they still fit:
# (unit, resources it adds, as the registry's types count them).
_MIX_UNITS = (("instance", 3), ("alb", 2), ("db", 2), ("lambda", 1), ("igw", 1),
              ("lt", 1), ("volume", 1), ("snapshot", 1))
_UNIT_COUNTS = {"instance": {"instance": 1, "network-interface": 1, "volume": 1},
                "alb": {"load-balancer": 1, "network-interface": 1},
                "db": {"db-instance": 1, "network-interface": 1},
                "lambda": {"lambda-function": 1}, "igw": {"internet-gateway": 1},
                "lt": {"launch-template": 1}, "volume": {"volume": 1},
                "snapshot": {"snapshot": 1}}
_BASE_COUNTS = {"vpc": 1, "subnet": 1, "security-group": 2}
MIXED_MIN_PER_REGION, MIXED_MAX_PER_REGION = 7, 1000
# Each region's VPC is one /22: instances take offsets 4.. upwards, the
# ENIs of load balancers and databases 512.. upwards (both stay inside).
INSTANCES_MAX_PER_REGION = 508
_SERVICE_IP_OFFSET = 512


class OrgSpec:
    """What --generate-org builds: A accounts (ids 400000000000 + i, names
    acct-NNN-ENV, ENV cycling production, staging, dev, qa) x the first R
    regions of _REGION_NAMES x an estate per region ("instances": I instances
    with their ENIs and root volumes, "mixed": exactly N resources of several
    types).  Each account-region is a pure function of (seed, account index,
    region index): it can be built alone, on first use, and built again,
    identical, after a cache dropped it."""

    def __init__(self, n_accounts, n_regions, per_region, seed=1, shape="instances",
                 role_name="InfraSearchReadOnly", external_id=None):
        if shape not in ORG_SHAPES:
            raise ValueError("org shape must be one of %s" % ", ".join(ORG_SHAPES))
        if not 1 <= n_accounts <= 10 ** 6:
            raise ValueError("--generate-org: 1..1000000 accounts")
        if shape == "mixed" and not MIXED_MIN_PER_REGION <= per_region <= MIXED_MAX_PER_REGION:
            raise ValueError("--org-shape mixed: %d..%d resources per region"
                             % (MIXED_MIN_PER_REGION, MIXED_MAX_PER_REGION))
        if shape == "instances" and not 0 <= per_region <= INSTANCES_MAX_PER_REGION:
            raise ValueError("--generate-org: 0..%d instances per region"
                             % INSTANCES_MAX_PER_REGION)
        self.n_accounts = n_accounts
        self.per_region = per_region
        self.seed = seed
        self.shape = shape
        self.role_name = role_name
        self.external_id = external_id
        self.region_names = _REGION_NAMES[:max(1, min(n_regions, len(_REGION_NAMES)))]
        self.region_index = {r: k for k, r in enumerate(self.region_names)}

    @staticmethod
    def account_id(ai):
        return "%012d" % (400000000000 + ai)

    def account_index(self, aid):
        """Index of a generated account id, or None."""
        try:
            ai = int(aid) - 400000000000
        except (TypeError, ValueError):
            return None
        return ai if 0 <= ai < self.n_accounts and self.account_id(ai) == aid else None

    def account_doc(self, ai, with_regions=True):
        aid = self.account_id(ai)
        role = {"arn": "arn:aws:iam::%s:role/%s" % (aid, self.role_name)}
        if self.external_id:
            role["external_id"] = self.external_id
        doc = {"id": aid, "name": "acct-%03d-%s" % (ai, _ENVS[ai % len(_ENVS)]),
               "roles": [role]}
        if with_regions:
            doc["regions"] = {r: self.region_doc(ai, ri)
                              for ri, r in enumerate(self.region_names)}
        return doc

    def recipe(self, ai, ri):
        """The units of one account-region, in the order they are built."""
        if self.shape == "instances":
            return ["instance"] * self.per_region
        units = ["instance"]
        left = self.per_region - MIXED_MIN_PER_REGION
        k = (ai * len(self.region_names) + ri) % len(_MIX_UNITS)
        while left > 0:
            unit, size = _MIX_UNITS[k % len(_MIX_UNITS)]
            if size <= left:
                units.append(unit)
                left -= size
            k += 1
        return units

    def counts(self, ai, ri):
        """Resources of an untouched account-region, by registry type name."""
        out = Counter(_BASE_COUNTS)
        for u in self.recipe(ai, ri):
            out.update(_UNIT_COUNTS[u])
        return dict(out)

    def totals(self):
        """Resources of the whole untouched organisation: (by type, sum).

        The recipe depends only on x = ai * R + ri modulo len(_MIX_UNITS), and
        x runs over 0 .. A*R - 1 once each: count one region per residue."""
        out = Counter()
        n = len(self.region_names)
        cells = self.n_accounts * n
        for res in range(min(len(_MIX_UNITS), cells)):
            times = len(range(res, cells, len(_MIX_UNITS)))
            for kind, c in self.counts(res // n, res % n).items():
                out[kind] += c * times
        return dict(out), sum(out.values())

    def region_doc(self, ai, ri):
        """One account-region as a fixture document (see README.md)."""
        rng = random.Random("%d/%d/%d" % (self.seed, ai, ri))
        aid = self.account_id(ai)
        env = _ENVS[ai % len(_ENVS)]
        rname = self.region_names[ri]
        a8 = ai % 250

        def addr(off):
            return "10.%d.%d.%d" % (a8, ri * 4 + off // 256, off % 256)

        net = "10.%d.%d.0/22" % (a8, ri * 4)
        vpc = "vpc-%017x" % rng.getrandbits(68)
        subnet = "subnet-%017x" % rng.getrandbits(68)
        web_sg = "sg-" + _h(aid, rname, "web-sg")
        units = self.recipe(ai, ri)
        insts = []
        for k in range(units.count("instance")):
            role = _ROLES[rng.randrange(len(_ROLES))]
            inst = {
                "id": "i-%017x" % rng.getrandbits(68),
                "type": rng.choice(["t3.micro", "t3.large", "m5.xlarge", "c6g.large"]),
                "state": "running" if rng.random() < 0.85 else "stopped",
                "launch_time": "2025-%02d-%02dT%02d:00:00.000Z" % (
                    rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23)),
                "vpc": vpc, "subnet": subnet, "az": rname + "abc"[k % 3],
                "private_ip": addr(k + 4), "key_name": "deploy",
                "security_groups": [web_sg],
                "tags": {"Name": "%s-%s-%03d" % (env, role, k), "Environment": env,
                         "Role": role},
            }
            if rng.random() < 0.3:
                inst["public_ip"] = "3.%d.%d.%d" % (rng.randint(0, 255), rng.randint(0, 255),
                                                    rng.randint(1, 254))
            insts.append(inst)
        # The rest of the estate: IDs are hashes, not draws from rng, so the
        # instances stay what they are whatever else the region holds.
        rdoc = {
            "instances": insts, "network_interfaces": [],
            "vpcs": [{"id": vpc, "cidrs": [net], "tags": {"Name": "%s-vpc" % env}}],
            "subnets": [{"id": subnet, "vpc": vpc, "cidr": net, "az": rname + "a",
                         "tags": {"Name": "%s-private-a" % env}}],
            "security_groups": [{"id": web_sg, "vpc": vpc, "name": "%s-web-sg" % env,
                                 "description": "web tier",
                                 "tags": {"Name": "%s-Web-SG" % env.capitalize()},
                                 "ingress": [{"protocol": "tcp", "from": 443,
                                              "cidrs": ["0.0.0.0/0"]}]}],
            "volumes": [{"id": "vol-" + _h(i["id"], "vol"), "size": 8,
                         "attachments": [{"instance": i["id"], "device": "/dev/xvda"}],
                         "tags": {"Name": i["tags"]["Name"] + "-root"}} for i in insts],
        }
        seq = Counter()
        svc = [_SERVICE_IP_OFFSET]

        def service_eni(name, requester, description, public):
            eni = {"id": "eni-" + _h(aid, rname, name, "eni"), "interface_type": "interface",
                   "requester_id": requester, "requester_managed": True,
                   "attachment_owner": requester, "description": description,
                   "private_ip": addr(svc[0]), "vpc": vpc, "subnet": subnet,
                   "az": rname + "a", "security_groups": [web_sg]}
            svc[0] += 1
            if public:
                h = _h(aid, rname, name, "pub", n=6)
                eni["public_ip"] = "3.%d.%d.%d" % (int(h[:2], 16), int(h[2:4], 16),
                                                   int(h[4:], 16) % 254 + 1)
            rdoc["network_interfaces"].append(eni)

        for unit in units:
            if unit == "instance":
                continue
            n = seq[unit]
            seq[unit] += 1
            tags = {"Environment": env}
            if unit == "alb":
                name, tg = "%s-alb-%d" % (env, n), "%s-tg-%d" % (env, n)
                lb_id = _h(aid, rname, name, n=16)
                rdoc.setdefault("load_balancers", []).append({
                    "name": name, "type": "application", "id": lb_id, "vpc": vpc,
                    "subnets": [subnet], "security_groups": [web_sg], "tags": tags,
                    "listeners": [{"protocol": "HTTP", "port": 80,
                                   "actions": [{"type": "forward", "target_group": tg}]}]})
                rdoc.setdefault("target_groups", []).append({
                    "name": tg, "protocol": "HTTP", "port": 80, "vpc": vpc,
                    "load_balancers": [name], "targets": [{"id": insts[0]["id"]}]})
                service_eni(name, "amazon-elb", "ELB app/%s/%s" % (name, lb_id), True)
            elif unit == "db":
                did = "%s-db-%d" % (env, n)
                rdoc.setdefault("db_instances", []).append({
                    "id": did, "engine": "postgres", "port": 5432,
                    "endpoint": "%s.%s.%s.rds.amazonaws.com" % (
                        did, _h(aid, rname, "rds", n=12), rname),
                    "subnet_group": {"name": "%s-db-subnets" % env, "vpc": vpc,
                                     "subnets": [subnet]},
                    "security_groups": [web_sg], "tags": tags})
                service_eni(did, "amazon-rds", "RDSNetworkInterface", False)
            elif unit == "lambda":
                rdoc.setdefault("lambda_functions", []).append(
                    {"name": "%s-fn-%d" % (env, n), "tags": tags})
            elif unit == "igw":
                rdoc.setdefault("internet_gateways", []).append(
                    {"id": "igw-" + _h(aid, rname, "igw", str(n)),
                     "vpcs": [vpc] if n == 0 else [],
                     "tags": dict(tags, Name="%s-igw-%d" % (env, n))})
            elif unit == "lt":
                rdoc.setdefault("launch_templates", []).append(
                    {"id": "lt-" + _h(aid, rname, "lt", str(n)), "name": "%s-lt-%d" % (env, n),
                     "tags": tags})
            elif unit == "volume":
                rdoc["volumes"].append({"id": "vol-" + _h(aid, rname, "data", str(n)),
                                        "size": 20, "az": rname + "a",
                                        "tags": dict(tags, Name="%s-data-%d" % (env, n))})
            elif unit == "snapshot":
                rdoc.setdefault("snapshots", []).append(
                    {"id": "snap-" + _h(aid, rname, "snap", str(n)),
                     "volume": rdoc["volumes"][0]["id"], "volume_size": 8,
                     "description": "%s nightly %d" % (env, n),
                     "tags": dict(tags, Name="%s-snap-%d" % (env, n))})
        return rdoc


def generate_org(n_accounts, n_regions, per_region, seed=1, role_name="InfraSearchReadOnly",
                 external_id=None, shape="instances"):
    """Deterministically synthesize a large organisation (the fixture
    document's "accounts", every region built: for small orgs and tools;
    the stand-in itself builds regions lazily, see RegionCache)."""
    spec = OrgSpec(n_accounts, n_regions, per_region, seed, shape, role_name, external_id)
    return [spec.account_doc(ai) for ai in range(n_accounts)]


class RegionCache:
    """The built account-regions of a generated organisation: an LRU of at
    most `capacity` (0: no bound) plus the pinned ones (changed through the
    control API, so never rebuilt from the seed).  Building one takes well
    under a millisecond; the lock makes two threads asking for the same
    unbuilt region build it once."""

    def __init__(self, spec, capacity=0):
        self.spec = spec
        self.capacity = capacity
        self.lru = OrderedDict()
        self.pinned = {}
        self.lock = threading.Lock()
        self.builds = 0
        self.build_s = 0.0

    def get(self, ai, ri):
        key = (ai, ri)
        with self.lock:
            rd = self.pinned.get(key)
            if rd is None:
                rd = self.lru.get(key)
            if rd is not None:
                if key in self.lru:
                    self.lru.move_to_end(key)
                return rd
            t0 = time.perf_counter()
            rd = norm_region(self.spec.account_id(ai), self.spec.region_names[ri],
                             self.spec.region_doc(ai, ri))
            self.build_s += time.perf_counter() - t0
            self.builds += 1
            self.lru[key] = rd
            while self.capacity and len(self.lru) > self.capacity:
                self.lru.popitem(last=False)
            return rd

    def pin(self, ai, ri):
        """The region, kept for good (it is about to be changed)."""
        rd = self.get(ai, ri)
        with self.lock:
            cur = self.pinned.get((ai, ri))
            if cur is not None:
                return cur
            self.lru.pop((ai, ri), None)
            self.pinned[(ai, ri)] = rd
            return rd

    def preload(self):
        """Build every account-region now (for measuring the full org).  The
        cyclic GC would rescan the growing heap again and again (it doubles
        the time): it is held off meanwhile, and what was built is frozen
        out of its later scans (plain refcounting still frees it)."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            for ai in range(self.spec.n_accounts):
                for ri in range(len(self.spec.region_names)):
                    self.get(ai, ri)
        finally:
            gc.freeze()
            if enabled:
                gc.enable()

    def info(self):
        with self.lock:
            return {"built_regions": len(self.lru) + len(self.pinned),
                    "pinned_regions": len(self.pinned), "cache_regions": self.capacity,
                    "builds": self.builds, "build_s": round(self.build_s, 3)}


class LazyRegions(Mapping):
    """An account's regions in a generated organisation, built on first use."""

    def __init__(self, cache, ai):
        self.cache = cache
        self.ai = ai

    def __getitem__(self, region):
        ri = self.cache.spec.region_index.get(region)
        if ri is None:
            raise KeyError(region)
        return self.cache.get(self.ai, ri)

    def __contains__(self, region):
        return region in self.cache.spec.region_index

    def __iter__(self):
        return iter(self.cache.spec.region_names)

    def __len__(self):
        return len(self.cache.spec.region_names)

    def pin(self, region):
        return self.cache.pin(self.ai, self.cache.spec.region_index[region])

    def built(self):
        """(region, data) of the regions built now, without building others."""
        out = []
        with self.cache.lock:
            for ri, r in enumerate(self.cache.spec.region_names):
                rd = self.cache.pinned.get((self.ai, ri)) or self.cache.lru.get((self.ai, ri))
                if rd is not None:
                    out.append((r, rd))
        return out



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
        if self.service is not None and self.service not in SERVICE_PROTO:
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
# EC2 beyond instances and ENIs: filters and answer shapes
# --------------------------------------------------------------------------

def _tagset(tags):
    return X("tagSet", *[X("item", X("key", text=k), X("value", text=v))
                         for k, v in tags.items()])


def tag_field(o, name):
    """tag:KEY / tag-key / tag-value on any tagged object; None for other names."""
    t = o["tags"]
    if name.startswith("tag:"):
        return [t[name[4:]]] if name[4:] in t else []
    if name == "tag-key":
        return list(t)
    if name == "tag-value":
        return list(t.values())
    return None


def _rules_fields(rules, prefix):
    return {prefix + "cidr": [c for r in rules for c in r["cidrs"]],
            prefix + "ipv6-cidr": [c for r in rules for c in r["ipv6_cidrs"]],
            prefix + "group-id": [g for r in rules for g in r["groups"]],
            prefix + "protocol": [r["protocol"] for r in rules],
            prefix + "from-port": [str(r["from"]) for r in rules if r["from"] is not None],
            prefix + "to-port": [str(r["to"]) for r in rules if r["to"] is not None]}


def sg_fields(g):
    f = {"group-id": [g["id"]], "group-name": [g["name"]], "description": [g["description"]],
         "vpc-id": [g["vpc"]] if g["vpc"] else [], "owner-id": [g["account"]]}
    f.update(_rules_fields(g["ingress"], "ip-permission."))
    f.update(_rules_fields(g["egress"], "egress.ip-permission."))
    return f


def subnet_fields(s):
    return {"subnet-id": [s["id"]], "vpc-id": [s["vpc"]], "cidr-block": [s["cidr"]],
            "cidr": [s["cidr"]], "cidrBlock": [s["cidr"]],
            "ipv6-cidr-block-association.ipv6-cidr-block": list(s["ipv6"]),
            "availability-zone": [s["az"]], "availabilityZone": [s["az"]],
            "availability-zone-id": [s["az_id"]], "state": [s["state"]],
            "default-for-az": [xbool(s["default_for_az"])],
            "defaultForAz": [xbool(s["default_for_az"])],
            "map-public-ip-on-launch": [xbool(s["map_public_ip"])],
            "owner-id": [s["account"]], "subnet-arn": [subnet_arn(s)],
            "available-ip-address-count": [str(s["available_ips"])]}


def vpc_fields(v):
    return {"vpc-id": [v["id"]], "cidr": [v["cidrs"][0]],
            "cidr-block-association.cidr-block": list(v["cidrs"]),
            "cidr-block-association.state": ["associated"] * len(v["cidrs"]),
            "ipv6-cidr-block-association.ipv6-cidr-block": list(v["ipv6"]),
            "is-default": [xbool(v["is_default"])], "isDefault": [xbool(v["is_default"])],
            "state": [v["state"]], "owner-id": [v["account"]], "dhcp-options-id": [v["dhcp"]]}


def volume_fields(v):
    a = v["attachments"]
    return {"volume-id": [v["id"]], "attachment.instance-id": [x["instance"] for x in a],
            "attachment.device": [x["device"] for x in a],
            "attachment.status": [x["state"] for x in a],
            "attachment.delete-on-termination": [xbool(x["delete_on_termination"]) for x in a],
            "availability-zone": [v["az"]], "size": [str(v["size"])],
            "snapshot-id": [v["snapshot"]] if v["snapshot"] else [], "status": [v["state"]],
            "volume-type": [v["type"]], "encrypted": [xbool(v["encrypted"])],
            "create-time": [v["create_time"]]}


def image_fields(i):
    return {"image-id": [i["id"]], "name": [i["name"]], "description": [i["description"]],
            "owner-id": [i["owner"]], "state": [i["state"]], "is-public": [xbool(i["public"])],
            "architecture": [i["architecture"]], "image-type": ["machine"],
            "root-device-type": ["ebs"], "root-device-name": [i["root_device"]],
            "block-device-mapping.snapshot-id": [i["snapshot"]] if i["snapshot"] else [],
            "platform-details": [i["platform_details"]]}


def snapshot_fields(s):
    return {"snapshot-id": [s["id"]], "volume-id": [s["volume"]], "owner-id": [s["owner"]],
            "status": [s["state"]], "description": [s["description"]],
            "volume-size": [str(s["volume_size"])], "encrypted": [xbool(s["encrypted"])],
            "start-time": [s["start_time"]], "progress": [s["progress"]]}


def nat_fields(n):
    return {"nat-gateway-id": [n["id"]], "subnet-id": [n["subnet"]], "vpc-id": [n["vpc"]],
            "state": [n["state"]]}


def igw_fields(g):
    return {"internet-gateway-id": [g["id"]], "attachment.vpc-id": list(g["attachments"]),
            "attachment.state": ["available"] * len(g["attachments"]),
            "owner-id": [g["account"]]}


def vpce_fields(e):
    return {"vpc-endpoint-id": [e["id"]], "vpc-id": [e["vpc"]], "service-name": [e["service"]],
            "vpc-endpoint-type": [e["type"]], "vpc-endpoint-state": [e["state"]]}


def tgw_fields(t):
    return {"transit-gateway-id": [t["id"]], "state": [t["state"]], "owner-id": [t["account"]],
            "options.amazon-side-asn": [str(t["asn"])]}


def lt_fields(t):
    return {"launch-template-name": [t["name"]], "create-time": [t["create_time"]]}


def subnet_arn(s):
    return "arn:aws:ec2:%s:%s:subnet/%s" % (s["region"], s["account"], s["id"])


def _rule_xml(r, owner):
    return X("item",
             X("ipProtocol", text=r["protocol"]),
             X("fromPort", text=str(r["from"])) if r["from"] is not None else "",
             X("toPort", text=str(r["to"])) if r["to"] is not None else "",
             X("groups", *[X("item", X("userId", text=owner), X("groupId", text=g))
                           for g in r["groups"]]),
             X("ipRanges", *[X("item", X("cidrIp", text=c),
                               X("description", text=r["description"]) if r["description"]
                               else "") for c in r["cidrs"]]),
             X("ipv6Ranges", *[X("item", X("cidrIpv6", text=c)) for c in r["ipv6_cidrs"]]),
             X("prefixListIds"))


def sg_xml(g):
    return X("item",
             X("ownerId", text=g["account"]), X("groupId", text=g["id"]),
             X("groupName", text=g["name"]), X("groupDescription", text=g["description"]),
             X("vpcId", text=g["vpc"]) if g["vpc"] else "",
             X("ipPermissions", *[_rule_xml(r, g["account"]) for r in g["ingress"]]),
             X("ipPermissionsEgress", *[_rule_xml(r, g["account"]) for r in g["egress"]]),
             _tagset(g["tags"]) if g["tags"] else "",
             X("securityGroupArn", text="arn:aws:ec2:%s:%s:security-group/%s"
               % (g["region"], g["account"], g["id"])))


def subnet_xml(s):
    return X("item",
             X("subnetId", text=s["id"]), X("subnetArn", text=subnet_arn(s)),
             X("state", text=s["state"]), X("ownerId", text=s["account"]),
             X("vpcId", text=s["vpc"]), X("cidrBlock", text=s["cidr"]),
             X("ipv6CidrBlockAssociationSet",
               *[X("item", X("ipv6CidrBlock", text=c),
                   X("associationId", text="subnet-cidr-assoc-" + _h(s["id"], c)),
                   X("ipv6CidrBlockState", X("state", text="associated")))
                 for c in s["ipv6"]]),
             X("availableIpAddressCount", text=str(s["available_ips"])),
             X("availabilityZone", text=s["az"]), X("availabilityZoneId", text=s["az_id"]),
             X("defaultForAz", text=xbool(s["default_for_az"])),
             X("mapPublicIpOnLaunch", text=xbool(s["map_public_ip"])),
             X("assignIpv6AddressOnCreation", text="false"),
             _tagset(s["tags"]) if s["tags"] else "")


def vpc_xml(v):
    return X("item",
             X("vpcId", text=v["id"]), X("ownerId", text=v["account"]),
             X("state", text=v["state"]), X("cidrBlock", text=v["cidrs"][0]),
             X("cidrBlockAssociationSet",
               *[X("item", X("cidrBlock", text=c),
                   X("associationId", text="vpc-cidr-assoc-" + _h(v["id"], c)),
                   X("cidrBlockState", X("state", text="associated"))) for c in v["cidrs"]]),
             X("ipv6CidrBlockAssociationSet",
               *[X("item", X("ipv6CidrBlock", text=c),
                   X("associationId", text="vpc-cidr-assoc-" + _h(v["id"], c)),
                   X("ipv6CidrBlockState", X("state", text="associated")),
                   X("networkBorderGroup", text=v["region"]),
                   X("ipv6Pool", text="Amazon")) for c in v["ipv6"]]),
             X("dhcpOptionsId", text=v["dhcp"]),
             _tagset(v["tags"]) if v["tags"] else "",
             X("instanceTenancy", text=v["tenancy"]),
             X("isDefault", text=xbool(v["is_default"])))


def _volume_attachment_xml(a):
    return X("item", X("volumeId", text=a["volume"]), X("instanceId", text=a["instance"]),
             X("device", text=a["device"]), X("status", text=a["state"]),
             X("attachTime", text=a["attach_time"]),
             X("deleteOnTermination", text=xbool(a["delete_on_termination"])))


def volume_xml(v):
    return X("item",
             X("volumeId", text=v["id"]), X("size", text=str(v["size"])),
             X("snapshotId", text=v["snapshot"]), X("availabilityZone", text=v["az"]),
             X("status", text=v["state"]), X("createTime", text=v["create_time"]),
             X("attachmentSet", *[_volume_attachment_xml(a) for a in v["attachments"]]),
             X("volumeType", text=v["type"]),
             X("iops", text=str(v["iops"])) if v["iops"] is not None else "",
             X("encrypted", text=xbool(v["encrypted"])),
             _tagset(v["tags"]) if v["tags"] else "",
             X("multiAttachEnabled", text="false"),
             X("throughput", text=str(v["throughput"])) if v["throughput"] is not None else "")


def image_xml(i):
    return X("item",
             X("imageId", text=i["id"]), X("imageLocation", text=i["location"]),
             X("imageState", text=i["state"]), X("imageOwnerId", text=i["owner"]),
             X("creationDate", text=i["create_time"]), X("isPublic", text=xbool(i["public"])),
             X("architecture", text=i["architecture"]), X("imageType", text="machine"),
             X("name", text=i["name"]), X("description", text=i["description"]),
             X("rootDeviceType", text="ebs"), X("rootDeviceName", text=i["root_device"]),
             X("blockDeviceMapping",
               X("item", X("deviceName", text=i["root_device"]),
                 X("ebs", X("snapshotId", text=i["snapshot"]) if i["snapshot"] else "",
                   X("volumeSize", text=str(i["root_size"])),
                   X("deleteOnTermination", text="true"),
                   X("volumeType", text=i["volume_type"]), X("encrypted", text="false")))),
             X("virtualizationType", text="hvm"),
             _tagset(i["tags"]) if i["tags"] else "",
             X("hypervisor", text="xen"), X("enaSupport", text="true"),
             X("platformDetails", text=i["platform_details"]),
             X("usageOperation", text="RunInstances"))


def snapshot_xml(s):
    return X("item",
             X("snapshotId", text=s["id"]), X("volumeId", text=s["volume"]),
             X("status", text=s["state"]), X("startTime", text=s["start_time"]),
             X("progress", text=s["progress"]), X("ownerId", text=s["owner"]),
             X("volumeSize", text=str(s["volume_size"])),
             X("description", text=s["description"]),
             X("encrypted", text=xbool(s["encrypted"])),
             _tagset(s["tags"]) if s["tags"] else "",
             X("storageTier", text="standard"))


def nat_xml(n):
    return X("item",
             X("createTime", text=n["create_time"]),
             X("natGatewayAddressSet",
               *[X("item", X("allocationId", text=a["allocation_id"]),
                   X("networkInterfaceId", text=a["eni"]),
                   X("privateIp", text=a["private_ip"]),
                   X("publicIp", text=a["public_ip"]) if a["public_ip"] else "",
                   X("associationId", text=a["association_id"]) if a["public_ip"] else "",
                   X("isPrimary", text="true"), X("status", text="succeeded"))
                 for a in n["addresses"]]),
             X("natGatewayId", text=n["id"]), X("state", text=n["state"]),
             X("subnetId", text=n["subnet"]), _tagset(n["tags"]),
             X("vpcId", text=n["vpc"]), X("connectivityType", text=n["connectivity"]))


def igw_xml(g):
    return X("item",
             X("internetGatewayId", text=g["id"]), X("ownerId", text=g["account"]),
             X("attachmentSet", *[X("item", X("vpcId", text=v), X("state", text="available"))
                                  for v in g["attachments"]]),
             _tagset(g["tags"]))


def vpce_xml(e):
    """The order of the DescribeVpcEndpoints sample's Gateway and Interface
    items (its third, GatewayLoadBalancer, item is in alphabetical order)."""
    return X("item",
             X("policyDocument", text=e["policy"]) if e["policy"] else "",
             X("routeTableIdSet", *[X("item", text=r) for r in e["route_tables"]]),
             X("dnsEntrySet", *[X("item", X("hostedZoneId", text=d.get("zone", "")),
                                  X("dnsName", text=d["name"])) for d in e["dns"]]),
             X("serviceName", text=e["service"]),
             X("privateDnsEnabled", text=xbool(e["private_dns"])),
             X("groupSet", *[X("item", X("groupName", text=n), X("groupId", text=g))
                             for g, n in e["groups"]]),
             X("vpcEndpointId", text=e["id"]),
             X("subnetIdSet", *[X("item", text=s) for s in e["subnets"]]),
             X("networkInterfaceIdSet", *[X("item", text=n) for n in e["enis"]]),
             X("vpcEndpointType", text=e["type"]), X("vpcId", text=e["vpc"]),
             X("creationTimestamp", text=e["create_time"]), X("state", text=e["state"]),
             _tagset(e["tags"]), X("ownerId", text=e["account"]),
             X("requesterManaged", text="false"), X("ipAddressType", text="ipv4"))


def tgw_xml(t):
    return X("item",
             X("transitGatewayId", text=t["id"]), X("transitGatewayArn", text=t["arn"]),
             X("state", text=t["state"]), X("ownerId", text=t["account"]),
             X("description", text=t["description"]),
             X("creationTime", text=t["create_time"]),
             X("options", X("amazonSideAsn", text=str(t["asn"])),
               X("autoAcceptSharedAttachments", text="disable"),
               X("defaultRouteTableAssociation", text="enable"),
               X("associationDefaultRouteTableId", text=t["route_table"]),
               X("defaultRouteTablePropagation", text="enable"),
               X("propagationDefaultRouteTableId", text=t["route_table"]),
               X("vpnEcmpSupport", text="enable"), X("dnsSupport", text="enable"),
               X("multicastSupport", text="disable")),
             _tagset(t["tags"]))


def lt_xml(t):
    return X("item",
             X("launchTemplateId", text=t["id"]), X("launchTemplateName", text=t["name"]),
             X("createTime", text=t["create_time"]), X("createdBy", text=t["created_by"]),
             X("defaultVersionNumber", text=str(t["default_version"])),
             X("latestVersionNumber", text=str(t["latest_version"])),
             _tagset(t["tags"]) if t["tags"] else "")


class Ec2Kind:
    """One EC2 Describe* over a fixture collection: its ID parameter, the
    codes AWS answers for malformed and unknown IDs, its filters, its
    MaxResults bounds and the set element of its answer."""

    def __init__(self, coll, set_name, id_params, prefix, not_found, malformed, fields, xml,
                 max_results=(EC2_MIN_RESULTS, EC2_MAX_RESULTS), names=None):
        self.coll = coll
        self.set_name = set_name
        self.id_params = id_params
        self.prefix = prefix
        self.not_found = not_found      # (code, message with one %s)
        self.malformed = malformed
        self.fields = fields
        self.xml = xml
        self.max_results = max_results
        self.names = names              # (param, filter name, (code, message)) or None

    def field(self, o, name):
        t = tag_field(o, name)
        if t is not None:
            return t
        return self.fields(o).get(name)


_LT_NOT_FOUND = "At least one of the launch templates specified in the request does not exist."
EC2_KINDS = {
    "DescribeSecurityGroups": Ec2Kind(
        "security_groups", "securityGroupInfo", ("GroupId",), "sg",
        ("InvalidGroup.NotFound", "The security group '%s' does not exist"),
        "InvalidGroupId.Malformed", sg_fields, sg_xml,
        names=("GroupName", "group-name",
               ("InvalidGroup.NotFound", "The security group '%s' does not exist"))),
    "DescribeSubnets": Ec2Kind(
        "subnets", "subnetSet", ("SubnetId",), "subnet",
        ("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist"),
        "InvalidSubnetID.Malformed", subnet_fields, subnet_xml),
    "DescribeVpcs": Ec2Kind(
        "vpcs", "vpcSet", ("VpcId",), "vpc",
        ("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist"),
        "InvalidVpcID.Malformed", vpc_fields, vpc_xml),
    "DescribeVolumes": Ec2Kind(
        "volumes", "volumeSet", ("VolumeId",), "vol",
        ("InvalidVolume.NotFound", "The volume '%s' does not exist."),
        "InvalidVolumeID.Malformed", volume_fields, volume_xml),
    "DescribeImages": Ec2Kind(
        "images", "imagesSet", ("ImageId",), "ami",
        ("InvalidAMIID.NotFound", "The image id '[%s]' does not exist"),
        "InvalidAMIID.Malformed", image_fields, image_xml),
    "DescribeSnapshots": Ec2Kind(
        "snapshots", "snapshotSet", ("SnapshotId",), "snap",
        ("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist."),
        "InvalidSnapshotID.Malformed", snapshot_fields, snapshot_xml),
    "DescribeNatGateways": Ec2Kind(
        "nat_gateways", "natGatewaySet", ("NatGatewayId",), "nat",
        ("NatGatewayNotFound", "The Nat Gateway %s was not found"),
        "NatGatewayMalformed", nat_fields, nat_xml),
    "DescribeInternetGateways": Ec2Kind(
        "internet_gateways", "internetGatewaySet", ("InternetGatewayId",), "igw",
        ("InvalidInternetGatewayID.NotFound", "The internetGateway ID '%s' does not exist"),
        "InvalidInternetGatewayId.Malformed", igw_fields, igw_xml),
    "DescribeVpcEndpoints": Ec2Kind(
        "vpc_endpoints", "vpcEndpointSet", ("VpcEndpointId",), "vpce",
        ("InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '%s' does not exist"),
        "InvalidVpcEndpointId.Malformed", vpce_fields, vpce_xml, max_results=(1, 1000)),
    "DescribeTransitGateways": Ec2Kind(
        "transit_gateways", "transitGatewaySet", ("TransitGatewayIds",), "tgw",
        ("InvalidTransitGatewayID.NotFound", "Transit Gateway %s was deleted or does not "
         "exist."), "InvalidTransitGatewayID.Malformed", tgw_fields, tgw_xml),
    "DescribeLaunchTemplates": Ec2Kind(
        "launch_templates", "launchTemplates", ("LaunchTemplateId",), "lt",
        ("InvalidLaunchTemplateId.NotFound", _LT_NOT_FOUND),
        "InvalidLaunchTemplateId.Malformed", lt_fields, lt_xml, max_results=(1, 200),
        names=("LaunchTemplateName", "launch-template-name",
               ("InvalidLaunchTemplateName.NotFoundException", _LT_NOT_FOUND))),
}
# A representative object per kind, so a filter name is checked even when
# the region holds none of the kind (AWS rejects unknown filters always).
_SAMPLES = {
    "security_groups": {"id": "", "name": "", "description": "", "vpc": None, "account": "",
                        "ingress": [], "egress": []},
    "subnets": {"id": "", "vpc": "", "cidr": "", "ipv6": [], "az": "", "az_id": "",
                "state": "", "default_for_az": False, "map_public_ip": False, "account": "",
                "region": "", "available_ips": 0},
    "vpcs": {"id": "", "cidrs": [""], "ipv6": [], "is_default": False, "state": "",
             "account": "", "dhcp": ""},
    "volumes": {"id": "", "attachments": [], "az": "", "size": 0, "snapshot": "", "state": "",
                "type": "", "encrypted": False, "create_time": ""},
    "images": {"id": "", "name": "", "description": "", "owner": "", "state": "",
               "public": False, "architecture": "", "root_device": "", "snapshot": None,
               "platform_details": ""},
    "snapshots": {"id": "", "volume": "", "owner": "", "state": "", "description": "",
                  "volume_size": 0, "encrypted": False, "start_time": "", "progress": ""},
    "nat_gateways": {"id": "", "subnet": "", "vpc": "", "state": ""},
    "internet_gateways": {"id": "", "attachments": [], "account": ""},
    "vpc_endpoints": {"id": "", "vpc": "", "service": "", "type": "", "state": ""},
    "transit_gateways": {"id": "", "state": "", "account": "", "asn": 0},
    "launch_templates": {"name": "", "create_time": ""},
}


def ec2_filter_known(kind, name):
    if name.startswith("tag:") or name in ("tag-key", "tag-value"):
        return True
    return name in kind.fields(_SAMPLES[kind.coll])


# --------------------------------------------------------------------------
# State and request processing
# --------------------------------------------------------------------------

class Standin:
    def __init__(self, world, faults, latency_ms=0, credential_ttl=None, log=True,
                 retention=DEFAULT_TERMINATED_RETENTION, clock_offset=0.0):
        """world: a World, or a function making one (then /_control/reset
        {"world": true} can restore the start-up state)."""
        self.make_world = world if callable(world) else None
        self.world = world() if callable(world) else world
        # The stand-in's clock (real time + offset) dates launches and
        # terminations and decides when a terminated instance is forgotten;
        # SigV4 date checks and credential lifetimes keep the real time.
        self.clock_offset = float(clock_offset)
        self.retention = float(retention)
        self.start_offset, self.start_retention = self.clock_offset, self.retention
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
        # AssumeRoleWithWebIdentity: the tokens accepted, and every token seen.
        self.web_identity_tokens = set()
        self.web_identity_seen = []

    # ---- control API -------------------------------------------------------
    def control(self, method, path, body, query=""):
        try:
            doc = json.loads(body.decode("utf-8")) if body.strip() else {}
        except ValueError:
            return Reply(400, json.dumps({"error": "bad json"}), ctype="application/json")
        reply = self.world_control(method, path, doc, query)
        if reply is not None:
            return reply
        with self.lock:
            if method == "GET" and path == "/_control/stats":
                out = {"total": self.stats.get("total", 0), "by_action": {}, "by_account": {},
                       "connections": self.stats.get("connections", 0),
                       "by_region": {}, "by_status": {}, "by_key": {}, "by_service": {},
                       "by_call": {}, "by_call_key": {}}
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
            if path == "/_control/web-identity" and method in ("GET", "POST"):
                if method == "POST":
                    self.web_identity_tokens.update(doc.get("accept", []))
                return Reply(200, json.dumps({"seen": self.web_identity_seen}),
                             ctype="application/json")
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
                    if isinstance(doc, dict) and doc.get("world"):
                        # The start-up world (terminations and launches
                        # undone), clock offset and retention.
                        if self.make_world is not None:
                            self.world = self.make_world()
                        self.clock_offset = self.start_offset
                        self.retention = self.start_retention
                return Reply(200, '{"ok":true}', ctype="application/json")
        return Reply(404, json.dumps({"error": "unknown control path"}),
                     ctype="application/json")

    # ---- the world over time: clock, terminate, launch (control API) ------
    def now(self):
        """The stand-in's clock: real time plus the offset set by the tests."""
        return time.time() + self.clock_offset

    def visible_until(self, inst):
        keep = inst["retain_s"] if inst["retain_s"] is not None else self.retention
        return inst["terminated_at"] + keep

    def expire(self, rdata):
        """Forget terminated instances whose retention has passed on the
        stand-in's clock: EC2 stops listing them (and then answers
        InvalidInstanceID.NotFound for their IDs)."""
        if rdata.get("expiring"):
            with self.lock:
                self._expire_locked(rdata)

    def _expire_locked(self, rdata):
        now = self.now()
        gone = {i["id"] for i in rdata["instances"]
                if i["id"] in rdata["expiring"] and self.visible_until(i) <= now}
        if gone:
            rdata["instances"] = [i for i in rdata["instances"] if i["id"] not in gone]
            rdata["expiring"] = rdata["expiring"] - gone

    def _where(self, doc):
        """(account id, region, region data) the request names, pinned for
        change; raises ControlError."""
        aid, region = str(doc.get("account") or ""), doc.get("region")
        if not aid or not region:
            raise ControlError(400, "account and region are required")
        rdata = self.world.region_for_update(aid, region)
        if rdata is None:
            raise ControlError(404, "no region %s in account %s" % (region, aid))
        return aid, region, rdata

    @staticmethod
    def _time_arg(doc, key, default):
        if doc.get(key) is None:
            return default
        try:
            return parse_time(doc[key])
        except ValueError as e:
            raise ControlError(400, "%s: %s" % (key, e))

    def world_control(self, method, path, doc, query):
        """The control paths that read or change the world and its clock;
        None for the others."""
        routes = {("GET", "/_control/clock"): self._ctl_clock_get,
                  ("POST", "/_control/clock"): self._ctl_clock_set,
                  ("POST", "/_control/retention"): self._ctl_retention,
                  ("POST", "/_control/terminate"): self._ctl_terminate,
                  ("POST", "/_control/launch"): self._ctl_launch,
                  ("GET", "/_control/org"): self._ctl_org,
                  ("GET", "/_control/region"): self._ctl_region}
        fn = routes.get((method, path))
        if fn is None:
            return None
        if not isinstance(doc, dict):
            return json_reply(400, {"error": "the body must be a JSON object"})
        try:
            with self.lock:
                return json_reply(200, fn(doc, dict(parse_qsl(query or ""))))
        except ControlError as e:
            return json_reply(e.status, {"error": e.msg})
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            return json_reply(400, {"error": "bad request: %r" % (e,)})

    def _clock_doc(self):
        now = self.now()
        return {"offset": self.clock_offset, "now": iso_ms(now), "now_epoch": now,
                "retention_s": self.retention}

    def _ctl_clock_get(self, doc, q):
        return self._clock_doc()

    def _ctl_clock_set(self, doc, q):
        given = [k for k in ("offset", "advance", "now") if doc.get(k) is not None]
        if len(given) != 1:
            raise ControlError(400, 'give exactly one of "offset", "advance", "now"')
        if given[0] == "now":
            self.clock_offset = self._time_arg(doc, "now", None) - time.time()
        else:
            try:
                v = float(doc[given[0]])
            except (TypeError, ValueError):
                raise ControlError(400, "%s must be a number of seconds" % given[0])
            self.clock_offset = v if given[0] == "offset" else self.clock_offset + v
        return self._clock_doc()

    def _ctl_retention(self, doc, q):
        try:
            v = float(doc["seconds"])
        except (KeyError, TypeError, ValueError):
            raise ControlError(400, '"seconds" (a number >= 0) is required')
        if v < 0:
            raise ControlError(400, "seconds must be >= 0")
        self.retention = v
        return self._clock_doc()

    @staticmethod
    def _instance_doc(inst, until=None):
        """What the control API says about an instance."""
        return {"id": inst["id"], "name": inst["tags"].get("Name"), "state": inst["state"],
                "private_ip": inst["private_ip"], "public_ip": inst["public_ip"],
                "launch_time": inst["launch_time"], "reason": inst["reason"],
                "subnet": inst["subnet"], "vpc": inst["vpc"],
                "enis": [e["id"] for e in inst["enis"]],
                "terminated_at": (iso_ms(inst["terminated_at"])
                                  if inst["terminated_at"] is not None else None),
                "visible_until": iso_ms(until) if until is not None else None}

    def _ctl_terminate(self, doc, q):
        """Terminate an instance as TerminateInstances does: state
        terminated (48), StateTransitionReason "User initiated (T GMT)",
        StateReason Client.UserInitiatedShutdown; its ENIs deleted and their
        addresses released; volumes with DeleteOnTermination deleted, others
        detached; it leaves target groups, classic load balancers and Auto
        Scaling groups.  Visible until T + retention, then forgotten."""
        iid = doc.get("instance")
        if not isinstance(iid, str) or not valid_id("i", iid):
            raise ControlError(400, '"instance" must be an instance ID (i-…)')
        # Whole seconds, as the reason string says it.
        at = float(int(self._time_arg(doc, "at", self.now())))
        retain = doc.get("retain_s")
        if retain is not None:
            try:
                retain = float(retain)
            except (TypeError, ValueError):
                retain = -1
            if retain < 0:
                raise ControlError(400, "retain_s must be a number >= 0")
        if doc.get("account") or doc.get("region"):
            places = [self._where(doc)]
        else:
            places = list(self.world.built_regions())
        for aid, region, rdata in places:
            inst = next((i for i in rdata["instances"] if i["id"] == iid), None)
            if inst is not None:
                break
        else:
            raise ControlError(404, "no instance %s%s" % (iid, "" if doc.get("account") else
                                                          " (in a generated org, name its "
                                                          "account and region)"))
        rdata = self.world.region_for_update(aid, region)
        if inst["state"] == "terminated":
            out = self._instance_doc(inst, self.visible_until(inst)
                                     if inst["terminated_at"] is not None else None)
            return dict(out, account=aid, region=region, changed=False)
        if at < parse_time(inst["launch_time"]):
            raise ControlError(400, "at (%s) is before the instance's launch time %s"
                               % (iso_ms(at), inst["launch_time"]))
        released = {"private": [], "public": [], "ipv6": []}
        for e in inst["enis"]:
            released["private"] += [e["private_ip"]] + e["secondary_private_ips"]
            released["public"] += [e["public_ip"]] if e["public_ip"] else []
            released["ipv6"] += e["ipv6"]
        gone_enis = {e["id"] for e in inst["enis"]}
        new = dict(inst, state="terminated", reason=user_terminated_reason(at),
                   state_reason=USER_SHUTDOWN_STATE_REASON, terminated_at=at, retain_s=retain,
                   private_ip=None, public_ip=None, private_dns="", public_dns="", enis=[],
                   groups=[], block_devices=[])
        vols, deleted = [], []
        for v in rdata["volumes"]:
            mine = [a for a in v["attachments"] if a["instance"] == iid]
            if not mine:
                vols.append(v)
            elif any(a["delete_on_termination"] for a in mine):
                deleted.append(v["id"])
            else:
                rest = [a for a in v["attachments"] if a["instance"] != iid]
                vols.append(dict(v, attachments=rest, state="in-use" if rest else "available"))
        for tg in rdata["target_groups"]:
            if any(t["id"] == iid for t in tg["targets"]):
                tg["targets"] = [t for t in tg["targets"] if t["id"] != iid]
        for lb in rdata["classic_load_balancers"]:
            if iid in lb["instances"]:
                lb["instances"] = [i for i in lb["instances"] if i != iid]
                lb["health"] = {k: v for k, v in lb["health"].items() if k != iid}
        for g in rdata["auto_scaling_groups"]:
            if any(m["id"] == iid for m in g["instances"]):
                g["instances"] = [m for m in g["instances"] if m["id"] != iid]
        for sub in rdata["subnets"]:
            if sub["id"] == inst["subnet"]:
                sub["available_ips"] += len(released["private"])
        rdata["volumes"] = vols
        rdata["enis"] = [e for e in rdata["enis"] if e["id"] not in gone_enis]
        rdata["instances"] = [new if i is inst else i for i in rdata["instances"]]
        rdata["expiring"] = rdata["expiring"] | {iid}
        out = self._instance_doc(new, self.visible_until(new))
        return dict(out, account=aid, region=region, changed=True, released=released,
                    deleted_enis=sorted(gone_enis), deleted_volumes=deleted)

    def _ctl_launch(self, doc, q):
        """Launch an instance as RunInstances would have: given ID, Name,
        subnet and primary private address (free in its VPC: possibly one a
        terminated instance just released), a primary ENI attached at the
        launch time, the VPC's default security group unless others are
        named, and a root volume deleted on termination."""
        aid, region, rdata = self._where(doc)
        self._expire_locked(rdata)
        iid, pip = doc.get("instance"), doc.get("private_ip")
        if not isinstance(iid, str) or not valid_id("i", iid):
            raise ControlError(400, '"instance" must be an instance ID (i-…)')
        if any(i["id"] == iid for i in rdata["instances"]):
            raise ControlError(409, "instance %s exists in %s/%s" % (iid, aid, region))
        state = doc.get("state", "running")
        if state not in ("pending", "running", "stopped"):
            raise ControlError(400, "state must be pending, running or stopped")
        sid = doc.get("subnet")
        if not isinstance(sid, str) or not valid_id("subnet", sid):
            raise ControlError(400, '"subnet" must be a subnet ID (subnet-…)')
        try:
            addr = ipaddress.IPv4Address(pip)
        except (ipaddress.AddressValueError, TypeError, ValueError):
            raise ControlError(400, '"private_ip" must be an IPv4 address')
        sub = next((x for x in rdata["subnets"] if x["id"] == sid), None)
        if sub is not None:
            vpc, az = sub["vpc"], doc.get("az", sub["az"])
            net = ipaddress.IPv4Network(sub["cidr"], strict=False)
            # AWS reserves the first four addresses and the last of a subnet.
            if addr not in net or not 4 <= int(addr) - int(net.network_address) \
                    < net.num_addresses - 1:
                raise ControlError(400, "address %s is not assignable in subnet %s (%s)"
                                   % (pip, sid, sub["cidr"]))
        else:
            vpc, az = doc.get("vpc"), doc.get("az", region + "a")
            if not isinstance(vpc, str) or not valid_id("vpc", vpc):
                raise ControlError(400, "subnet %s is not in %s/%s: give \"vpc\" too"
                                   % (sid, aid, region))
        for k in ("secondary_private_ips", "ipv6", "security_groups"):
            if not isinstance(doc.get(k) or [], list):
                raise ControlError(400, "%s must be a list" % k)
        wanted = [pip] + [str(x) for x in doc.get("secondary_private_ips") or []]
        for e in rdata["enis"]:
            held = set([e["private_ip"]] + e["secondary_private_ips"]) & set(wanted)
            if e["vpc"] == vpc and held:
                raise ControlError(409, "address %s is in use by %s%s (InvalidIPAddress.InUse)"
                                   % (sorted(held)[0], e["id"], " (%s)" % e["instance_id"]
                                      if e["instance_id"] else ""))
        launch = self._time_arg(doc, "launch_time", self.now())
        tags = doc.get("tags") or {}
        if not isinstance(tags, dict):
            raise ControlError(400, "tags must be an object")
        tags = {str(k): str(v) for k, v in tags.items()}
        if doc.get("name") is not None:
            tags["Name"] = str(doc["name"])
        raw = {"id": iid, "state": state, "launch_time": iso_ms(launch), "vpc": vpc,
               "subnet": sid, "az": az, "private_ip": pip, "tags": tags,
               "public_ip": doc.get("public_ip"), "eni_id": doc.get("eni_id"),
               "secondary_private_ips": list(doc.get("secondary_private_ips") or []),
               "ipv6": list(doc.get("ipv6") or [])}
        for k in ("type", "image", "key_name", "platform"):
            if doc.get(k) is not None:
                raw[k] = str(doc[k])
        if raw["eni_id"] is not None and not valid_id("eni", raw["eni_id"]):
            raise ControlError(400, '"eni_id" must be a network interface ID (eni-…)')
        try:
            inst = _norm_instance(raw, aid, region)
        except FixtureError as e:
            raise ControlError(400, str(e))
        if any(e["id"] == inst["enis"][0]["id"] for e in rdata["enis"]):
            raise ControlError(409, "network interface %s exists" % inst["enis"][0]["id"])
        sgs = {g["id"]: g for g in rdata["security_groups"]}
        want = doc.get("security_groups")
        inst.pop("sg_ids", None)
        if want:
            missing = [g for g in want if g not in sgs]
            if missing:
                raise ControlError(400, "unknown security group %s" % missing[0])
            inst["groups"] = [(g, sgs[g]["name"]) for g in want]
        else:
            v = next((x for x in rdata["vpcs"] if x["id"] == vpc), None)
            inst["groups"] = [(v["default_sg"] if v else "sg-" + _h(vpc, "sg"), "default")]
        for e in inst["enis"]:
            e["groups"] = inst["groups"]
        vols = rdata["volumes"]
        vol = None
        if doc.get("root_volume", True):
            vid = doc.get("volume_id") or "vol-" + _h(iid, "vol")
            if not valid_id("vol", vid) or any(v["id"] == vid for v in vols):
                raise ControlError(409 if valid_id("vol", vid) else 400,
                                   "volume %s: bad or existing ID" % vid)
            att = {"volume": vid, "instance": iid, "device": "/dev/xvda",
                   "attach_time": inst["launch_time"], "delete_on_termination": True,
                   "state": "attached"}
            vol = _volume(vid, aid, region, {"create_time": inst["launch_time"],
                                             "tags": {"Name": tags.get("Name", iid) + "-root"}},
                          [att], az)
            inst["block_devices"] = [att]
            vols = vols + [vol]
        if sub is not None:
            sub["available_ips"] = max(0, sub["available_ips"] - len(
                _all_private_ips(inst["enis"])))
        rdata["volumes"] = vols
        rdata["enis"] = rdata["enis"] + inst["enis"]
        rdata["instances"] = rdata["instances"] + [inst]
        return dict(self._instance_doc(inst), account=aid, region=region,
                    volume=vol["id"] if vol else None, private_dns=inst["private_dns"])

    def _ctl_org(self, doc, q):
        """The organisation: how it was generated, its resources by type
        (a generated org's as generated, from the recipe, so the unbuilt
        regions cost nothing and launches or terminations do not show; a
        fixture's counted now), the region cache and the RSS."""
        rss, peak = rss_kb()
        out = {"accounts": len(self.world.accounts), "rss_kb": rss, "peak_rss_kb": peak}
        spec = self.world.org
        if spec is not None:
            by_type, total = spec.totals()
            out.update(generated=True, shape=spec.shape, per_region=spec.per_region,
                       seed=spec.seed, regions=list(spec.region_names), resources=by_type,
                       total_resources=total, **self.world.region_cache.info())
        else:
            by_type = Counter()
            for _, _, rd in self.world.built_regions():
                by_type.update(region_counts(rd))
            out.update(generated=False, resources=dict(by_type),
                       total_resources=sum(by_type.values()))
        return out

    def _ctl_region(self, doc, q):
        """One account-region now: resources by type and every instance
        (built if needed, not kept unless changed)."""
        aid, region = q.get("account", ""), q.get("region", "")
        a = self.world.accounts.get(aid)
        if a is None or region not in a["regions"]:
            raise ControlError(404, "no region %s in account %s" % (region, aid))
        rdata = a["regions"][region]
        self._expire_locked(rdata)
        spec = self.world.org
        out = {"account": aid, "region": region, "counts": region_counts(rdata),
               "instances": [self._instance_doc(i, self.visible_until(i)
                                                if i["terminated_at"] is not None else None)
                             for i in rdata["instances"]]}
        if spec is not None and spec.account_index(aid) is not None:
            out["generated_counts"] = spec.counts(spec.account_index(aid),
                                                  spec.region_index[region])
        return out

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

    def count(self, action, account, region, status, service=None, api=None):
        """One call: by action, account, region, status, signing name
        (by_service), API and action (by_call: "ec2:DescribeSecurityGroups",
        "elbv2:DescribeTargetHealth", "route53:ListResourceRecordSets") and
        by_call_key ("API:Action:account:region")."""
        call = "%s:%s" % (api or service or "-", action or "-")
        with self.lock:
            self.stats["total"] += 1
            self.stats[("action", action or "-")] += 1
            self.stats[("account", account or "-")] += 1
            self.stats[("region", region or "-")] += 1
            self.stats[("status", str(status))] += 1
            self.stats[("key", "%s:%s:%s" % (action or "-", account or "-", region or "-"))] += 1
            self.stats[("service", service or "-")] += 1
            self.stats[("call", call)] += 1
            self.stats[("call_key", "%s:%s:%s" % (call, account or "-", region or "-"))] += 1

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
    def authenticate(self, req, api):
        """Return (identity dict, auth dict) or raise ApiError."""
        hdr = req["headers_lc"].get("authorization")
        if not hdr:
            raise ApiError(auth_error(api, "missing"))
        auth = parse_authorization(hdr)
        if auth is None:
            raise ApiError(auth_error(api, "incomplete",
                                      "Authorization header requires 'Credential', "
                                      "'SignedHeaders' and 'Signature' parameters. "
                                      "Authorization=" + hdr.split(" ")[0]))
        amz_date = req["headers_lc"].get("x-amz-date", "")
        if "host" not in auth["signed_headers"] or not amz_date:
            raise ApiError(auth_error(api, "incomplete",
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
            raise ApiError(auth_error(api, "unknown_key"))
        try:
            req_time = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            raise ApiError(auth_error(api, "incomplete",
                                      "Date must be in ISO-8601 'basic format'. Got '%s'."
                                      % amz_date))
        now = datetime.datetime.now(datetime.timezone.utc)
        fmt = "%Y%m%dT%H%M%SZ"
        if req_time < now - datetime.timedelta(seconds=MAX_SKEW_SECONDS):
            raise ApiError(auth_error(api, "bad_sig",
                                      "Signature expired: %s is now earlier than %s (%s - 5 min.)"
                                      % (amz_date, (now - datetime.timedelta(minutes=5))
                                         .strftime(fmt), now.strftime(fmt))))
        if req_time > now + datetime.timedelta(seconds=MAX_SKEW_SECONDS):
            raise ApiError(auth_error(api, "bad_sig",
                                      "Signature not yet current: %s is still later than %s "
                                      "(%s + 5 min.)" % (amz_date, (now + datetime.timedelta(
                                          minutes=5)).strftime(fmt), now.strftime(fmt))))
        if auth["date"] != amz_date[:8]:
            raise ApiError(auth_error(api, "bad_sig",
                                      "Date in Credential scope does not match YYYYMMDD from "
                                      "ISO-8601 version of date from HTTP: '%s' != '%s', from "
                                      "'%s'." % (auth["date"], amz_date[:8], amz_date)))
        try:
            creq = canonical_request(req["method"], req["path"], req["query"], req["headers"],
                                     auth["signed_headers"], req["body"])
        except KeyError:
            raise ApiError(auth_error(api, "bad_sig", SIG_MISMATCH_MSG))
        scope = "/".join([auth["date"], auth["region"], auth["service"], "aws4_request"])
        want = compute_signature(ident["secret"], auth["date"], auth["region"],
                                 auth["service"], string_to_sign(amz_date, scope, creq))
        if not hmac.compare_digest(want, auth["signature"]):
            raise ApiError(auth_error(api, "bad_sig", SIG_MISMATCH_MSG))
        token = req["headers_lc"].get("x-amz-security-token")
        if ident["token"] is None:
            if token:
                raise ApiError(auth_error(api, "bad_token"))
        else:
            if not token or not hmac.compare_digest(token, ident["token"]):
                raise ApiError(auth_error(api, "bad_token"))
            if time.time() >= ident["expires"]:
                raise ApiError(auth_error(api, "expired_token"))
        return ident, auth

    # ---- dispatch ----------------------------------------------------------
    def resolve(self, service, proto, req):
        """(Api, action name, REST route or None) of a request."""
        params = req["params"]
        if proto == "json":
            tgt = req["headers_lc"].get("x-amz-target", "")
            return (Api(service, proto, service), tgt[len(ORG_TARGET_PREFIX):] or "-", None)
        if proto == "restxml":
            route = r53_route(req["method"], req["path"])
            return Api(service, proto, "route53", R53_NS), route[0], route
        if proto == "restjson":
            route = lambda_route(req["method"], req["path"])
            return Api(service, proto, "lambda"), route[0], route
        action = params.get("Action") or "-"
        if proto == "query":
            name, ns = QUERY_APIS.get((service, params.get("Version")),
                                      (service, QUERY_DEFAULT_NS[service]))
            return Api(service, proto, name, ns), action, None
        return Api(service, proto, service, STS_NS if proto == "sts" else None), action, None

    @staticmethod
    def guess_service(req):
        """The service of a request without a (readable) Authorization header."""
        params, path = req["params"], req["path"]
        if req["headers_lc"].get("x-amz-target", "").startswith(ORG_TARGET_PREFIX):
            return "organizations"
        if path.startswith("/2013-04-01/"):
            return "route53"
        if path.startswith("/2015-03-31/"):
            return "lambda"
        if params.get("Action") in ("AssumeRole", "GetCallerIdentity",
                                    "AssumeRoleWithWebIdentity"):
            return "sts"
        for (svc, version) in QUERY_APIS:
            if params.get("Version") == version:
                return svc
        return "ec2"

    def handle(self, req, log):
        """Process one AWS request; returns Reply.  log: dict filled for the log line."""
        hl = req["headers_lc"]
        auth_hdr = parse_authorization(hl.get("authorization", "")) or {}
        service = auth_hdr.get("service") or self.guess_service(req)
        proto = SERVICE_PROTO.get(service)
        log["service"] = service
        log["region"] = auth_hdr.get("region")
        if proto is None:
            log["api"], log["action"] = service, req["params"].get("Action") or "-"
            return json_error(400, "UnknownServiceException",
                              "The stand-in does not serve service '%s'" % service)
        api, action, route = self.resolve(service, proto, req)
        log["api"], log["action"] = api.name, action
        if proto == "sts" and action == "AssumeRoleWithWebIdentity":
            return self.sts_web_identity(req["params"])
        try:
            ident, auth = self.authenticate(req, api)
            log["account"] = ident["account"]
            fault_account = ident["account"]
            if proto == "sts" and action == "AssumeRole":
                parts = req["params"].get("RoleArn", "").split(":")
                if len(parts) > 4:
                    fault_account = parts[4]
                    log["account"] = fault_account
            if service in DATA_SERVICES and ident["kind"] != "temp":
                raise ApiError(self.not_authorized(api, action, ident, auth["region"]))
            faults = self.active_faults(fault_account, service)
            r = self.apply_faults(faults, api, action, ident, auth["region"])
            if r is not None:
                return r
            region = auth["region"]
            if proto == "sts":
                reply = self.sts(action, req["params"], ident, faults)
            elif proto == "ec2":
                reply = self.ec2(action, req["params"], ident, region)
            elif proto == "json":
                reply = self.orgs(action, req["body"], ident)
            elif proto == "query":
                reply = self.query_call(api, action, req["params"], ident, region)
            elif proto == "restxml":
                reply = self.route53(api, route, rest_params(req["query"]), ident, region)
            else:
                reply = self.lambda_call(api, route, rest_params(req["query"]), ident, region)
            if reply.status == 200 and any(f.kind == "malformed-xml" for f in faults):
                reply.body = reply.body[:max(1, len(reply.body) // 2)]
            huge = [f for f in faults if f.kind == "huge-answer"]
            if reply.status == 200 and huge:
                body = huge_answer(api, action, int(huge[0].arg))
                if body is not None:
                    reply.body = body.encode()
            return reply
        except ApiError as e:
            return e.reply

    @staticmethod
    def not_authorized(api, action, ident, region):
        """A caller without the permission (the base identity on a data
        service, or the "unauthorized" fault), in the service's own words."""
        who = ident["arn"]
        if api.proto == "ec2":
            return ec2_error(403, "UnauthorizedOperation",
                             "You are not authorized to perform this operation.")
        if api.proto == "restxml":
            return api.error(403, "AccessDenied",
                             "User: %s is not authorized to access this resource" % who)
        if api.proto == "restjson":
            return rest_json_error(403, "AccessDeniedException",
                                   "User: %s is not authorized to perform: lambda:%s on "
                                   "resource: arn:aws:lambda:%s:%s:function:*"
                                   % (who, action, region, ident["account"]), key="Message")
        return api.error(403, "AccessDenied", "User: %s is not authorized to perform: %s:%s"
                         % (who, api.service, action))

    def apply_faults(self, faults, api, action, ident, region):
        proto = api.proto
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
                if proto == "json":
                    return json_error(400, "TooManyRequestsException",
                                      "AWS Organizations can't complete your request because "
                                      "another request is already in progress. Try again "
                                      "later.")
                if proto == "restjson":
                    rid = new_request_id()
                    return Reply(429, json.dumps({"Reason": "CallerRateLimitExceeded",
                                                  "Type": "User", "message": "Rate exceeded"}),
                                 ctype="application/json",
                                 headers={"x-amzn-RequestId": rid, "Retry-After": "1",
                                          "x-amzn-ErrorType": "TooManyRequestsException"})
                return api.error(400, "Throttling", "Rate exceeded")
        for f in faults:
            if f.kind == "http500":
                if proto == "ec2":
                    return ec2_error(500, "InternalError", "An internal error has occurred")
                if proto == "json":
                    return json_error(500, "ServiceException",
                                      "AWS Organizations can't complete your request because "
                                      "it encountered an internal error. Try again later.")
                if proto == "restjson":
                    return rest_json_error(500, "ServiceException",
                                           "An internal error occurred", etype="Service")
                return api.error(500, "InternalFailure", "An internal error occurred",
                                 etype="Receiver")
        if api.service in DATA_SERVICES:
            for f in faults:
                # ec2-unauthorized: EC2, or the service it is explicitly
                # scoped to; unauthorized: every data service.
                if f.kind == "unauthorized" or (f.kind == "ec2-unauthorized" and (
                        api.service == "ec2" or f.service == api.service)):
                    return self.not_authorized(api, action, ident, region)
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
        return self.issue_temp("AssumeRole", role["account"], role_arn, session, ttl, rid)

    def issue_temp(self, action, account, role_arn, session, ttl, rid, extra=()):
        """New temporary credentials for role_arn, and STS's answer to action."""
        now = time.time()
        expires = now + ttl
        akid = "ASIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
                                for _ in range(16))
        secret = base64.b64encode(secrets.token_bytes(30)).decode()
        token = "IQoJb3JpZ2luX2VjE" + base64.b64encode(secrets.token_bytes(180)).decode()
        role_name = role_arn.split("/")[-1]
        role_id = "AROA" + _h(role_arn, n=17).upper()
        cred = {"kind": "temp", "secret": secret, "token": token, "expires": expires,
                "account": account, "role_arn": role_arn, "session": session,
                "role_id": role_id,
                "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (account, role_name, session)}
        with self.lock:
            # Drop credentials that expired long ago so a long benchmark run stays bounded.
            if len(self.creds) > 10000:
                for k in [k for k, c in self.creds.items() if c["expires"] < now - 3600]:
                    del self.creds[k]
            self.creds[akid] = cred
        exp_s = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        body = ('<%sResponse xmlns="%s">\n' % (action, STS_NS) +
                X(action + "Result", *extra,
                  X("AssumedRoleUser", X("AssumedRoleId", text=role_id + ":" + session),
                    X("Arn", text=cred["arn"])),
                  X("Credentials", X("AccessKeyId", text=akid),
                    X("SecretAccessKey", text=secret), X("SessionToken", text=token),
                    X("Expiration", text=exp_s))) + "\n" +
                X("ResponseMetadata", X("RequestId", text=rid)) +
                "\n</%sResponse>\n" % action)
        return Reply(200, body, headers={"x-amzn-RequestId": rid})

    def sts_web_identity(self, params):
        """AssumeRoleWithWebIdentity: unsigned, as the SDKs send it; the token
        must be one given with --web-identity-token (or POST
        /_control/web-identity); every token presented is recorded, in
        order, for GET /_control/web-identity."""
        rid = new_request_id()
        role_arn, session = params.get("RoleArn"), params.get("RoleSessionName")
        token = params.get("WebIdentityToken")
        for name, v in (("roleArn", role_arn), ("roleSessionName", session),
                        ("webIdentityToken", token)):
            if not v:
                return sts_error(400, "ValidationError",
                                 "1 validation error detected: Value null at '%s' failed to "
                                 "satisfy constraint: Member must not be null" % name)
        with self.lock:
            self.web_identity_seen.append(token)
            ok = token in self.web_identity_tokens
        if not re.match(r"^[\w+=,.@-]{2,64}$", session):
            return sts_error(400, "ValidationError",
                             "1 validation error detected: Value '%s' at 'roleSessionName' "
                             "failed to satisfy constraint: Member must satisfy regular "
                             "expression pattern: [\\w+=,.@-]*" % session)
        m = re.match(r"^arn:aws:iam::(\d{12}):role/[\w+=,.@/-]+$", role_arn)
        if m is None:
            return sts_error(400, "ValidationError", "Invalid RoleArn")
        if not ok:
            return sts_error(400, "InvalidIdentityToken",
                             "Couldn't retrieve verification key from your identity provider, "
                             "please reference AssumeRoleWithWebIdentity documentation for "
                             "requirements")
        ttl = self.credential_ttl if self.credential_ttl is not None else 3600
        extra = (X("SubjectFromWebIdentityToken", text="system:serviceaccount:standin:slash-infra"),
                 X("Audience", text="sts.amazonaws.com"),
                 X("Provider", text="arn:aws:iam::%s:oidc-provider/standin" % m.group(1)))
        return self.issue_temp("AssumeRoleWithWebIdentity", m.group(1), role_arn, session,
                               ttl, rid, extra)

    # ---- EC2 ---------------------------------------------------------------
    def ec2(self, action, params, ident, region):
        account = self.world.accounts.get(ident["account"])
        if account is None or region not in account["regions"]:
            # AWS answers AuthFailure for a region the account has not enabled.
            return ec2_error(401, "AuthFailure", EC2_AUTH_MSG)
        rdata = account["regions"][region]
        self.expire(rdata)
        kind = EC2_KINDS.get(action)
        if kind is not None:
            return self.describe_kind(action, kind, params, account, region, rdata)
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

    def _paging(self, params, scope, total, ids_given, bounds=(EC2_MIN_RESULTS, EC2_MAX_RESULTS)):
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
        if not bounds[0] <= n <= bounds[1]:
            raise ApiError(ec2_error(400, "InvalidParameterValue",
                                     "Value ( %s ) for parameter maxResults is invalid. Expecting "
                                     "a value between %d and %d." % (max_results, bounds[0],
                                                                     bounds[1])))
        return start, min(total, start + n)

    def _scope(self, action, account, region, params):
        keep = sorted((k, v) for k, v in params.items()
                      if k not in ("NextToken", "MaxResults", "Version", "Action"))
        return "%s|%s|%s|%s" % (action, account["id"], region, json.dumps(keep))

    def describe_kind(self, action, kind, params, account, region, rdata):
        """Any Describe* of EC2_KINDS: .N IDs (malformed, then unknown, as AWS
        checks them), names where the API has them, Owner.N for images and
        snapshots, Filter.N, then MaxResults/NextToken."""
        aid = account["id"]
        ids = []
        for p in kind.id_params:
            ids.extend(indexed_list(params, p))
        for i in ids:
            if not valid_id(kind.prefix, i):
                raise ApiError(ec2_error(400, kind.malformed, 'Invalid id: "%s" (expecting '
                                         '"%s-...")' % (i, kind.prefix)))
        if kind.coll == "images":
            objs = [i for i in self.world.images.get(region, [])
                    if i["owner"] == aid or i["public"] or aid in i["launch_permissions"]]
        else:
            objs = rdata[kind.coll]
        if ids:
            by_id = {o["id"]: o for o in objs}
            missing = [i for i in ids if i not in by_id]
            if missing:
                raise ApiError(ec2_error(400, kind.not_found[0], kind.not_found[1] % missing[0]
                                         if "%s" in kind.not_found[1] else kind.not_found[1]))
            objs = [by_id[i] for i in dict.fromkeys(ids)]
        if kind.names:
            names = indexed_list(params, kind.names[0])
            if names:
                have = {o["name"] for o in objs}
                missing = [n for n in names if n not in have]
                if missing:
                    code, msg = kind.names[2]
                    raise ApiError(ec2_error(400, code, msg % missing[0] if "%s" in msg
                                             else msg))
                objs = [o for o in objs if o["name"] in set(names)]
        if kind.coll in ("images", "snapshots"):
            owners = indexed_list(params, "Owner")
            if owners:
                want = {aid if o == "self" else o for o in owners}
                objs = [o for o in objs if o["owner"] in want]
            users = indexed_list(params, "ExecutableBy") if kind.coll == "images" else []
            if users:
                def runs(o, u):
                    if u == "all":
                        return o["public"]
                    u = aid if u == "self" else u
                    return o["public"] or o["owner"] == u or u in o["launch_permissions"]
                objs = [o for o in objs if any(runs(o, u) for u in users)]
        filters = parse_filters(params)
        for name, _, _ in filters:
            if not ec2_filter_known(kind, name):
                raise ApiError(ec2_error(400, "InvalidParameterValue",
                                         "The filter '%s' is invalid" % name))
        objs = [o for o in objs
                if all(any(r.match(v) for r in regs for v in kind.field(o, name))
                       for name, regs, _ in filters)]
        scope = self._scope(action, account, region, params)
        start, end = self._paging(params, scope, len(objs), False, kind.max_results)
        token = self.make_token(scope, end) if end < len(objs) else None
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<%sResponse xmlns="%s">' % (action, EC2_NS) +
                X("requestId", text=new_request_id()) +
                X(kind.set_name, *[kind.xml(o) for o in objs[start:end]]) +
                (X("nextToken", text=token) if token else "") + "</%sResponse>" % action)
        return Reply(200, body)

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

    # ---- query services: ELB classic and v2, RDS, Auto Scaling -------------
    def query_call(self, api, action, params, ident, region):
        version = params.get("Version")
        if (api.service, version) not in QUERY_APIS:
            if not version:
                return api.error(400, "MissingParameter",
                                 "The request must contain the parameter Version")
            return api.error(400, "InvalidAction", "Could not find operation %s for version %s"
                             % (action, version))
        account = self.world.accounts.get(ident["account"])
        if account is None or region not in account["regions"]:
            # As AWS answers a region the account has not enabled.
            return auth_error(api, "unknown_key")
        handler = {
            ("elb", "DescribeLoadBalancers"): self.elb_describe_load_balancers,
            ("elb", "DescribeInstanceHealth"): self.elb_describe_instance_health,
            ("elbv2", "DescribeLoadBalancers"): self.elbv2_describe_load_balancers,
            ("elbv2", "DescribeListeners"): self.elbv2_describe_listeners,
            ("elbv2", "DescribeTargetGroups"): self.elbv2_describe_target_groups,
            ("elbv2", "DescribeTargetHealth"): self.elbv2_describe_target_health,
            ("rds", "DescribeDBInstances"): self.rds_describe_db_instances,
            ("rds", "DescribeDBClusters"): self.rds_describe_db_clusters,
            ("autoscaling", "DescribeAutoScalingGroups"): self.asg_describe_groups,
        }.get((api.name, action))
        if handler is None:
            return api.error(400, "InvalidAction", "Could not find operation %s for version %s"
                             % (action, version))
        rdata = account["regions"][region]
        self.expire(rdata)
        return handler(api, action, params, account, region, rdata)

    def _page(self, api, action, account, region, params, total, size_param, bounds, default,
              marker_param, size_code, marker_code):
        """Marker/NextToken paging of the query services: (start, end, next token)."""
        n = default
        raw = params.get(size_param)
        if raw is not None:
            try:
                n = int(raw)
            except ValueError:
                n = -1
            if not bounds[0] <= n <= bounds[1]:
                raise ApiError(api.error(400, size_code,
                                         "1 validation error detected: Value '%s' at '%s' "
                                         "failed to satisfy constraint: Member must have value "
                                         "between %d and %d" % (raw, size_param[0].lower() +
                                                                size_param[1:], bounds[0],
                                                                bounds[1])))
        keep = sorted((k, v) for k, v in params.items()
                      if k not in (size_param, marker_param, "Version", "Action"))
        scope = "%s|%s|%s|%s|%s" % (api.name, action, account["id"], region, json.dumps(keep))
        start = 0
        if params.get(marker_param):
            start = self.read_token(scope, params[marker_param])
            if start is None or start > total:
                raise ApiError(api.error(400, marker_code,
                                         "The token '%s' is invalid." % params[marker_param]
                                         if marker_code == "InvalidNextToken"
                                         else "Invalid %s" % marker_param))
        end = min(total, start + n)
        return start, end, (self.make_token(scope, end) if end < total else None)

    # ELBv2 ------------------------------------------------------------------
    def elbv2_describe_load_balancers(self, api, action, params, account, region, rdata):
        arns = indexed_list(params, "LoadBalancerArns.member")
        names = indexed_list(params, "Names.member")
        if arns and names:
            return api.error(400, "ValidationError", "Load balancer names and load balancer "
                             "ARNs cannot be specified at the same time")
        lbs = rdata["load_balancers"]
        if arns or names:
            key, want = ("arn", arns) if arns else ("name", names)
            by = {b[key]: b for b in lbs}
            if any(w not in by for w in want):
                return api.error(400, "LoadBalancerNotFound",
                                 "One or more load balancers not found")
            lbs = [by[w] for w in dict.fromkeys(want)]
        start, end, nxt = self._page(api, action, account, region, params, len(lbs), "PageSize",
                                     (1, ELB_MAX_PAGE), ELB_MAX_PAGE, "Marker",
                                     "ValidationError", "ValidationError")
        return query_ok(api, action, X("LoadBalancers", *[elbv2_lb_xml(b)
                                                          for b in lbs[start:end]]) +
                        (X("NextMarker", text=nxt) if nxt else ""))

    def _lb_by_arn(self, api, rdata, arn):
        lb = next((b for b in rdata["load_balancers"] if b["arn"] == arn), None)
        if lb is None:
            raise ApiError(api.error(400, "LoadBalancerNotFound",
                                     "One or more load balancers not found"))
        return lb

    def elbv2_describe_listeners(self, api, action, params, account, region, rdata):
        arns = indexed_list(params, "ListenerArns.member")
        lb_arn = params.get("LoadBalancerArn")
        if not arns and not lb_arn:
            return api.error(400, "ValidationError",
                             "You must specify either listener ARNs or a load balancer ARN")
        if lb_arn:
            listeners = list(self._lb_by_arn(api, rdata, lb_arn)["listeners"])
        else:
            listeners = [x for b in rdata["load_balancers"] for x in b["listeners"]]
        if arns:
            by = {x["arn"]: x for x in listeners}
            if any(a not in by for a in arns):
                return api.error(400, "ListenerNotFound", "One or more listeners not found")
            listeners = [by[a] for a in dict.fromkeys(arns)]
        start, end, nxt = self._page(api, action, account, region, params, len(listeners),
                                     "PageSize", (1, ELB_MAX_PAGE), ELB_MAX_PAGE, "Marker",
                                     "ValidationError", "ValidationError")
        return query_ok(api, action, X("Listeners", *[listener_xml(x)
                                                      for x in listeners[start:end]]) +
                        (X("NextMarker", text=nxt) if nxt else ""))

    def elbv2_describe_target_groups(self, api, action, params, account, region, rdata):
        arns = indexed_list(params, "TargetGroupArns.member")
        names = indexed_list(params, "Names.member")
        tgs = rdata["target_groups"]
        lb_arn = params.get("LoadBalancerArn")
        if lb_arn:
            self._lb_by_arn(api, rdata, lb_arn)
            tgs = [t for t in tgs if lb_arn in t["load_balancers"]]
        for key, want in (("arn", arns), ("name", names)):
            if want:
                by = {t[key]: t for t in tgs}
                if any(w not in by for w in want):
                    return api.error(400, "TargetGroupNotFound",
                                     "One or more target groups not found")
                tgs = [by[w] for w in dict.fromkeys(want)]
        start, end, nxt = self._page(api, action, account, region, params, len(tgs), "PageSize",
                                     (1, ELB_MAX_PAGE), ELB_MAX_PAGE, "Marker",
                                     "ValidationError", "ValidationError")
        return query_ok(api, action, X("TargetGroups", *[target_group_xml(t)
                                                         for t in tgs[start:end]]) +
                        (X("NextMarker", text=nxt) if nxt else ""))

    def elbv2_describe_target_health(self, api, action, params, account, region, rdata):
        arn = params.get("TargetGroupArn")
        if not arn:
            return api.error(400, "ValidationError", "1 validation error detected: Value null "
                             "at 'targetGroupArn' failed to satisfy constraint: Member must "
                             "not be null")
        tg = next((t for t in rdata["target_groups"] if t["arn"] == arn), None)
        if tg is None:
            return api.error(400, "TargetGroupNotFound", "One or more target groups not found")
        targets = tg["targets"]
        wanted = []
        k = 1
        while params.get("Targets.member.%d.Id" % k) is not None and k <= 1000:
            wanted.append((params["Targets.member.%d.Id" % k],
                           params.get("Targets.member.%d.Port" % k)))
            k += 1
        if wanted:
            picked = []
            for tid, port in wanted:
                hits = [t for t in targets if t["id"] == tid and
                        (port is None or str(t["port"]) == port)]
                picked.extend(hits or [{"id": tid, "port": int(port) if (port or "").isdigit()
                                        else tg["port"],
                                        "state": "unused", "reason": "Target.NotRegistered",
                                        "description": "Target is not registered to the "
                                                       "target group", "az": None}])
            targets = picked
        return query_ok(api, action, X("TargetHealthDescriptions",
                                       *[target_health_xml(tg, t) for t in targets]))

    # ELB classic ------------------------------------------------------------
    def elb_describe_load_balancers(self, api, action, params, account, region, rdata):
        names = indexed_list(params, "LoadBalancerNames.member")
        lbs = rdata["classic_load_balancers"]
        if names:
            by = {b["name"]: b for b in lbs}
            missing = [n for n in names if n not in by]
            if missing:
                return api.error(400, "LoadBalancerNotFound",
                                 "Cannot find Load Balancer %s" % missing[0])
            lbs = [by[n] for n in dict.fromkeys(names)]
        start, end, nxt = self._page(api, action, account, region, params, len(lbs), "PageSize",
                                     (1, ELB_MAX_PAGE), ELB_MAX_PAGE, "Marker",
                                     "ValidationError", "ValidationError")
        return query_ok(api, action, X("LoadBalancerDescriptions",
                                       *[classic_lb_xml(b) for b in lbs[start:end]]) +
                        (X("NextMarker", text=nxt) if nxt else ""))

    def elb_describe_instance_health(self, api, action, params, account, region, rdata):
        name = params.get("LoadBalancerName")
        lb = next((b for b in rdata["classic_load_balancers"] if b["name"] == name), None)
        if lb is None:
            return api.error(400, "LoadBalancerNotFound",
                             "There is no ACTIVE Load Balancer named '%s'" % name)
        ids = list(lb["instances"])
        asked = []
        k = 1
        while params.get("Instances.member.%d.InstanceId" % k) is not None and k <= 1000:
            asked.append(params["Instances.member.%d.InstanceId" % k])
            k += 1
        if asked:
            known = {i["id"] for i in rdata["instances"]}
            for i in asked:
                if i not in known:
                    return api.error(400, "InvalidInstance", "Could not find EC2 instance %s."
                                     % i)
            ids = list(dict.fromkeys(asked))
        states = []
        for i in ids:
            h = lb["health"].get(i)
            if i not in lb["instances"]:
                h = {"state": "Unknown", "reason": "ELB",
                     "description": "Instance is not currently registered with the "
                                    "LoadBalancer."}
            h = h or {"state": "InService"}
            states.append(X("member", X("Description", text=h.get("description", "N/A")),
                            X("InstanceId", text=i), X("ReasonCode", text=h.get("reason", "N/A")),
                            X("State", text=h["state"])))
        return query_ok(api, action, X("InstanceStates", *states))

    # RDS --------------------------------------------------------------------
    def _rds_filters(self, api, params, known):
        """Filters.Filter.N.Name / Filters.Filter.N.Values.Value.M (exact values)."""
        names, values = {}, {}
        for k, v in params.items():
            m = re.match(r"^Filters\.Filter\.(\d+)\.Name$", k)
            if m:
                names[int(m.group(1))] = v
                continue
            m = re.match(r"^Filters\.Filter\.(\d+)\.Values\.Value\.(\d+)$", k)
            if m:
                values.setdefault(int(m.group(1)), []).append((int(m.group(2)), v))
        out = []
        for n in sorted(names):
            if names[n] not in known:
                raise ApiError(api.error(400, "InvalidParameterValue",
                                         "Unrecognized filter name: %s." % names[n]))
            out.append((names[n], [v for _, v in sorted(values.get(n, []))]))
        return out

    def rds_describe_db_instances(self, api, action, params, account, region, rdata):
        dbs = rdata["db_instances"]
        ident = params.get("DBInstanceIdentifier")
        if ident:
            key = ident.lower() if not ident.startswith("arn:") else ident
            dbs = [d for d in dbs if d["id"] == key or d["arn"] == ident]
            if not dbs:
                return api.error(404, "DBInstanceNotFound", "DBInstance %s not found." % ident)
        for name, vals in self._rds_filters(api, params, ("db-instance-id", "db-cluster-id",
                                                          "dbi-resource-id", "engine",
                                                          "domain")):
            low = {v.lower() for v in vals} | set(vals)
            if name == "db-instance-id":
                dbs = [d for d in dbs if d["id"] in low or d["arn"] in vals]
            elif name == "db-cluster-id":
                dbs = [d for d in dbs if d["cluster"] and (
                    d["cluster"] in low or "arn:aws:rds:%s:%s:cluster:%s"
                    % (region, account["id"], d["cluster"]) in vals)]
            elif name == "dbi-resource-id":
                dbs = [d for d in dbs if d["resource_id"] in vals]
            elif name == "engine":
                dbs = [d for d in dbs if d["engine"] in vals]
            else:
                dbs = []
        start, end, nxt = self._page(api, action, account, region, params, len(dbs),
                                     "MaxRecords", (RDS_MIN_RECORDS, RDS_MAX_RECORDS),
                                     RDS_MAX_RECORDS, "Marker", "InvalidParameterValue",
                                     "InvalidParameterValue")
        return query_ok(api, action, X("DBInstances", *[db_instance_xml(d)
                                                        for d in dbs[start:end]]) +
                        (X("Marker", text=nxt) if nxt else ""))

    def rds_describe_db_clusters(self, api, action, params, account, region, rdata):
        cls = rdata["db_clusters"]
        ident = params.get("DBClusterIdentifier")
        if ident:
            key = ident.lower() if not ident.startswith("arn:") else ident
            cls = [c for c in cls if c["id"] == key or c["arn"] == ident]
            if not cls:
                return api.error(404, "DBClusterNotFoundFault", "DBCluster %s not found." % ident)
        for name, vals in self._rds_filters(api, params, ("db-cluster-id", "engine",
                                                          "db-cluster-resource-id", "domain",
                                                          "clone-group-id")):
            low = {v.lower() for v in vals} | set(vals)
            if name == "db-cluster-id":
                cls = [c for c in cls if c["id"] in low or c["arn"] in vals]
            elif name == "db-cluster-resource-id":
                cls = [c for c in cls if c["resource_id"] in vals]
            elif name == "engine":
                cls = [c for c in cls if c["engine"] in vals]
            else:
                cls = []
        start, end, nxt = self._page(api, action, account, region, params, len(cls),
                                     "MaxRecords", (RDS_MIN_RECORDS, RDS_MAX_RECORDS),
                                     RDS_MAX_RECORDS, "Marker", "InvalidParameterValue",
                                     "InvalidParameterValue")
        return query_ok(api, action, X("DBClusters", *[db_cluster_xml(c, rdata)
                                                       for c in cls[start:end]]) +
                        (X("Marker", text=nxt) if nxt else ""))

    # Auto Scaling -----------------------------------------------------------
    def asg_describe_groups(self, api, action, params, account, region, rdata):
        groups = rdata["auto_scaling_groups"]
        names = indexed_list(params, "AutoScalingGroupNames.member")
        if names:  # unknown names are simply absent, as AWS answers
            by = {g["name"]: g for g in groups}
            groups = [by[n] for n in dict.fromkeys(names) if n in by]
        k = 1
        while params.get("Filters.member.%d.Name" % k) is not None and k <= 100:
            fname = params["Filters.member.%d.Name" % k]
            vals = indexed_list(params, "Filters.member.%d.Values.member" % k)
            if fname == "tag-key":
                groups = [g for g in groups if any(t in vals for t in g["tags"])]
            elif fname == "tag-value":
                groups = [g for g in groups if any(t in vals for t in g["tags"].values())]
            elif fname.startswith("tag:"):
                groups = [g for g in groups if g["tags"].get(fname[4:]) in vals]
            else:
                return api.error(400, "ValidationError", "Filter type %s is not correct. "
                                 "Allowed Filter types are: auto-scaling-group tag-key "
                                 "tag-value tag:<key>" % fname)
            k += 1
        start, end, nxt = self._page(api, action, account, region, params, len(groups),
                                     "MaxRecords", (1, ASG_MAX_RECORDS), ASG_DEFAULT_RECORDS,
                                     "NextToken", "ValidationError", "InvalidNextToken")
        return query_ok(api, action, X("AutoScalingGroups", *[asg_xml(g, rdata)
                                                              for g in groups[start:end]]) +
                        (X("NextToken", text=nxt) if nxt else ""))

    # ---- Route 53 (REST-XML, global) ---------------------------------------
    def route53(self, api, route, q, ident, region):
        if region != R53_REGION:
            # Route 53 is global: its scope must name us-east-1.
            return api.error(403, "SignatureDoesNotMatch", "Credential should be scoped to a "
                             "valid region, not '%s'. " % region)
        account = self.world.accounts.get(ident["account"])
        zones = account["zones"] if account else []
        op = route[0]
        if op == "ListHostedZones":
            return self.r53_list_zones(api, q, zones)
        if op == "ListHostedZonesByName":
            return self.r53_list_zones_by_name(api, q, zones)
        if op in ("GetHostedZone", "ListResourceRecordSets"):
            zid = route[1]
            if zid.startswith("/hostedzone/"):
                zid = zid[len("/hostedzone/"):]
            zone = next((z for z in zones if z["id"] == zid), None)
            if zone is None:
                return api.error(404, "NoSuchHostedZone", "No hosted zone found with ID: %s"
                                 % zid)
            if op == "GetHostedZone":
                return r53_ok("GetHostedZone", r53_zone_xml(zone) + (
                    X("VPCs", *[X("VPC", X("VPCRegion", text=v["region"]),
                                  X("VPCId", text=v["id"])) for v in zone["vpcs"]])
                    if zone["private"] else
                    X("DelegationSet", X("NameServers", *[
                        X("NameServer", text=v.rstrip(".")) for r in zone["records"]
                        if r["type"] == "NS" and r["name"] == zone["name"]
                        for v in r["values"]]))))
            return self.r53_list_records(api, q, zone)
        return api.error(404, "UnknownOperationException", "Unknown operation %s %s"
                         % (route[1] or "", route[2] or ""))

    @staticmethod
    def _r53_max(api, q, cap):
        raw = q.get("maxitems")
        if raw is None:
            return cap, str(cap)
        try:
            n = int(raw)
        except ValueError:
            n = 0
        if n < 1:
            raise ApiError(api.error(400, "InvalidInput", "1 validation error detected: Value "
                                     "'%s' at 'maxItems' failed to satisfy constraint: Member "
                                     "must be a positive integer" % raw))
        return min(n, cap), raw

    def r53_list_zones(self, api, q, zones):
        n, shown = self._r53_max(api, q, R53_MAX_ZONES)
        marker = q.get("marker")
        start = 0
        if marker:
            start = next((k for k, z in enumerate(zones) if z["id"] >= marker), len(zones))
        page = zones[start:start + n]
        more = start + n < len(zones)
        return r53_ok("ListHostedZones",
                      X("HostedZones", *[r53_zone_xml(z) for z in page]) +
                      (X("Marker", text=marker) if marker else "") +
                      X("IsTruncated", text=xbool(more)) +
                      (X("NextMarker", text=zones[start + n]["id"]) if more else "") +
                      X("MaxItems", text=shown))

    def r53_list_zones_by_name(self, api, q, zones):
        n, shown = self._r53_max(api, q, R53_MAX_ZONES)
        if q.get("hostedzoneid") and not q.get("dnsname"):
            return api.error(400, "InvalidInput", "The input is not valid: HostedZoneId is "
                             "specified without DNSName")
        ordered = sorted(zones, key=lambda z: (dns_sort_key(z["name"]), z["id"]))
        start = 0
        if q.get("dnsname"):
            key = (dns_sort_key(q["dnsname"]), q.get("hostedzoneid", ""))
            start = next((k for k, z in enumerate(ordered)
                          if (dns_sort_key(z["name"]), z["id"]) >= key), len(ordered))
        page = ordered[start:start + n]
        more = start + n < len(ordered)
        nxt = ordered[start + n] if more else None
        return r53_ok("ListHostedZonesByName",
                      X("HostedZones", *[r53_zone_xml(z) for z in page]) +
                      (X("DNSName", text=q["dnsname"]) if q.get("dnsname") else "") +
                      (X("HostedZoneId", text=q["hostedzoneid"]) if q.get("hostedzoneid")
                       else "") +
                      X("IsTruncated", text=xbool(more)) +
                      (X("NextDNSName", text=nxt["name"]) + X("NextHostedZoneId", text=nxt["id"])
                       if nxt else "") + X("MaxItems", text=shown))

    def r53_list_records(self, api, q, zone):
        n, shown = self._r53_max(api, q, R53_MAX_RECORDS)
        name, rtype = q.get("name"), q.get("type")
        if rtype is not None and name is None:
            return api.error(400, "InvalidInput", "The input is not valid: Type is specified "
                             "without Name")
        if rtype is not None and rtype not in R53_TYPES:
            return api.error(400, "InvalidInput", "1 validation error detected: Value '%s' at "
                             "'type' failed to satisfy constraint: Member must satisfy enum "
                             "value set: [%s]" % (rtype, ", ".join(R53_TYPES)))
        recs = zone["records"]
        start = 0
        if name is not None:
            key = (dns_sort_key(name), rtype or "", q.get("identifier") or "")
            start = next((k for k, r in enumerate(recs)
                          if (dns_sort_key(r["name"]), r["type"], r["set_id"] or "") >= key),
                         len(recs))
        page = recs[start:start + n]
        more = start + n < len(recs)
        nxt = recs[start + n] if more else None
        return r53_ok("ListResourceRecordSets",
                      X("ResourceRecordSets", *[r53_record_xml(r) for r in page]) +
                      X("IsTruncated", text=xbool(more)) + X("MaxItems", text=shown) +
                      (X("NextRecordName", text=nxt["name"]) +
                       X("NextRecordType", text=nxt["type"]) +
                       (X("NextRecordIdentifier", text=nxt["set_id"]) if nxt["set_id"] else "")
                       if nxt else ""))

    # ---- Lambda (REST-JSON) ------------------------------------------------
    def lambda_call(self, api, route, q, ident, region):
        account = self.world.accounts.get(ident["account"])
        if account is None or region not in account["regions"]:
            return auth_error(api, "unknown_key")
        fns = account["regions"][region]["lambda_functions"]
        op = route[0]
        if op == "ListFunctions":
            return self.lambda_list(q, fns, account, region)
        if op in ("GetFunction", "GetFunctionConfiguration"):
            return self.lambda_get(op, route[1], q, fns, account, region, ident)
        return rest_json_error(404, "UnknownOperationException", "Unknown operation %s %s"
                               % (route[1] or "", route[2] or ""), etype=None)

    def lambda_list(self, q, fns, account, region):
        n = LAMBDA_DEFAULT_ITEMS
        if q.get("MaxItems") is not None:
            try:
                n = int(q["MaxItems"])
            except ValueError:
                n = 0
            if not 1 <= n <= LAMBDA_MAX_ITEMS:
                return rest_json_error(400, "InvalidParameterValueException",
                                       "1 validation error detected: Value '%s' at 'maxItems' "
                                       "failed to satisfy constraint: Member must have value "
                                       "between 1 and %d" % (q["MaxItems"], LAMBDA_MAX_ITEMS))
        ordered = sorted(fns, key=lambda f: f["name"])
        scope = "lambda|ListFunctions|%s|%s" % (account["id"], region)
        start = 0
        if q.get("Marker"):
            start = self.read_token(scope, q["Marker"])
            if start is None or start > len(ordered):
                return rest_json_error(400, "InvalidParameterValueException",
                                       "Invalid marker: %s" % q["Marker"])
        end = min(len(ordered), start + n)
        doc = {"Functions": [lambda_config(f, listing=True) for f in ordered[start:end]],
               "NextMarker": self.make_token(scope, end) if end < len(ordered) else None}
        return lambda_ok(doc)

    def lambda_get(self, op, raw_name, q, fns, account, region, ident):
        m = LAMBDA_NAME_RE.match(raw_name or "")
        if not m or len(raw_name) > 170:
            return rest_json_error(400, "ValidationException",
                                   "1 validation error detected: Value '%s' at 'functionName' "
                                   "failed to satisfy constraint: Member must satisfy regular "
                                   "expression pattern: %s" % (raw_name, LAMBDA_NAME_PATTERN),
                                   etype=None)
        arn_region, arn_account, name, qual = m.group("region"), m.group("account"), \
            m.group("name"), m.group("qual")
        qual = q.get("Qualifier") or qual
        if arn_account and arn_account != account["id"]:
            return rest_json_error(403, "AccessDeniedException",
                                   "User: %s is not authorized to perform: lambda:%s on "
                                   "resource: arn:aws:lambda:%s:%s:function:%s"
                                   % (ident["arn"], op, arn_region or region, arn_account, name),
                                   key="Message")
        fn = next((f for f in fns if f["name"] == name), None)
        if fn is None or (arn_region and arn_region != region) or \
                (qual and qual != "$LATEST"):
            return rest_json_error(404, "ResourceNotFoundException",
                                   "Function not found: arn:aws:lambda:%s:%s:function:%s%s"
                                   % (arn_region or region, account["id"], name,
                                      ":" + qual if qual else ""))
        if op == "GetFunctionConfiguration":
            return lambda_ok(lambda_config(fn))
        doc = {"Configuration": lambda_config(fn),
               "Code": {"RepositoryType": "S3",
                        "Location": "https://awslambda-%s-tasks.s3.%s.amazonaws.com/snapshots/"
                                    "%s/%s-%s?versionId=%s" % (region, region, account["id"],
                                                               name, fn["revision"],
                                                               _h(fn["arn"], "v", n=32))}}
        if fn["tags"]:
            doc["Tags"] = dict(fn["tags"])
        return lambda_ok(doc)

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


# --------------------------------------------------------------------------
# Query-service answer shapes (ELB, ELBv2, RDS, Auto Scaling)
# --------------------------------------------------------------------------

def query_ok(api, action, inner):
    rid = new_request_id()
    body = ('<%sResponse xmlns="%s">\n  <%sResult>' % (action, api.ns, action) + inner +
            "</%sResult>\n  " % action + X("ResponseMetadata", X("RequestId", text=rid)) +
            "\n</%sResponse>\n" % action)
    return Reply(200, body, headers={"x-amzn-RequestId": rid})


def _members(name, values):
    return X(name, *[X("member", text=v) for v in values])


def elbv2_lb_xml(b):
    return X("member",
             X("LoadBalancerArn", text=b["arn"]), X("Scheme", text=b["scheme"]),
             X("LoadBalancerName", text=b["name"]),
             X("VpcId", text=b["vpc"]) if b["vpc"] else "",
             X("CanonicalHostedZoneId", text=b["zone_id"]),
             X("CreatedTime", text=b["created"]),
             X("AvailabilityZones", *[X("member", X("SubnetId", text=s), X("ZoneName", text=z))
                                      for s, z in b["azs"]]),
             _members("SecurityGroups", b["security_groups"]) if b["type"] == "application"
             or b["security_groups"] else "",
             X("DNSName", text=b["dns_name"]), X("State", X("Code", text=b["state"])),
             X("Type", text=b["type"]), X("IpAddressType", text=b["ip_address_type"]))


def _action_xml(a, order):
    t = a.get("type", "forward")
    if t == "forward":
        inner = [X("TargetGroupArn", text=a["target_group"])]
    elif t == "redirect":
        inner = [X("RedirectConfig", X("Protocol", text=a.get("protocol", "HTTPS")),
                   X("Port", text=str(a.get("port", "443"))), X("Host", text="#{host}"),
                   X("Path", text="/#{path}"), X("Query", text="#{query}"),
                   X("StatusCode", text=a.get("status", "HTTP_301")))]
    else:
        inner = [X("FixedResponseConfig", X("StatusCode", text=str(a.get("status", "404"))),
                   X("ContentType", text=a.get("content_type", "text/plain")))]
    return X("member", X("Type", text=t), *inner, X("Order", text=str(order)))


def listener_xml(x):
    return X("member",
             X("LoadBalancerArn", text=x["lb"]), X("Protocol", text=x["protocol"]),
             X("Port", text=str(x["port"])), X("ListenerArn", text=x["arn"]),
             X("Certificates", X("member", X("CertificateArn", text=x["certificate"])))
             if x["certificate"] else "",
             X("SslPolicy", text=x["ssl_policy"]) if x["ssl_policy"] else "",
             X("DefaultActions", *[_action_xml(a, k) for k, a in enumerate(x["actions"], 1)]))


def target_group_xml(t):
    hc = t["health_check"]
    return X("member",
             X("TargetGroupArn", text=t["arn"]),
             X("HealthCheckTimeoutSeconds", text=str(hc["timeout"])),
             X("HealthCheckPort", text=hc["port"]),
             X("Matcher", X("HttpCode", text=hc["matcher"])) if hc["matcher"] else "",
             X("TargetGroupName", text=t["name"]),
             X("HealthCheckProtocol", text=hc["protocol"]),
             X("HealthCheckPath", text=hc["path"]) if hc["path"] else "",
             X("Protocol", text=t["protocol"]), X("Port", text=str(t["port"])),
             X("VpcId", text=t["vpc"]) if t["vpc"] else "",
             X("HealthyThresholdCount", text=str(hc["healthy"])),
             X("HealthCheckIntervalSeconds", text=str(hc["interval"])),
             _members("LoadBalancerArns", t["load_balancers"]),
             X("UnhealthyThresholdCount", text=str(hc["unhealthy"])),
             X("HealthCheckEnabled", text="true"), X("TargetType", text=t["target_type"]),
             X("IpAddressType", text="ipv4"))


def target_health_xml(tg, t):
    port = tg["health_check"]["port"]
    return X("member",
             X("HealthCheckPort", text=str(t["port"]) if port == "traffic-port" else port),
             X("TargetHealth", X("State", text=t["state"]),
               X("Reason", text=t["reason"]) if t["reason"] else "",
               X("Description", text=t["description"]) if t["description"] else ""),
             X("Target", X("Port", text=str(t["port"])), X("Id", text=t["id"]),
               X("AvailabilityZone", text=t["az"]) if t["az"] else ""))


def classic_lb_xml(b):
    hc = b["health_check"]
    return X("member",
             _members("SecurityGroups", b["security_groups"]),
             X("LoadBalancerName", text=b["name"]), X("CreatedTime", text=b["created"]),
             X("HealthCheck", X("Interval", text=str(hc.get("interval", 30))),
               X("Target", text=hc.get("target", "HTTP:80/")),
               X("HealthyThreshold", text=str(hc.get("healthy", 10))),
               X("Timeout", text=str(hc.get("timeout", 5))),
               X("UnhealthyThreshold", text=str(hc.get("unhealthy", 2)))),
             X("ListenerDescriptions",
               *[X("member", X("PolicyNames"),
                   X("Listener", X("Protocol", text=x.get("protocol", "HTTP")),
                     X("LoadBalancerPort", text=str(x.get("port", 80))),
                     X("InstanceProtocol", text=x.get("instance_protocol",
                                                      x.get("protocol", "HTTP"))),
                     X("InstancePort", text=str(x.get("instance_port", x.get("port", 80)))),
                     X("SSLCertificateId", text=x["certificate"]) if x.get("certificate")
                     else "")) for x in b["listeners"]]),
             X("Instances", *[X("member", X("InstanceId", text=i)) for i in b["instances"]]),
             X("Policies", X("AppCookieStickinessPolicies"), X("OtherPolicies"),
               X("LBCookieStickinessPolicies")),
             _members("AvailabilityZones", b["azs"]),
             X("CanonicalHostedZoneNameID", text=b["zone_id"]),
             X("CanonicalHostedZoneName", text=b["dns_name"])
             if b["scheme"] == "internet-facing" else "",
             X("Scheme", text=b["scheme"]),
             X("SourceSecurityGroup", X("OwnerAlias", text=b["account"]),
               X("GroupName", text="default")) if b["vpc"] else
             X("SourceSecurityGroup", X("OwnerAlias", text="amazon-elb"),
               X("GroupName", text="amazon-elb-sg")),
             X("DNSName", text=b["dns_name"]), X("BackendServerDescriptions"),
             _members("Subnets", b["subnets"]),
             X("VPCId", text=b["vpc"]) if b["vpc"] else "")


def _rds_subnet_group_xml(g):
    if not g:
        return ""
    return X("DBSubnetGroup", X("DBSubnetGroupName", text=g["name"]),
             X("DBSubnetGroupDescription", text=g["description"]),
             X("VpcId", text=g["vpc"]) if g["vpc"] else "",
             X("SubnetGroupStatus", text="Complete"),
             X("Subnets", *[X("Subnet", X("SubnetIdentifier", text=s),
                              X("SubnetAvailabilityZone", X("Name", text=z)),
                              X("SubnetStatus", text="Active")) for s, z in g["subnets"]]))


def _rds_tags(tags):
    return X("TagList", *[X("Tag", X("Key", text=k), X("Value", text=v))
                          for k, v in tags.items()])


def _vpc_sgs(ids):
    return X("VpcSecurityGroups", *[X("VpcSecurityGroupMembership",
                                      X("VpcSecurityGroupId", text=g), X("Status", text="active"))
                                    for g in ids])


def db_instance_xml(d):
    """One <DBInstance> (list items are named after the type, not <member>)."""
    return X("DBInstance",
             X("ReadReplicaDBInstanceIdentifiers"),
             X("LatestRestorableTime", text="2026-01-01T00:00:00Z"),
             X("Engine", text=d["engine"]), X("PendingModifiedValues"),
             X("BackupRetentionPeriod", text="7"), X("MultiAZ", text=xbool(d["multi_az"])),
             X("LicenseModel", text="general-public-license" if d["engine"] != "postgres"
               else "postgresql-license"),
             X("DBInstanceStatus", text=d["status"]), X("EngineVersion", text=d["engine_version"]),
             X("Endpoint", X("Port", text=str(d["port"])), X("Address", text=d["endpoint"]),
               X("HostedZoneId", text=d["zone_id"])) if d["endpoint"] else "",
             X("DBInstanceIdentifier", text=d["id"]),
             X("DBParameterGroups", X("DBParameterGroup",
                                      X("ParameterApplyStatus", text="in-sync"),
                                      X("DBParameterGroupName",
                                        text="default.%s" % d["engine"]))),
             X("DBSecurityGroups"),
             X("PreferredBackupWindow", text="03:00-03:30"),
             X("AutoMinorVersionUpgrade", text="true"),
             X("PreferredMaintenanceWindow", text="sun:04:00-sun:04:30"),
             X("AvailabilityZone", text=d["az"]),
             X("SecondaryAvailabilityZone", text=d["secondary_az"]) if d["secondary_az"]
             else "",
             X("InstanceCreateTime", text=d["create_time"]),
             X("AllocatedStorage", text=str(d["storage"])),
             X("OptionGroupMemberships", X("OptionGroupMembership",
                                           X("OptionGroupName", text="default:%s" % d["engine"]),
                                           X("Status", text="in-sync"))),
             X("DBInstanceClass", text=d["class"]), X("MasterUsername", text=d["username"]),
             _rds_subnet_group_xml(d["subnet_group"]), _vpc_sgs(d["security_groups"]),
             X("PubliclyAccessible", text=xbool(d["publicly_accessible"])),
             X("StorageType", text=d["storage_type"]),
             X("DbInstancePort", text="0"),
             X("DBClusterIdentifier", text=d["cluster"]) if d["cluster"] else "",
             X("StorageEncrypted", text=xbool(d["encrypted"])),
             X("DbiResourceId", text=d["resource_id"]),
             X("DBInstanceArn", text=d["arn"]), _rds_tags(d["tags"]))


def db_cluster_xml(c, rdata):
    return X("DBCluster",
             X("AssociatedRoles"), X("Engine", text=c["engine"]), X("Status", text=c["status"]),
             X("BackupRetentionPeriod", text="7"),
             X("DBSubnetGroup", text=c["subnet_group"]["name"]) if c["subnet_group"] else "",
             X("EngineVersion", text=c["engine_version"]),
             X("Endpoint", text=c["endpoint"]) if c["endpoint"] else "",
             X("ReaderEndpoint", text=c["reader_endpoint"]) if c["reader_endpoint"] else "",
             X("DBClusterIdentifier", text=c["id"]),
             X("PreferredBackupWindow", text="03:00-03:30"),
             X("PreferredMaintenanceWindow", text="sun:04:00-sun:04:30"),
             X("DBClusterMembers", *[X("DBClusterMember",
                                       X("IsClusterWriter", text=xbool(m["writer"])),
                                       X("DBInstanceIdentifier", text=m["id"]),
                                       X("DBClusterParameterGroupStatus", text="in-sync"),
                                       X("PromotionTier", text=str(m["tier"])))
                                     for m in c["members"]]),
             X("AllocatedStorage", text=str(c["storage"])),
             X("MasterUsername", text=c["username"]),
             X("DatabaseName", text=c["database_name"]) if c["database_name"] else "",
             X("Port", text=str(c["port"])), X("MultiAZ", text=xbool(c["multi_az"])),
             X("AvailabilityZones", *[X("AvailabilityZone", text=z) for z in sorted(
                 {d["az"] for d in rdata["db_instances"] if d["cluster"] == c["id"]})]),
             _vpc_sgs(c["security_groups"]), X("HostedZoneId", text=c["zone_id"]),
             X("StorageEncrypted", text=xbool(c["encrypted"])),
             X("DbClusterResourceId", text=c["resource_id"]),
             X("DBClusterArn", text=c["arn"]),
             X("ClusterCreateTime", text=c["create_time"]), _rds_tags(c["tags"]))


def _lt_spec_xml(lt):
    if not lt:
        return X("LaunchTemplate")
    return X("LaunchTemplate", X("LaunchTemplateId", text=lt["id"]),
             X("LaunchTemplateName", text=lt["name"]), X("Version", text=lt["version"]))


def asg_xml(g, rdata):
    subnet_az = {s["id"]: s["az"] for s in rdata["subnets"]}
    azs = sorted({subnet_az[s] for s in g["subnets"] if s in subnet_az} |
                 {i["az"] for i in g["instances"]})
    return X("member",
             X("AutoScalingGroupName", text=g["name"]),
             X("AutoScalingGroupARN", text=g["arn"]),
             _lt_spec_xml(g["launch_template"]),
             X("MinSize", text=str(g["min"])), X("MaxSize", text=str(g["max"])),
             X("DesiredCapacity", text=str(g["desired"])), X("DefaultCooldown", text="300"),
             _members("AvailabilityZones", azs),
             _members("LoadBalancerNames", g["load_balancers"]),
             _members("TargetGroupARNs", g["target_groups"]),
             X("HealthCheckType", text=g["health_check_type"]),
             X("HealthCheckGracePeriod", text="300"),
             X("Instances", *[X("member", X("ProtectedFromScaleIn", text="false"),
                                X("AvailabilityZone", text=i["az"]),
                                _lt_spec_xml(g["launch_template"]),
                                X("InstanceId", text=i["id"]),
                                X("InstanceType", text=i["type"]),
                                X("HealthStatus", text=g["health"].get(i["id"], "Healthy")),
                                X("LifecycleState", text="InService"))
                              for i in g["instances"]]),
             X("CreatedTime", text=g["created"]), X("SuspendedProcesses"),
             X("VPCZoneIdentifier", text=",".join(g["subnets"])) if g["subnets"] else "",
             X("EnabledMetrics"),
             X("Tags", *[X("member", X("ResourceId", text=g["name"]),
                           X("PropagateAtLaunch", text="true"), X("Value", text=v),
                           X("Key", text=k), X("ResourceType", text="auto-scaling-group"))
                         for k, v in g["tags"].items()]),
             _members("TerminationPolicies", ["Default"]),
             X("NewInstancesProtectedFromScaleIn", text="false"),
             X("ServiceLinkedRoleARN",
               text="arn:aws:iam::%s:role/aws-service-role/autoscaling.amazonaws.com/"
                    "AWSServiceRoleForAutoScaling" % g["account"]))


# --------------------------------------------------------------------------
# Route 53 and Lambda: routes and answer shapes
# --------------------------------------------------------------------------

def rest_params(raw_query):
    """A REST query string: names and values percent-decoded, '+' literal
    (as SigV4 canonicalises it); the last of repeated names wins."""
    out = {}
    for part in (raw_query or "").split("&"):
        if part:
            k, _, v = part.partition("=")
            out[unquote(k)] = unquote(v)
    return out


def r53_route(method, path):
    """(operation, zone id or None, path): Route 53's GET operations."""
    if method == "GET":
        if re.match(r"^/2013-04-01/hostedzone/?$", path):
            return ("ListHostedZones", None, path)
        if re.match(r"^/2013-04-01/hostedzonesbyname/?$", path):
            return ("ListHostedZonesByName", None, path)
        m = re.match(r"^/2013-04-01/hostedzone/([^/]+)/rrset/?$", path)
        if m:
            return ("ListResourceRecordSets", unquote(m.group(1)), path)
        m = re.match(r"^/2013-04-01/hostedzone/([^/]+)/?$", path)
        if m:
            return ("GetHostedZone", unquote(m.group(1)), path)
    return ("UnknownOperation", method, path)


def lambda_route(method, path):
    """(operation, decoded function name or None, path): Lambda's GETs."""
    if method == "GET":
        if re.match(r"^/2015-03-31/functions/?$", path):
            return ("ListFunctions", None, path)
        m = re.match(r"^/2015-03-31/functions/([^/]+)/?$", path)
        if m:
            return ("GetFunction", unquote(m.group(1)), path)
        m = re.match(r"^/2015-03-31/functions/([^/]+)/configuration/?$", path)
        if m:
            return ("GetFunctionConfiguration", unquote(m.group(1)), path)
    return ("UnknownOperation", method, path)


def r53_ok(action, inner):
    rid = new_request_id()
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s">' % (action, R53_NS) +
            inner + "</%sResponse>" % action)
    return Reply(200, body, ctype="text/xml", headers={"x-amzn-RequestId": rid})


def r53_zone_xml(z):
    return X("HostedZone", X("Id", text="/hostedzone/" + z["id"]), X("Name", text=z["name"]),
             X("CallerReference", text=z["caller_ref"]),
             X("Config", X("Comment", text=z["comment"]) if z["comment"] else "",
               X("PrivateZone", text=xbool(z["private"]))),
             X("ResourceRecordSetCount", text=str(len(z["records"]))))


def r53_record_xml(r):
    if r["alias"]:
        body = [X("AliasTarget", X("HostedZoneId", text=r["alias"]["zone"]),
                  X("DNSName", text=r["alias"]["dns"]),
                  X("EvaluateTargetHealth", text=xbool(r["alias"]["evaluate"])))]
    else:
        body = [X("TTL", text=str(r["ttl"])),
                X("ResourceRecords", *[X("ResourceRecord", X("Value", text=v))
                                       for v in r["values"]])]
    return X("ResourceRecordSet", X("Name", text=r["name"]), X("Type", text=r["type"]),
             X("SetIdentifier", text=r["set_id"]) if r["set_id"] else "",
             X("Weight", text=str(r["weight"])) if r["weight"] is not None else "", *body)


# Lambda's FunctionName pattern (API reference, GetFunction).
LAMBDA_NAME_PATTERN = (r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?"
                       r"(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?")
LAMBDA_NAME_RE = re.compile(
    r"^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?(?:function:)?(?P<name>[a-zA-Z0-9_.-]+)"
    r"(?::(?P<qual>\$LATEST|[a-zA-Z0-9_-]+))?$")


def lambda_ok(doc):
    return Reply(200, json.dumps(doc), ctype="application/json",
                 headers={"x-amzn-RequestId": new_request_id()})


def lambda_config(f, listing=False):
    """A FunctionConfiguration (the ListFunctions items lack the state fields)."""
    c = {"FunctionName": f["name"], "FunctionArn": f["arn"], "Runtime": f["runtime"],
         "Role": f["role"], "Handler": f["handler"], "CodeSize": f["code_size"],
         "Description": f["description"], "Timeout": f["timeout"], "MemorySize": f["memory"],
         "LastModified": f["last_modified"], "CodeSha256": f["code_sha"], "Version": "$LATEST",
         "TracingConfig": {"Mode": "PassThrough"}, "RevisionId": f["revision"],
         "PackageType": "Zip", "Architectures": list(f["architectures"]),
         "EphemeralStorage": {"Size": 512},
         "LoggingConfig": {"LogFormat": "Text", "LogGroup": "/aws/lambda/" + f["name"]}}
    if f["vpc"]:
        c["VpcConfig"] = {"SubnetIds": list(f["vpc"]["subnets"]),
                          "SecurityGroupIds": list(f["vpc"]["groups"]),
                          "VpcId": f["vpc"]["vpc"] or "", "Ipv6AllowedForDualStack": False}
    if not listing:
        c["State"] = f["state"]
        c["LastUpdateStatus"] = "Successful"
    return c


# List elements of each API's answer, for the huge-answer fault:
# (API, action) -> (result list element, item element).
HUGE_LISTS = {("elb", "DescribeLoadBalancers"): ("LoadBalancerDescriptions", "member"),
              ("elb", "DescribeInstanceHealth"): ("InstanceStates", "member"),
              ("elbv2", "DescribeLoadBalancers"): ("LoadBalancers", "member"),
              ("elbv2", "DescribeListeners"): ("Listeners", "member"),
              ("elbv2", "DescribeTargetGroups"): ("TargetGroups", "member"),
              ("elbv2", "DescribeTargetHealth"): ("TargetHealthDescriptions", "member"),
              ("rds", "DescribeDBInstances"): ("DBInstances", "DBInstance"),
              ("rds", "DescribeDBClusters"): ("DBClusters", "DBCluster"),
              ("autoscaling", "DescribeAutoScalingGroups"): ("AutoScalingGroups", "member"),
              ("route53", "ListHostedZones"): ("HostedZones", "HostedZone"),
              ("route53", "ListHostedZonesByName"): ("HostedZones", "HostedZone"),
              ("route53", "ListResourceRecordSets"): ("ResourceRecordSets",
                                                      "ResourceRecordSet")}


def huge_answer(api, action, n):
    """A well-formed answer of n empty items ("<item/>", 7 bytes each, for
    EC2): the cheapest document to send and, parsed into a tree, the dearest
    to hold.  None when the call has no list to fill."""
    if api.proto == "ec2":
        if action == "DescribeInstances":
            set_name = "reservationSet"
        elif action == "DescribeNetworkInterfaces":
            set_name = "networkInterfaceSet"
        elif action in EC2_KINDS:
            set_name = EC2_KINDS[action].set_name
        else:
            return None
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s">'
                % (action, EC2_NS) + X("requestId", text=new_request_id()) +
                "<%s>" % set_name + "<item/>" * n + "</%s></%sResponse>" % (set_name, action))
    if api.name == "lambda":
        return '{"Functions":[' + ",".join(["{}"] * n) + '],"NextMarker":null}' \
            if action == "ListFunctions" else None
    lists = HUGE_LISTS.get((api.name, action))
    if lists is None:
        return None
    items = "<%s>" % lists[0] + ("<%s/>" % lists[1]) * n + "</%s>" % lists[0]
    if api.name == "route53":
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s">'
                % (action, R53_NS) + items + X("IsTruncated", text="false") +
                X("MaxItems", text="100") + "</%sResponse>" % action)
    return ('<%sResponse xmlns="%s"><%sResult>' % (action, api.ns, action) + items +
            "</%sResult>" % action + X("ResponseMetadata", X("RequestId",
                                                              text=new_request_id())) +
            "</%sResponse>" % action)


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
             X("groupSet", *[X("item", X("groupId", text=g), X("groupName", text=n))
                             for g, n in e["groups"]]),
             attach,
             _assoc_xml(e),
             tags if standalone else "",
             X("privateIpAddressesSet", *ips),
             X("ipv6AddressesSet", *[X("item", X("ipv6Address", text=a)) for a in e["ipv6"]]),
             X("interfaceType", text=e["interface_type"]))


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
             X("reason", text=i.get("reason", "")),
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
             X("groupSet", *[X("item", X("groupId", text=g), X("groupName", text=n))
                             for g, n in i["groups"]]),
             X("stateReason", X("code", text=i["state_reason"][0]),
               X("message", text=i["state_reason"][1])) if i.get("state_reason") else "",
             X("architecture", text="x86_64"),
             X("rootDeviceType", text="ebs"),
             X("rootDeviceName", text="/dev/xvda"),
             X("blockDeviceMapping",
               *[X("item", X("deviceName", text=b["device"]),
                   X("ebs", X("volumeId", text=b["volume"]), X("status", text="attached"),
                     X("attachTime", text=b["attach_time"]),
                     X("deleteOnTermination", text=xbool(b["delete_on_termination"]))))
                 for b in i["block_devices"]]),
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
            self._send(standin.control(self.command, path, body, query))
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
        try:
            reply = standin.handle(req, log)
        except Exception as e:  # a stand-in bug: answer, and say so in the log
            sys.stderr.write("aws-standin: internal error on %s %s: %r\n" % (
                self.command, path, e))
            reply = Reply(500, "stand-in internal error", ctype="text/plain")
        status = {"hang": "hang", "refuse": "refuse"}.get(reply.mode, reply.status)
        standin.count(log.get("action"), log.get("account"), log.get("region"), status,
                      log.get("service"), log.get("api"))
        if standin.log_enabled:
            sys.stderr.write("aws-standin: %s %s %s account=%s region=%s status=%s ms=%d\n" % (
                self.command, log.get("api"), log.get("action"), log.get("account", "-"),
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
    tls = None  # ssl.SSLContext (--tls-cert/--tls-key): HTTPS on the same port

    def get_request(self):
        sock, addr = super().get_request()
        standin = getattr(self, "standin", None)
        if standin is not None:  # /_control/stats "connections": accepted
            with standin.lock:
                standin.stats["connections"] += 1
        if self.tls is not None:
            # The handshake happens on the handler's thread (its first
            # read), so one slow client does not hold up the accept loop.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        # A client that does not trust our certificate ends the handshake:
        # its own error, not the stand-in's.
        if self.tls is not None and isinstance(sys.exc_info()[1], (ssl.SSLError, OSError)):
            return
        super().handle_error(request, client_address)


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
    """(a function making a fresh World from the start-up state, the
    fixture's faults).  /_control/reset {"world": true} calls it again."""
    doc = {}
    if args.fixture:
        with open(args.fixture, encoding="utf-8") as f:
            doc = json.load(f)
    spec = None
    if args.generate_org:
        a, r, i = args.generate_org
        role_name = "InfraSearchReadOnly"
        ext = None
        if doc.get("accounts"):
            first = (doc["accounts"][0].get("roles") or [{}])[0]
            if first.get("arn"):
                role_name = first["arn"].split("/")[-1]
            ext = first.get("external_id")
        spec = OrgSpec(a, r, i, seed=args.seed, shape=args.org_shape, role_name=role_name,
                       external_id=ext)
        doc = dict(doc)
        doc["accounts"] = [spec.account_doc(ai, with_regions=False) for ai in range(a)]
        if "base_identity" not in doc:
            doc["base_identity"] = {
                "access_key_id": "AKIASTANDINBASE00001",
                "secret_access_key": "standinBaseSecretKey/0000000000000000000",
                "arn": "arn:aws:iam::%s:user/slash-infra" % doc["accounts"][0]["id"]}
        doc["organization"] = {"id": "o-generated01",
                               "management_account": doc["base_identity"]["arn"].split(":")[4]}
    cache = max(0, args.org_cache_regions)

    def make():
        return World(doc, org=spec, cache_regions=cache)
    return make, doc.get("faults", [])


def rss_kb():
    """(current, peak) resident set size of this process in KiB (Linux
    /proc; elsewhere the peak from getrusage twice)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            vals = dict(line.split(":", 1) for line in f if ":" in line)
        return int(vals["VmRSS"].split()[0]), int(vals["VmHWM"].split()[0])
    except (OSError, KeyError, ValueError):
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak, peak


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1", help="127.0.0.1 or ::1 only")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--fixture", help="fixture JSON (see README.md)")
    p.add_argument("--generate-org", type=int, nargs=3,
                   metavar=("ACCOUNTS", "REGIONS", "INSTANCES_PER_REGION"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--org-shape", choices=ORG_SHAPES, default="instances",
                   help="instances: the third --generate-org number is instances per "
                        "region; mixed: it is resources per region (7..1000)")
    p.add_argument("--org-cache-regions", type=int, default=0, metavar="N",
                   help="keep at most N built account-regions of a generated org "
                        "(least recently used dropped, rebuilt identically on demand; "
                        "changed ones always kept); 0: keep all (default)")
    p.add_argument("--org-preload", action="store_true",
                   help="build every account-region of the generated org at start-up")
    p.add_argument("--terminated-retention", type=float, default=DEFAULT_TERMINATED_RETENTION,
                   metavar="S", help="seconds of the stand-in's clock a terminated instance "
                                     "stays visible (default 3600, as EC2's ~1 hour)")
    p.add_argument("--clock-offset", type=float, default=0, metavar="S",
                   help="start the stand-in's clock S seconds from the real time")
    p.add_argument("--latency-ms", type=float, default=0)
    p.add_argument("--credential-ttl", type=float, default=None,
                   help="lifetime in seconds of issued credentials (overrides DurationSeconds)")
    p.add_argument("--fault", action="append", default=[],
                   help="ACCOUNT:KIND[:ARG][@SERVICE], repeatable")
    p.add_argument("--quiet", action="store_true", help="no per-request log lines")
    p.add_argument("--web-identity-token", action="append", default=[], metavar="TOKEN",
                   help="a token AssumeRoleWithWebIdentity accepts (repeatable)")
    p.add_argument("--tls-cert", metavar="PEM",
                   help="serve HTTPS with this certificate (chain) instead of HTTP")
    p.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    args = p.parse_args(argv)
    if args.host not in LOOPBACK_HOSTS:
        sys.stderr.write("aws-standin: refusing non-loopback bind address %r\n" % args.host)
        return 2
    if not args.fixture and not args.generate_org:
        args.fixture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixture.json")
    try:
        make_world, faults = build_world(args)
        faults = list(faults) + [parse_fault_spec(s) for s in args.fault]
        standin = Standin(make_world, faults, args.latency_ms, args.credential_ttl,
                          log=not args.quiet, retention=args.terminated_retention,
                          clock_offset=args.clock_offset)
    except (OSError, ValueError, KeyError, FixtureError) as e:
        sys.stderr.write("aws-standin: %s\n" % e)
        return 2
    standin.web_identity_tokens.update(args.web_identity_token)
    if args.org_preload and standin.world.region_cache is not None:
        t0 = time.perf_counter()
        standin.world.region_cache.preload()
        sys.stderr.write("aws-standin: org preloaded: %d account-regions in %.2f s, "
                         "rss %d KiB\n" % (standin.world.region_cache.info()["built_regions"],
                                           time.perf_counter() - t0, rss_kb()[0]))
    server = make_server(args.host, args.port, Handler)
    server.standin = standin
    if args.tls_cert:
        try:
            server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            server.tls.load_cert_chain(args.tls_cert, args.tls_key)
        except (OSError, ssl.SSLError) as e:
            sys.stderr.write("aws-standin: --tls-cert/--tls-key: %s\n" % e)
            return 2
    announce(server, args.port_file)
    serve_until_signal(server, on_stop=standin.stopping.set)
    return 0


if __name__ == "__main__":
    sys.exit(main())
