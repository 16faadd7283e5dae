#!/usr/bin/python3
"""Self-test of the AWS stand-in and the Slack receiver (stdlib unittest only).

Run:  python3 tests/standin/test_standin.py      (SI_TESTDATA defaults to tests/data/shared)
Last line printed: "N passed, N failed"; exit status non-zero on any failure.
"""

import datetime
import hashlib
import hmac
import http.client
import ipaddress
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ET
from urllib.parse import quote, unquote, urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import aws_standin  # noqa: E402  (server-side canonicalisation is checked against the suite)

TESTDATA = os.environ.get("SI_TESTDATA",
                          os.path.join(HERE, "..", "data", "shared"))
SIGV4_DIR = os.path.join(TESTDATA, "sigv4")
XML_DIR = os.path.join(TESTDATA, "aws-xml")
STANDIN = os.path.join(HERE, "aws_standin.py")
RECEIVER = os.path.join(HERE, "slack_receiver.py")
FIXTURE = os.path.join(HERE, "fixture.json")
TIMEOUT = 5.0          # every HTTP request is bounded by this
START_TIMEOUT = 10.0   # a stand-in must announce its port within this
EC2 = "{http://ec2.amazonaws.com/doc/2016-11-15/}"
STS = "{https://sts.amazonaws.com/doc/2011-06-15/}"

with open(FIXTURE, encoding="utf-8") as _f:
    FIX = json.load(_f)
BASE = (FIX["base_identity"]["access_key_id"], FIX["base_identity"]["secret_access_key"], None)
EXT = "slash-infra-demo"
PROD, STAG, DEV = "111111111111", "222222222222", "333333333333"


def role(acct):
    return "arn:aws:iam::%s:role/InfraSearchReadOnly" % acct


# ---------------------------------------------------------------------------
# Independent SigV4 client (deliberately not sharing code with the stand-in)
# ---------------------------------------------------------------------------

_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"


def _enc(s, keep_slash):
    return quote(s, safe=_SAFE + ("/" if keep_slash else ""), encoding="utf-8")


def _remove_dots(path):
    out = []
    for seg in path.split("/"):
        if seg == "..":
            if out:
                out.pop()
        elif seg not in ("", "."):
            out.append(seg)
    res = "/" + "/".join(out)
    return res + "/" if out and path.endswith("/") else res


def client_sign(method, path, query, headers, body, akid, secret, region, service, amz_date,
                token=None, sign_token=True, sign_body=False, normalize=True):
    """headers: list of (name, value).  Returns (headers_to_send, creq, sts, signature)."""
    hdrs = list(headers) + [("X-Amz-Date", amz_date)]
    if sign_body:
        hdrs.append(("x-amz-content-sha256", hashlib.sha256(body).hexdigest()))
    if token and sign_token:
        hdrs.append(("X-Amz-Security-Token", token))
    merged = {}
    for n, v in hdrs:
        merged.setdefault(n.lower(), []).append(" ".join(v.split()))
    names = sorted(merged)
    cpath = _enc(_remove_dots(path) if normalize else path, True)
    pairs = []
    for part in [p for p in query.split("&") if p]:
        k, _, v = part.partition("=")
        pairs.append((_enc(unquote(k), False), _enc(unquote(v), False)))
    cquery = "&".join("%s=%s" % kv for kv in sorted(pairs))
    creq = "\n".join([method, cpath, cquery] +
                     ["%s:%s" % (n, ",".join(merged[n])) for n in names] +
                     ["", ";".join(names), hashlib.sha256(body).hexdigest()])
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)
    sts = "AWS4-HMAC-SHA256\n%s\n%s\n%s" % (amz_date, scope,
                                           hashlib.sha256(creq.encode()).hexdigest())
    k = ("AWS4" + secret).encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    auth = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        akid, scope, ";".join(names), sig)
    out = hdrs + [("Authorization", auth)]
    if token and not sign_token:
        out.append(("X-Amz-Security-Token", token))
    return out, creq, sts, sig


def parse_raw_request(text, fold_sep):
    """Parse a suite request file: (method, path, query, [(name, value)], body)."""
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    method, target = lines[0].split(" ", 1)
    target = target.rsplit(" ", 1)[0]
    path, _, query = target.partition("?")
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            n, v = headers[-1]
            headers[-1] = (n, v + fold_sep + line)
        elif line:
            n, _, v = line.partition(":")
            headers.append((n, v))
    clen = [v for n, v in headers if n.lower() == "content-length"]
    body = body[:int(clen[0])] if clen else ""
    return method, path, query, headers, body.encode("utf-8")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class TestSigV4Suite(unittest.TestCase):
    def cases(self):
        return sorted(d for d in os.listdir(SIGV4_DIR)
                      if os.path.isdir(os.path.join(SIGV4_DIR, d)))

    def test_suite_present(self):
        self.assertGreaterEqual(len(self.cases()), 30)

    def test_client_signer_matches_suite(self):
        for case in self.cases():
            with self.subTest(case=case):
                d = os.path.join(SIGV4_DIR, case)
                ctx = json.loads(read(os.path.join(d, "context.json")))
                c = ctx["credentials"]
                method, path, query, headers, body = parse_raw_request(
                    read(os.path.join(d, "request.txt")), " ")
                amz = ctx["timestamp"].replace("-", "").replace(":", "")
                out, creq, sts, sig = client_sign(
                    method, path, query, headers, body, c["access_key_id"],
                    c["secret_access_key"], ctx["region"], ctx["service"], amz,
                    token=c.get("token"), sign_token=not ctx.get("omit_session_token", False),
                    sign_body=ctx.get("sign_body", False), normalize=ctx["normalize"])
                self.assertEqual(creq, read(os.path.join(d, "header-canonical-request.txt")))
                self.assertEqual(sts, read(os.path.join(d, "header-string-to-sign.txt")))
                self.assertEqual(sig, read(os.path.join(d, "header-signature.txt")))
                auth = dict(out)["Authorization"]
                self.assertIn("Authorization:" + auth,
                              read(os.path.join(d, "header-signed-request.txt")))

    def test_standin_verifier_matches_suite(self):
        """The stand-in's server-side canonicalisation of each signed request equals the suite."""
        for case in self.cases():
            with self.subTest(case=case):
                d = os.path.join(SIGV4_DIR, case)
                ctx = json.loads(read(os.path.join(d, "context.json")))
                method, path, query, headers, body = parse_raw_request(
                    read(os.path.join(d, "header-signed-request.txt")), "\r\n")
                auth = aws_standin.parse_authorization(
                    [v for n, v in headers if n == "Authorization"][0])
                self.assertIsNotNone(auth)
                creq = aws_standin.canonical_request(method, path, query, headers,
                                                     auth["signed_headers"], body,
                                                     normalize=ctx["normalize"])
                self.assertEqual(creq, read(os.path.join(d, "header-canonical-request.txt")))
                amz = [v for n, v in headers if n.lower() == "x-amz-date"][0]
                scope = "/".join([auth["date"], auth["region"], auth["service"],
                                  "aws4_request"])
                sts = aws_standin.string_to_sign(amz, scope, creq)
                self.assertEqual(sts, read(os.path.join(d, "header-string-to-sign.txt")))
                sig = aws_standin.compute_signature(ctx["credentials"]["secret_access_key"],
                                                    auth["date"], auth["region"],
                                                    auth["service"], sts)
                self.assertEqual(sig, auth["signature"])
                self.assertEqual(sig, read(os.path.join(d, "header-signature.txt")))
                bad = aws_standin.compute_signature("wrong" + ctx["credentials"][
                    "secret_access_key"], auth["date"], auth["region"], auth["service"], sts)
                self.assertNotEqual(bad, auth["signature"])


# ---------------------------------------------------------------------------
# Subprocess management and HTTP helpers
# ---------------------------------------------------------------------------

class Proc:
    def __init__(self, script, *args, start_timeout=START_TIMEOUT):
        self.tmp = tempfile.mkdtemp(prefix="standin-test-")
        self.port_file = os.path.join(self.tmp, "port")
        self.log_path = os.path.join(self.tmp, "stderr.log")
        self.log = open(self.log_path, "wb")
        self.p = subprocess.Popen([sys.executable, script, "--port", "0", "--port-file",
                                   self.port_file] + list(args),
                                  stdout=subprocess.PIPE, stderr=self.log)
        r, _, _ = select.select([self.p.stdout], [], [], start_timeout)
        line = self.p.stdout.readline() if r else b""
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError("%s did not announce a port: %r" % (script, line))
        self.port = int(line)
        with open(self.port_file) as f:
            assert int(f.read()) == self.port

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.p.stdout.close()
        self.log.close()
        return self.p.returncode

    def logtext(self):
        self.log.flush()
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()


def http_req(port, method, path, body=b"", headers=None, timeout=TIMEOUT):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def now_amz(offset=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)
    return t.strftime("%Y%m%dT%H%M%SZ")


def aws_call(port, params, creds, region="us-east-1", service=None, skew=0, tamper=None,
             timeout=TIMEOUT, json_target=None, json_body=None, omit_auth=False):
    """Signed query-protocol (or JSON when json_target) POST; returns (status, hdrs, body)."""
    if service is None:
        service = "organizations" if json_target else (
            "sts" if params.get("Action") in ("AssumeRole", "GetCallerIdentity") else "ec2")
    if json_target:
        body = json.dumps(json_body or {}).encode()
        base = [("Host", "127.0.0.1:%d" % port),
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", "AWSOrganizationsV20161128." + json_target)]
    else:
        body = urlencode(params, quote_via=quote).encode()
        base = [("Host", "127.0.0.1:%d" % port),
                ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
    akid, secret, token = creds
    hdrs, _, _, _ = client_sign("POST", "/", "", base, body, akid, secret, region, service,
                                now_amz(skew), token=token)
    if tamper:
        body = tamper(body)
    if omit_auth:
        hdrs = [(n, v) for n, v in hdrs if n != "Authorization"]
    return http_req(port, "POST", "/", body, dict(hdrs), timeout=timeout)


def xml(body):
    return ET.fromstring(body)


def ec2_error_code(body):
    root = xml(body)
    assert root.tag == "Response", root.tag
    assert root.find("RequestID") is not None
    return root.find("Errors/Error/Code").text, root.find("Errors/Error/Message").text


def sts_error_code(body):
    root = xml(body)
    assert root.tag == STS + "ErrorResponse", root.tag
    assert root.find(STS + "RequestId") is not None
    assert root.find(STS + "Error/" + STS + "Type").text in ("Sender", "Receiver")
    return root.find(STS + "Error/" + STS + "Code").text, root.find(
        STS + "Error/" + STS + "Message").text


def assume(port, acct, ext=EXT, **kw):
    params = {"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": role(acct),
              "RoleSessionName": "slash-infra-test"}
    if ext is not None:
        params["ExternalId"] = ext
    st, _, body = aws_call(port, params, BASE, **kw)
    if st != 200:
        return st, body
    c = xml(body).find(STS + "AssumeRoleResult/" + STS + "Credentials")
    return st, (c.find(STS + "AccessKeyId").text, c.find(STS + "SecretAccessKey").text,
                c.find(STS + "SessionToken").text, c.find(STS + "Expiration").text)


def creds3(c):
    return c[:3]


def describe(port, creds, region, filters=(), ids=(), extra=None, action="DescribeInstances",
             **kw):
    params = {"Action": action, "Version": "2016-11-15"}
    for i, (name, vals) in enumerate(filters, 1):
        params["Filter.%d.Name" % i] = name
        for j, v in enumerate(vals, 1):
            params["Filter.%d.Value.%d" % (i, j)] = v
    idkey = "InstanceId" if action == "DescribeInstances" else "NetworkInterfaceId"
    for i, v in enumerate(ids, 1):
        params["%s.%d" % (idkey, i)] = v
    params.update(extra or {})
    return aws_call(port, params, creds, region=region, **kw)


def instance_ids(body):
    root = xml(body)
    return [e.text for e in root.iter(EC2 + "instanceId")
            if e is not None and e.text]


def eni_items(body):
    return xml(body).findall(EC2 + "networkInterfaceSet/" + EC2 + "item")


SERVERS = {}


def setUpModule():
    SERVERS["aws"] = Proc(STANDIN, "--fixture", FIXTURE)
    SERVERS["gen"] = Proc(STANDIN, "--fixture", FIXTURE, "--generate-org", "25", "2", "12",
                          "--quiet")
    SERVERS["ttl"] = Proc(STANDIN, "--fixture", FIXTURE, "--credential-ttl", "1",
                          "--fault", "%s:http500@ec2" % DEV,
                          "--fault", "%s:unauthorized@route53" % DEV, "--quiet")
    SERVERS["time"] = Proc(STANDIN, "--fixture", FIXTURE, "--quiet")
    SERVERS["slack"] = Proc(RECEIVER)
    big = os.path.join(tempfile.mkdtemp(prefix="standin-test-"), "big.json")
    with open(big, "w", encoding="utf-8") as f:
        json.dump(big_fixture(), f)
    SERVERS["big"] = Proc(STANDIN, "--fixture", big, "--quiet")


def tearDownModule():
    for p in SERVERS.values():
        p.stop()


class AwsBase(unittest.TestCase):
    port = None

    def setUp(self):
        self.port = SERVERS["aws"].port
        http_req(self.port, "POST", "/_control/clear-faults")
        http_req(self.port, "POST", "/_control/reset")
        self._creds = {}

    def creds(self, acct):
        if acct not in self._creds:
            st, c = assume(self.port, acct, ext=None if acct == DEV else EXT)
            self.assertEqual(st, 200, c)
            self._creds[acct] = creds3(c)
        return self._creds[acct]

    def fault(self, **spec):
        st, _, body = http_req(self.port, "POST", "/_control/fault", json.dumps(spec).encode())
        self.assertEqual(st, 200, body)

    def ids(self, acct, region, filters=(), ids=()):
        st, _, body = describe(self.port, self.creds(acct), region, filters, ids)
        self.assertEqual(st, 200, body)
        return set(instance_ids(body))


class TestSts(AwsBase):
    def test_get_caller_identity_base(self):
        st, h, body = aws_call(self.port, {"Action": "GetCallerIdentity",
                                           "Version": "2011-06-15"}, BASE)
        self.assertEqual(st, 200, body)
        r = xml(body).find(STS + "GetCallerIdentityResult")
        self.assertEqual(r.find(STS + "Account").text, PROD)
        self.assertEqual(r.find(STS + "Arn").text, FIX["base_identity"]["arn"])

    def test_assume_role_ok(self):
        st, c = assume(self.port, STAG)
        self.assertEqual(st, 200, c)
        akid, secret, token, exp = c
        self.assertRegex(akid, r"^ASIA[A-Z2-7]{16}$")
        self.assertGreaterEqual(len(secret), 40)
        self.assertGreater(len(token), 100)
        expires = datetime.datetime.strptime(exp, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        left = (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        self.assertTrue(3500 < left <= 3601, left)
        st, _, body = aws_call(self.port, {"Action": "GetCallerIdentity",
                                           "Version": "2011-06-15"}, creds3(c))
        self.assertEqual(st, 200, body)
        r = xml(body).find(STS + "GetCallerIdentityResult")
        self.assertEqual(r.find(STS + "Account").text, STAG)
        self.assertEqual(r.find(STS + "Arn").text,
                         "arn:aws:sts::%s:assumed-role/InfraSearchReadOnly/slash-infra-test"
                         % STAG)

    def test_assume_role_fresh_credentials_each_time(self):
        a = assume(self.port, PROD)[1]
        b = assume(self.port, PROD)[1]
        self.assertNotEqual(a[0], b[0])
        self.assertNotEqual(a[1], b[1])

    def test_assume_role_without_external_id_role(self):
        st, c = assume(self.port, DEV, ext=None)
        self.assertEqual(st, 200, c)

    def test_assume_role_access_denied(self):
        cases = [("wrong external id", PROD, "nope"), ("missing external id", PROD, None),
                 ("account not in fixture", "444444444444", EXT)]
        for name, acct, ext in cases:
            with self.subTest(name):
                st, body = assume(self.port, acct, ext=ext)
                self.assertEqual(st, 403)
                code, msg = sts_error_code(body)
                self.assertEqual(code, "AccessDenied")
                self.assertIn("is not authorized to perform: sts:AssumeRole on resource: "
                              + role(acct), msg)
        params = {"Action": "AssumeRole", "Version": "2011-06-15", "ExternalId": EXT,
                  "RoleArn": "arn:aws:iam::%s:role/NoSuchRole" % PROD,
                  "RoleSessionName": "x-test"}
        st, _, body = aws_call(self.port, params, BASE)
        self.assertEqual((st, sts_error_code(body)[0]), (403, "AccessDenied"))

    def test_assume_role_validation(self):
        params = {"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": role(PROD),
                  "ExternalId": EXT, "RoleSessionName": "s", "DurationSeconds": "60"}
        st, _, body = aws_call(self.port, params, BASE)
        self.assertEqual((st, sts_error_code(body)[0]), (400, "ValidationError"))


class TestSigV4Rejections(AwsBase):
    def test_wrong_secret(self):
        bad = (BASE[0], BASE[1] + "x", None)
        st, _, body = aws_call(self.port, {"Action": "GetCallerIdentity",
                                           "Version": "2011-06-15"}, bad)
        self.assertEqual(st, 403)
        code, msg = sts_error_code(body)
        self.assertEqual(code, "SignatureDoesNotMatch")
        self.assertTrue(msg.startswith("The request signature we calculated does not match"))
        c = self.creds(PROD)
        st, _, body = describe(self.port, (c[0], c[1] + "x", c[2]), "eu-west-2")
        self.assertEqual((st, ec2_error_code(body)),
                         (401, ("AuthFailure", aws_standin.EC2_AUTH_MSG)))
        st, h, body = aws_call(self.port, {}, bad, json_target="ListAccounts")
        self.assertEqual((st, json.loads(body)["__type"]), (400, "InvalidSignatureException"))

    def test_unknown_access_key(self):
        st, _, body = aws_call(self.port, {"Action": "GetCallerIdentity"},
                               ("AKIAUNKNOWNUNKNOWN00", "s", None))
        self.assertEqual((st, sts_error_code(body)[0]), (403, "InvalidClientTokenId"))
        st, _, body = describe(self.port, ("ASIAUNKNOWNUNKNOWN00", "s", "t"), "eu-west-2")
        self.assertEqual((st, ec2_error_code(body)[0]), (401, "AuthFailure"))

    def test_skewed_date(self):
        for skew, prefix in ((-600, "Signature expired: "),
                             (600, "Signature not yet current: ")):
            with self.subTest(skew=skew):
                st, _, body = aws_call(self.port, {"Action": "GetCallerIdentity"}, BASE,
                                       skew=skew)
                self.assertEqual(st, 403)
                code, msg = sts_error_code(body)
                self.assertEqual(code, "SignatureDoesNotMatch")
                self.assertTrue(msg.startswith(prefix), msg)
                self.assertRegex(msg, r"\d{8}T\d{6}Z .* \(\d{8}T\d{6}Z [-+] 5 min\.\)$")
                st, _, body = describe(self.port, self.creds(PROD), "eu-west-2", skew=skew)
                self.assertEqual((st, ec2_error_code(body)[0]), (401, "AuthFailure"))
        st, _, body = aws_call(self.port, {"Action": "GetCallerIdentity"}, BASE, skew=-200)
        self.assertEqual(st, 200, body)

    def test_tampered_param(self):
        def tamper(b):
            return b.replace(b"slash-infra-test", b"slash-infra-evil")
        params = {"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": role(PROD),
                  "ExternalId": EXT, "RoleSessionName": "slash-infra-test"}
        st, _, body = aws_call(self.port, params, BASE, tamper=tamper)
        self.assertEqual((st, sts_error_code(body)[0]), (403, "SignatureDoesNotMatch"))
        st, _, body = describe(self.port, self.creds(PROD), "eu-west-2",
                               [("tag:Name", ["prod-web-1"])],
                               tamper=lambda b: b.replace(b"prod-web-1", b"prod-web-2"))
        self.assertEqual((st, ec2_error_code(body)[0]), (401, "AuthFailure"))

    def test_missing_authorization(self):
        st, _, body = aws_call(self.port, {"Action": "GetCallerIdentity"}, BASE, omit_auth=True)
        self.assertEqual((st, sts_error_code(body)[0]), (403, "MissingAuthenticationToken"))
        st, _, body = aws_call(self.port, {}, BASE, json_target="ListAccounts", omit_auth=True)
        self.assertEqual(json.loads(body)["__type"], "MissingAuthenticationTokenException")
        st, _, body = describe(self.port, BASE, "eu-west-2", omit_auth=True)
        self.assertEqual(ec2_error_code(body)[0], "MissingAuthenticationToken")

    def test_session_token_must_match(self):
        c = self.creds(PROD)
        for tok in ("wrong-token", None):
            st, _, body = describe(self.port, (c[0], c[1], tok), "eu-west-2")
            self.assertEqual((st, ec2_error_code(body)[0]), (401, "AuthFailure"))
        st, _, body = aws_call(self.port, {"Action": "GetCallerIdentity"},
                               (c[0], c[1], "wrong"))
        self.assertEqual((st, sts_error_code(body)[0]), (403, "InvalidClientTokenId"))

    def test_base_identity_cannot_call_ec2(self):
        st, _, body = describe(self.port, BASE, "eu-west-2")
        self.assertEqual((st, ec2_error_code(body)[0]), (403, "UnauthorizedOperation"))


class TestInterop(AwsBase):
    def test_get_query_string(self):
        c = self.creds(PROD)
        query = urlencode(sorted({"Action": "DescribeInstances", "Version": "2016-11-15",
                                  "InstanceId.1": "i-0a1b2c3d4e5f60002"}.items()))
        hdrs, _, _, _ = client_sign("GET", "/", query, [("Host", "127.0.0.1:%d" % self.port)],
                                    b"", c[0], c[1], "eu-west-2", "ec2", now_amz(), token=c[2])
        st, _, body = http_req(self.port, "GET", "/?" + query, b"", dict(hdrs))
        self.assertEqual(st, 200, body)
        self.assertEqual(instance_ids(body), ["i-0a1b2c3d4e5f60002"])

    def test_curl_aws_sigv4(self):
        """libcurl's own SigV4 signer (what the C service uses) is accepted."""
        try:
            v = subprocess.run(["curl", "--version"], capture_output=True, timeout=TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            self.skipTest("no curl")
        if b"curl" not in v.stdout:
            self.skipTest("no curl")
        url = "http://127.0.0.1:%d/" % self.port

        def curl(scope, user, data, *extra):
            r = subprocess.run(["curl", "-s", "-m", str(int(TIMEOUT)), "--aws-sigv4", scope,
                                "--user", user, "-d", data] + list(extra) + [url],
                               capture_output=True, timeout=TIMEOUT + 2)
            return r.stdout
        body = curl("aws:amz:us-east-1:sts", "%s:%s" % BASE[:2],
                    "Action=AssumeRole&Version=2011-06-15&RoleArn=%s&RoleSessionName=curl"
                    "&ExternalId=%s" % (role(PROD), EXT))
        cr = xml(body).find(STS + "AssumeRoleResult/" + STS + "Credentials")
        self.assertIsNotNone(cr, body)
        akid, secret, token = (cr.find(STS + n).text for n in
                               ("AccessKeyId", "SecretAccessKey", "SessionToken"))
        body = curl("aws:amz:eu-west-2:ec2", "%s:%s" % (akid, secret),
                    "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag:Name"
                    "&Filter.1.Value.1=prod-web-*", "-H", "X-Amz-Security-Token: " + token)
        self.assertEqual(instance_ids(body), ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"])
        body = curl("aws:amz:eu-west-2:ec2", "%s:%s" % (akid, secret + "x"),
                    "Action=DescribeInstances&Version=2016-11-15",
                    "-H", "X-Amz-Security-Token: " + token)
        self.assertEqual(ec2_error_code(body)[0], "AuthFailure")


class TestDescribeInstances(AwsBase):
    P1, P2, P3 = "i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002", "i-0a1b2c3d4e5f60003"

    def test_filters(self):
        P1, P2, P3 = self.P1, self.P2, self.P3
        cases = [
            ([("instance-id", [P2])], {P2}),
            ([("private-ip-address", ["10.10.1.10"])], {P1}),
            ([("private-ip-address", ["10.10.1.11"])], set()),
            ([("network-interface.addresses.private-ip-address", ["10.10.1.11"])], {P1}),
            ([("network-interface.addresses.private-ip-address", ["10.10.3.32"])], {P3}),
            ([("ip-address", ["18.130.20.20"])], {P2}),
            ([("private-dns-name", ["ip-10-10-2-20.eu-west-2.compute.internal"])], {P2}),
            ([("dns-name", ["ec2-18-130-10-10.eu-west-2.compute.amazonaws.com"])], {P1}),
            ([("tag:Name", ["prod-web-*"])], {P1, P2}),
            ([("tag:Name", ["prod-web-?"])], {P1, P2}),
            ([("tag:Name", ["PROD-web-*"])], set()),
            ([("tag:Name", ["prod-web"])], set()),
            ([("tag:Role", ["db"])], {P3}),
            ([("tag:Nope", ["*"])], set()),
            ([("network-interface.ipv6-addresses.ipv6-address", ["2a05:d01c:abc:1003::31"])],
             {P3}),
            ([("network-interface.ipv6-addresses.ipv6-address", ["2a05:d01c:abc:1000::*"])],
             {P1}),
            ([("instance-state-name", ["running"])], {P1, P2, P3}),
            ([("instance-state-name", ["stopped"])], set()),
            ([("vpc-id", ["vpc-0111000000000a001"])], {P1, P2, P3}),
            ([("private-ip-address", ["10.10.1.10", "10.10.2.20"])], {P1, P2}),
            ([("tag:Role", ["web"]), ("ip-address", ["18.130.10.10"])], {P1}),
            ([("tag:Role", ["db"]), ("ip-address", ["18.130.10.10"])], set()),
            ([("private-ip-address", ["10.10.*.?0"])], {P1, P2, P3}),
        ]
        for filters, want in cases:
            with self.subTest(filters=filters):
                self.assertEqual(self.ids(PROD, "eu-west-2", filters), want)

    def test_unknown_filter(self):
        st, _, body = describe(self.port, self.creds(PROD), "eu-west-2", [("bogus", ["x"])])
        self.assertEqual((st, ec2_error_code(body)[0]), (400, "InvalidParameterValue"))

    def test_instance_ids(self):
        self.assertEqual(self.ids(PROD, "eu-west-2", ids=[self.P3, self.P1]), {self.P1, self.P3})
        st, _, body = describe(self.port, self.creds(PROD), "eu-west-2",
                               ids=["i-0123456789abcdef0"])
        self.assertEqual((st, ec2_error_code(body)),
                         (400, ("InvalidInstanceID.NotFound",
                                "The instance ID 'i-0123456789abcdef0' does not exist")))
        st, _, body = describe(self.port, self.creds(PROD), "eu-west-2", ids=["i-xyz"])
        self.assertEqual((st, ec2_error_code(body)),
                         (400, ("InvalidInstanceID.Malformed", 'Invalid id: "i-xyz"')))

    def test_error_shape_matches_reference(self):
        st, _, body = describe(self.port, self.creds(PROD), "eu-west-2", ids=["i-xyz"])
        ref = ET.parse(os.path.join(XML_DIR, "ec2-error-invalidinstanceid-malformed.botocore.xml"))
        self.assertEqual([e.tag for e in xml(body).iter()], [e.tag for e in ref.iter()])

    def test_response_shape(self):
        st, h, body = describe(self.port, self.creds(PROD), "eu-west-2", ids=[self.P1])
        self.assertEqual(st, 200)
        self.assertTrue(h["Content-Type"].startswith("text/xml"))
        root = xml(body)
        self.assertEqual(root.tag, EC2 + "DescribeInstancesResponse")
        self.assertTrue(root.find(EC2 + "requestId").text)
        res = root.findall(EC2 + "reservationSet/" + EC2 + "item")
        self.assertEqual(len(res), 1)
        self.assertEqual(res[0].find(EC2 + "ownerId").text, PROD)
        self.assertTrue(res[0].find(EC2 + "reservationId").text.startswith("r-"))
        it = res[0].find(EC2 + "instancesSet/" + EC2 + "item")
        g = lambda p: it.find("/".join(EC2 + s for s in p.split("/"))).text  # noqa: E731
        self.assertEqual(g("instanceId"), self.P1)
        self.assertEqual((g("instanceState/code"), g("instanceState/name")), ("16", "running"))
        self.assertEqual(g("placement/availabilityZone"), "eu-west-2a")
        self.assertEqual(g("privateIpAddress"), "10.10.1.10")
        self.assertEqual(g("ipAddress"), "18.130.10.10")
        self.assertEqual(g("privateDnsName"), "ip-10-10-1-10.eu-west-2.compute.internal")
        self.assertEqual(g("dnsName"), "ec2-18-130-10-10.eu-west-2.compute.amazonaws.com")
        self.assertEqual(g("launchTime"), "2025-03-01T09:00:00.000Z")
        tags = {t.find(EC2 + "key").text: t.find(EC2 + "value").text
                for t in it.findall(EC2 + "tagSet/" + EC2 + "item")}
        self.assertEqual(tags, {"Name": "prod-web-1", "Environment": "production",
                                "Role": "web"})
        eni = it.find(EC2 + "networkInterfaceSet/" + EC2 + "item")
        ips = [(i.find(EC2 + "privateIpAddress").text, i.find(EC2 + "primary").text)
               for i in eni.findall(EC2 + "privateIpAddressesSet/" + EC2 + "item")]
        self.assertEqual(ips, [("10.10.1.10", "true"), ("10.10.1.11", "false")])
        self.assertEqual(eni.find(EC2 + "association/" + EC2 + "publicIp").text, "18.130.10.10")
        self.assertEqual(eni.find(EC2 + "ipv6AddressesSet/" + EC2 + "item/" + EC2 +
                                  "ipv6Address").text, "2a05:d01c:abc:1000::10")
        # Element order follows the AWS documentation example wherever both have the element.
        ref = ET.parse(os.path.join(XML_DIR, "ec2-describe-instances.awsdocs.xml")).getroot()
        ref_it = ref.find(".//" + EC2 + "instancesSet/" + EC2 + "item")
        for ours, theirs in ((it, ref_it),
                             (eni, ref_it.find(EC2 + "networkInterfaceSet/" + EC2 + "item"))):
            a = [c.tag for c in ours]
            b = [c.tag for c in theirs]
            common = [t for t in a if t in b]
            self.assertEqual(common, [t for t in b if t in a])
            self.assertGreater(len(common), 10)

    def test_stopped_and_terminated(self):
        st, _, body = describe(self.port, self.creds(PROD), "us-east-1")
        it = xml(body).find(".//" + EC2 + "instancesSet/" + EC2 + "item")
        self.assertEqual(it.find(EC2 + "instanceState/" + EC2 + "name").text, "stopped")
        self.assertIsNone(it.find(EC2 + "ipAddress"))
        self.assertIsNone(it.find(EC2 + "dnsName").text)
        self.assertEqual(it.find(EC2 + "privateIpAddress").text, "10.20.1.40")
        self.assertEqual(self.ids(DEV, "us-west-2", [("instance-state-name", ["terminated"])]),
                         {"i-0c3d4e5f6a7b8000a"})

    def test_account_isolation(self):
        # Temporary credentials for an account only ever see that account's instances.
        self.assertEqual(self.ids(DEV, "eu-west-2", [("private-ip-address", ["10.10.1.10"])]),
                         {"i-0c3d4e5f6a7b80009"})
        self.assertEqual(self.ids(PROD, "eu-west-2", [("private-ip-address", ["10.10.1.10"])]),
                         {self.P1})
        st, _, body = describe(self.port, self.creds(STAG), "eu-west-2", ids=[self.P1])
        self.assertEqual(ec2_error_code(body)[0], "InvalidInstanceID.NotFound")
        self.assertEqual(self.ids(STAG, "eu-west-2"),
                         {"i-0b2c3d4e5f6a70005", "i-0b2c3d4e5f6a70006"})

    def test_region_isolation(self):
        self.assertEqual(self.ids(PROD, "us-east-1"), {"i-0a1b2c3d4e5f60004"})
        self.assertEqual(self.ids(DEV, "us-east-1"), {"i-0c3d4e5f6a7b8000b"})
        st, _, body = describe(self.port, self.creds(PROD), "eu-west-1")
        self.assertEqual((st, ec2_error_code(body)[0]), (401, "AuthFailure"))

    def test_describe_regions(self):
        st, _, body = describe(self.port, self.creds(DEV), "eu-west-2",
                               action="DescribeRegions")
        self.assertEqual(st, 200)
        names = [e.text for e in xml(body).iter(EC2 + "regionName")]
        self.assertEqual(names, ["eu-west-2", "us-east-1", "us-west-2"])


class TestDescribeNetworkInterfaces(AwsBase):
    def enis(self, acct, region, filters=(), ids=()):
        st, _, body = describe(self.port, self.creds(acct), region, filters, ids,
                               action="DescribeNetworkInterfaces")
        self.assertEqual(st, 200, body)
        return eni_items(body)

    def f(self, item, path):
        e = item.find("/".join(EC2 + s for s in path.split("/")))
        return None if e is None else (e.text or "")

    def test_elb_eni(self):
        items = self.enis(PROD, "eu-west-2", [("addresses.private-ip-address", ["10.10.1.200"])])
        self.assertEqual(len(items), 1)
        e = items[0]
        self.assertEqual(self.f(e, "interfaceType"), "interface")
        self.assertEqual(self.f(e, "requesterId"), "amazon-elb")
        self.assertEqual(self.f(e, "requesterManaged"), "true")
        self.assertTrue(self.f(e, "description").startswith("ELB app/prod-alb/"))
        self.assertEqual(self.f(e, "attachment/instanceOwnerId"), "amazon-elb")
        self.assertIsNone(self.f(e, "attachment/instanceId"))
        self.assertEqual(self.f(e, "association/publicIp"), "18.130.99.99")
        self.assertEqual(self.f(e, "ownerId"), PROD)

    def test_filters(self):
        cases = [
            ([("association.public-ip", ["18.130.0.5"])], ["eni-0e1b000000000a002"]),
            ([("private-ip-address", ["10.10.0.5"])], ["eni-0e1b000000000a002"]),
            ([("network-interface-id", ["eni-0e1b000000000a00?"])],
             ["eni-0e1b000000000a001", "eni-0e1b000000000a002"]),
        ]
        for filters, want in cases:
            with self.subTest(filters=filters):
                got = [self.f(e, "networkInterfaceId")
                       for e in self.enis(PROD, "eu-west-2", filters)]
                self.assertEqual(got, want)
        nat = self.enis(PROD, "eu-west-2", [("association.public-ip", ["18.130.0.5"])])[0]
        self.assertEqual(self.f(nat, "interfaceType"), "nat_gateway")
        att = self.enis(PROD, "eu-west-2", [("attachment.instance-id", ["i-0a1b2c3d4e5f60003"])])
        self.assertEqual(len(att), 2)
        self.assertEqual({self.f(e, "privateIpAddress") for e in att},
                         {"10.10.3.30", "10.10.3.31"})
        v6 = self.enis(PROD, "eu-west-2",
                       [("ipv6-addresses.ipv6-address", ["2a05:d01c:abc:1003::31"])])
        self.assertEqual([self.f(e, "attachment/instanceId") for e in v6],
                         ["i-0a1b2c3d4e5f60003"])
        sec = self.enis(PROD, "eu-west-2", [("addresses.private-ip-address", ["10.10.3.32"])])
        self.assertEqual(len(sec), 1)
        lam = self.enis(PROD, "us-east-1", [("private-ip-address", ["10.20.1.77"])])
        self.assertEqual(self.f(lam[0], "interfaceType"), "lambda")

    def test_ids(self):
        got = self.enis(PROD, "eu-west-2", ids=["eni-0e1b000000000a001"])
        self.assertEqual(len(got), 1)
        st, _, body = describe(self.port, self.creds(PROD), "eu-west-2",
                               ids=["eni-0e1b00000000ffff1"],
                               action="DescribeNetworkInterfaces")
        self.assertEqual(ec2_error_code(body)[0], "InvalidNetworkInterfaceID.NotFound")
        st, _, body = describe(self.port, self.creds(PROD), "eu-west-2", ids=["eni-zz"],
                               action="DescribeNetworkInterfaces")
        self.assertEqual(ec2_error_code(body)[0], "InvalidNetworkInterfaceID.Malformed")


class TestGeneratedOrg(unittest.TestCase):
    def setUp(self):
        self.port = SERVERS["gen"].port

    def test_deterministic(self):
        a = aws_standin.generate_org(4, 2, 3, seed=7)
        self.assertEqual(a, aws_standin.generate_org(4, 2, 3, seed=7))
        self.assertNotEqual(a, aws_standin.generate_org(4, 2, 3, seed=8))
        self.assertEqual(len(a), 4)
        self.assertEqual(sum(len(r["instances"]) for x in a for r in x["regions"].values()), 24)

    def test_paging_three_pages(self):
        st, c = assume(self.port, "400000000000")
        self.assertEqual(st, 200, c)
        cr = creds3(c)
        st, _, body = describe(self.port, cr, "us-east-1")
        everything = instance_ids(body)
        self.assertEqual(len(everything), 12)
        seen, token, pages = [], None, 0
        for _ in range(10):  # bounded
            extra = {"MaxResults": "5"}
            if token:
                extra["NextToken"] = token
            st, _, body = describe(self.port, cr, "us-east-1", extra=extra)
            self.assertEqual(st, 200, body)
            pages += 1
            seen.extend(instance_ids(body))
            tok = xml(body).find(EC2 + "nextToken")
            if tok is None:
                break
            token = tok.text
        self.assertEqual(pages, 3)
        self.assertEqual(seen, everything)
        st, _, body = describe(self.port, cr, "us-east-1", [("tag:Name", ["*"])],
                               extra={"MaxResults": "5", "NextToken": token})
        self.assertEqual(ec2_error_code(body)[0], "InvalidPaginationToken")
        st, _, body = describe(self.port, cr, "us-east-1", extra={"MaxResults": "4"})
        self.assertEqual((st, ec2_error_code(body)[0]), (400, "InvalidParameterValue"))
        st, _, body = describe(self.port, cr, "us-east-1", ids=[everything[0]],
                               extra={"MaxResults": "5"})
        self.assertEqual(ec2_error_code(body)[0], "InvalidParameterCombination")

    def test_list_accounts_paging(self):
        for max_results, want_pages in ((None, 2), (10, 3)):
            with self.subTest(max_results=max_results):
                ids, token, pages = [], None, 0
                for _ in range(10):
                    req = {}
                    if max_results:
                        req["MaxResults"] = max_results
                    if token:
                        req["NextToken"] = token
                    st, h, body = aws_call(self.port, {}, BASE, json_target="ListAccounts",
                                           json_body=req)
                    self.assertEqual(st, 200, body)
                    self.assertEqual(h["Content-Type"], "application/x-amz-json-1.1")
                    doc = json.loads(body)
                    pages += 1
                    ids.extend(a["Id"] for a in doc["Accounts"])
                    for a in doc["Accounts"]:
                        self.assertEqual(a["Status"], "ACTIVE")
                        self.assertTrue(a["Arn"].endswith("/" + a["Id"]))
                        self.assertIn(a["JoinedMethod"], ("INVITED", "CREATED"))
                    token = doc.get("NextToken")
                    if not token:
                        break
                self.assertEqual(pages, want_pages)
                self.assertEqual(len(ids), 25)
                self.assertEqual(len(set(ids)), 25)

    def test_list_accounts_default_fixture(self):
        port = SERVERS["aws"].port
        st, _, body = aws_call(port, {}, BASE, json_target="ListAccounts")
        doc = json.loads(body)
        self.assertEqual([(a["Id"], a["Name"]) for a in doc["Accounts"]],
                         [(PROD, "production"), (STAG, "staging"), (DEV, "dev")])
        self.assertNotIn("NextToken", doc)
        st, c = assume(port, STAG)
        st, _, body = aws_call(port, {}, creds3(c), json_target="ListAccounts")
        self.assertEqual((st, json.loads(body)["__type"]), (400, "AccessDeniedException"))


class TestFaults(AwsBase):
    def ec2_status(self, acct, timeout=TIMEOUT):
        st, _, body = describe(self.port, self.creds(acct), "eu-west-2", timeout=timeout)
        return st, body

    def test_latency(self):
        self.creds(STAG)
        self.fault(account=STAG, kind="latency", arg=300)
        t0 = time.monotonic()
        self.assertEqual(self.ec2_status(STAG)[0], 200)
        slow = time.monotonic() - t0
        t0 = time.monotonic()
        self.assertEqual(self.ec2_status(PROD)[0], 200)
        fast = time.monotonic() - t0
        self.assertGreaterEqual(slow, 0.3)
        self.assertLess(fast, slow)

    def test_sts_access_denied(self):
        self.fault(account=STAG, kind="sts-access-denied")
        st, body = assume(self.port, STAG)
        self.assertEqual((st, sts_error_code(body)[0]), (403, "AccessDenied"))
        self.assertEqual(assume(self.port, PROD)[0], 200)

    def test_ec2_unauthorized(self):
        self.creds(DEV)
        self.fault(account=DEV, kind="ec2-unauthorized")
        st, body = self.ec2_status(DEV)
        self.assertEqual((st, ec2_error_code(body)[0]), (403, "UnauthorizedOperation"))
        self.assertEqual(self.ec2_status(PROD)[0], 200)

    def test_throttle_seconds(self):
        self.creds(PROD)
        self.fault(account=PROD, kind="throttle", arg=1, service="ec2")
        st, body = self.ec2_status(PROD)
        self.assertEqual((st, ec2_error_code(body)),
                         (503, ("RequestLimitExceeded", "Request limit exceeded.")))
        self.assertEqual(self.ec2_status(PROD)[0], 503)
        time.sleep(1.1)
        self.assertEqual(self.ec2_status(PROD)[0], 200)

    def test_throttle_sts(self):
        self.fault(account=STAG, kind="throttle-count", arg=1, service="sts")
        st, body = assume(self.port, STAG)
        self.assertEqual((st, sts_error_code(body)[0]), (400, "Throttling"))
        self.assertEqual(assume(self.port, STAG)[0], 200)

    def test_throttle_count(self):
        self.creds(PROD)
        self.fault(account=PROD, kind="throttle-count", arg=2)
        self.assertEqual([self.ec2_status(PROD)[0] for _ in range(3)], [503, 503, 200])

    def test_http500_and_wildcard(self):
        self.creds(PROD)
        self.creds(DEV)
        self.fault(account="*", kind="http500", service="ec2")
        for acct in (PROD, DEV):
            st, body = self.ec2_status(acct)
            self.assertEqual((st, ec2_error_code(body)[0]), (500, "InternalError"))

    def test_malformed_xml(self):
        self.creds(PROD)
        self.fault(account=PROD, kind="malformed-xml")
        st, body = self.ec2_status(PROD)
        self.assertEqual(st, 200)
        self.assertRaises(ET.ParseError, ET.fromstring, body)

    def test_hang_does_not_block_others(self):
        self.creds(PROD)
        self.creds(STAG)
        self.fault(account=STAG, kind="hang")
        result = {}

        def hung():
            t0 = time.monotonic()
            try:
                self.ec2_status(STAG, timeout=1.5)
                result["r"] = "answered"
            except (socket.timeout, TimeoutError):
                result["r"] = "timeout"
            result["t"] = time.monotonic() - t0
        th = threading.Thread(target=hung)
        th.start()
        time.sleep(0.2)
        self.assertEqual(self.ec2_status(PROD)[0], 200)
        th.join(5)
        self.assertEqual(result.get("r"), "timeout")
        self.assertGreaterEqual(result["t"], 1.4)

    def test_refuse(self):
        self.creds(PROD)
        self.fault(account=PROD, kind="refuse")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.ec2_status(PROD)

    def test_expire_credentials(self):
        self.fault(account=STAG, kind="expire-credentials")
        st, c = assume(self.port, STAG)
        self.assertEqual(st, 200)
        exp = datetime.datetime.strptime(c[3], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        self.assertLessEqual(exp, datetime.datetime.now(datetime.timezone.utc))
        st, _, body = describe(self.port, creds3(c), "eu-west-2")
        self.assertEqual((st, ec2_error_code(body)), (400, ("RequestExpired",
                                                            "Request has expired.")))
        st, _, body = aws_call(self.port, {"Action": "GetCallerIdentity"}, creds3(c))
        self.assertEqual((st, sts_error_code(body)[0]), (403, "ExpiredToken"))

    def test_reset_and_stats(self):
        self.creds(PROD)
        self.fault(account=PROD, kind="http500")
        self.assertEqual(self.ec2_status(PROD)[0], 500)
        st, _, _ = http_req(self.port, "POST", "/_control/clear-faults")
        st, _, _ = http_req(self.port, "POST", "/_control/reset")
        self.assertEqual(st, 200)
        self.assertEqual(self.ec2_status(PROD)[0], 200)
        self.assertEqual(self.ec2_status(PROD)[0], 200)
        st, _, body = http_req(self.port, "GET", "/_control/stats")
        stats = json.loads(body)
        self.assertEqual(stats["by_key"]["DescribeInstances:%s:eu-west-2" % PROD], 2)
        self.assertEqual(stats["by_action"]["DescribeInstances"], 2)
        self.assertEqual(stats["by_status"]["200"], 2)
        self.assertEqual(stats["total"], 2)

    def test_bad_fault_rejected(self):
        st, _, _ = http_req(self.port, "POST", "/_control/fault",
                        json.dumps({"account": "*", "kind": "explode"}).encode())
        self.assertEqual(st, 400)
        st, _, _ = http_req(self.port, "POST", "/_control/fault",
                        json.dumps({"account": "*", "kind": "latency"}).encode())
        self.assertEqual(st, 400)

    def test_no_secrets_logged(self):
        st, c = assume(self.port, PROD)
        describe(self.port, creds3(c), "eu-west-2")
        time.sleep(0.1)
        log = SERVERS["aws"].logtext()
        self.assertIn("AssumeRole", log)
        self.assertIn("DescribeInstances account=%s region=eu-west-2 status=200" % PROD, log)
        for secret in (BASE[1], c[1], c[2]):
            self.assertNotIn(secret, log)


class TestCredentialTtlAndCliFault(unittest.TestCase):
    def test_ttl_expiry(self):
        port = SERVERS["ttl"].port
        st, c = assume(port, PROD)
        self.assertEqual(st, 200)
        self.assertEqual(describe(port, creds3(c), "eu-west-2")[0], 200)
        time.sleep(1.2)
        st, _, body = describe(port, creds3(c), "eu-west-2")
        self.assertEqual((st, ec2_error_code(body)[0]), (400, "RequestExpired"))

    def test_cli_fault(self):
        port = SERVERS["ttl"].port
        st, c = assume(port, DEV, ext=None)
        self.assertEqual(st, 200)  # fault was scoped @ec2, STS unaffected
        st, _, body = describe(port, creds3(c), "eu-west-2")
        self.assertEqual((st, ec2_error_code(body)[0]), (500, "InternalError"))


# ---------------------------------------------------------------------------
# Services beyond STS/EC2 instances: helpers
# ---------------------------------------------------------------------------

ELB = "{http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/}"
ELB2 = "{http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/}"
RDS = "{http://rds.amazonaws.com/doc/2014-10-31/}"
ASG = "{http://autoscaling.amazonaws.com/doc/2011-01-01/}"
R53 = "{https://route53.amazonaws.com/doc/2013-04-01/}"
ALB_ARN = "arn:aws:elasticloadbalancing:eu-west-2:%s:loadbalancer/app/prod-alb/50dc6c495c0c9188" \
    % PROD
NLB_ARN = "arn:aws:elasticloadbalancing:eu-west-2:%s:loadbalancer/net/prod-nlb/7d1e3f5a9b2c4e68" \
    % PROD
WEB_TG_ARN = "arn:aws:elasticloadbalancing:eu-west-2:%s:targetgroup/prod-web-tg/73e2d6bc24d8a067" \
    % PROD
PUB_ZONE, PRIV_ZONE = "Z0111111PUBLIC00001", "Z0111111PRIVATE0001"
QUERY_VERSIONS = {"elb": ("elasticloadbalancing", "2012-06-01", ELB),
                  "elbv2": ("elasticloadbalancing", "2015-12-01", ELB2),
                  "rds": ("rds", "2014-10-31", RDS),
                  "autoscaling": ("autoscaling", "2011-01-01", ASG)}


def nsf(elem, path, ns):
    """find() with the namespace on every step ('' for none)."""
    return elem.find("/".join(ns + s for s in path.split("/")))


def nsall(elem, path, ns):
    return elem.findall("/".join(ns + s for s in path.split("/")))


def nstext(elem, path, ns):
    e = nsf(elem, path, ns)
    return None if e is None else (e.text or "")


def local(tag):
    return tag.split("}", 1)[-1]


def same_order(test, ours, theirs, at_least):
    """The children both have appear in the same order (local names: the
    samples' namespaces are older API versions)."""
    a = [local(c.tag) for c in ours]
    b = [local(c.tag) for c in theirs]
    common = [t for t in a if t in b]
    test.assertEqual(common, [t for t in b if t in a])
    test.assertGreaterEqual(len(set(common)), at_least, (a, b))


def ec2_call(port, creds, region, action, params=None, **kw):
    p = {"Action": action, "Version": "2016-11-15"}
    p.update(params or {})
    return aws_call(port, p, creds, region=region, **kw)


def api_call(port, creds, api, action, params=None, region="eu-west-2", **kw):
    """A query-protocol call of ELB (api "elb"), ELBv2, RDS or Auto Scaling."""
    service, version, _ = QUERY_VERSIONS[api]
    p = {"Action": action, "Version": version}
    p.update(params or {})
    return aws_call(port, p, creds, region=region, service=service, **kw)


def query_error_code(body, ns):
    root = xml(body)
    assert root.tag == ns + "ErrorResponse", root.tag
    assert nsf(root, "RequestId", ns) is not None
    return nstext(root, "Error/Code", ns), nstext(root, "Error/Message", ns)


def qs(pairs):
    """A query string, every reserved byte percent-encoded."""
    return "&".join("%s=%s" % (quote(k, safe=""), quote(v, safe="")) for k, v in pairs)


def rest_get(port, creds, path, query="", region="us-east-1", service="route53",
             sign_path=None, sign_query=None, skew=0, omit_auth=False):
    """A signed REST GET of path (as sent: already percent-encoded). sign_path /
    sign_query: sign something other than what is sent (to prove the
    stand-in checks it)."""
    akid, secret, token = creds
    hdrs, _, _, _ = client_sign("GET", sign_path if sign_path is not None else path,
                                sign_query if sign_query is not None else query,
                                [("Host", "127.0.0.1:%d" % port)], b"", akid, secret, region,
                                service, now_amz(skew), token=token)
    if omit_auth:
        hdrs = [(n, v) for n, v in hdrs if n != "Authorization"]
    return http_req(port, "GET", path + ("?" + query if query else ""), b"", dict(hdrs))


def r53_error_code(body):
    return query_error_code(body, R53)


def stats(port):
    return json.loads(http_req(port, "GET", "/_control/stats")[2])


def big_fixture():
    """The default fixture plus enough of each kind in staging/eu-west-1 to
    page RDS (MaxRecords >= 20), Auto Scaling, ELB classic and Lambda."""
    doc = json.loads(json.dumps(FIX))
    r = [a for a in doc["accounts"] if a["id"] == STAG][0]["regions"]["eu-west-1"]
    r["db_instances"] = [{"id": "pg-%02d" % k, "endpoint": "pg-%02d.cabcdefghijk.eu-west-1."
                          "rds.amazonaws.com" % k} for k in range(25)]
    r["db_clusters"] = [{"id": "aurora-%02d" % k} for k in range(21)]
    r["auto_scaling_groups"] = [{"name": "asg-%d" % k, "tags": {"Team": "t%d" % (k % 2)}}
                                for k in range(3)]
    r["load_balancers"] = [{"name": "clb-%d" % k, "type": "classic"} for k in range(3)]
    r["lambda_functions"] = [{"name": "fn-%d" % k} for k in range(3)]
    return doc


# ---------------------------------------------------------------------------
# EC2: security groups, subnets, VPCs, volumes, AMIs, snapshots, NAT and
# internet gateways, VPC endpoints, transit gateways, launch templates
# ---------------------------------------------------------------------------

# action -> (.N id parameter, a fixture id in production/eu-west-2, the set
# element, the id element, an unknown id, NotFound code, a malformed id,
# Malformed code)
EC2_CASES = {
    "DescribeSecurityGroups": ("GroupId", "sg-0111000000000a001", "securityGroupInfo",
                               "groupId", "sg-0111000000000fff1", "InvalidGroup.NotFound",
                               "sg-xyz", "InvalidGroupId.Malformed"),
    "DescribeSubnets": ("SubnetId", "subnet-0111000000000a002", "subnetSet", "subnetId",
                        "subnet-0111000000000fff1", "InvalidSubnetID.NotFound", "subnet-1",
                        "InvalidSubnetID.Malformed"),
    "DescribeVpcs": ("VpcId", "vpc-0111000000000a001", "vpcSet", "vpcId",
                     "vpc-0111000000000fff1", "InvalidVpcID.NotFound", "vpc-0prod000000000001",
                     "InvalidVpcID.Malformed"),
    "DescribeVolumes": ("VolumeId", "vol-0111000000000a003", "volumeSet", "volumeId",
                        "vol-0111000000000fff1", "InvalidVolume.NotFound", "vol-XYZ",
                        "InvalidVolumeID.Malformed"),
    "DescribeImages": ("ImageId", "ami-0f1e2d3c4b5a69788", "imagesSet", "imageId",
                       "ami-0111000000000fff1", "InvalidAMIID.NotFound", "ami-12",
                       "InvalidAMIID.Malformed"),
    "DescribeSnapshots": ("SnapshotId", "snap-0111000000000a002", "snapshotSet", "snapshotId",
                          "snap-0111000000000fff1", "InvalidSnapshot.NotFound", "snap-",
                          "InvalidSnapshotID.Malformed"),
    "DescribeNatGateways": ("NatGatewayId", "nat-0a1b2c3d4e5f67890", "natGatewaySet",
                            "natGatewayId", "nat-0111000000000fff1", "NatGatewayNotFound",
                            "nat-zz", "NatGatewayMalformed"),
    "DescribeInternetGateways": ("InternetGatewayId", "igw-0111000000000a001",
                                 "internetGatewaySet", "internetGatewayId",
                                 "igw-0111000000000fff1", "InvalidInternetGatewayID.NotFound",
                                 "igw-nope", "InvalidInternetGatewayId.Malformed"),
    "DescribeVpcEndpoints": ("VpcEndpointId", "vpce-0111000000000a001", "vpcEndpointSet",
                             "vpcEndpointId", "vpce-0111000000000fff1",
                             "InvalidVpcEndpointId.NotFound", "vpce-1234567",
                             "InvalidVpcEndpointId.Malformed"),
    "DescribeTransitGateways": ("TransitGatewayIds", "tgw-0111000000000a001",
                                "transitGatewaySet", "transitGatewayId",
                                "tgw-0111000000000fff1", "InvalidTransitGatewayID.NotFound",
                                "tgw-g", "InvalidTransitGatewayID.Malformed"),
    "DescribeLaunchTemplates": ("LaunchTemplateId", "lt-0111000000000a001", "launchTemplates",
                                "launchTemplateId", "lt-0111000000000fff1",
                                "InvalidLaunchTemplateId.NotFound", "lt-0x",
                                "InvalidLaunchTemplateId.Malformed"),
}


class TestEc2Estate(AwsBase):
    def items(self, action, params=None, acct=PROD, region="eu-west-2"):
        st, _, body = ec2_call(self.port, self.creds(acct), region, action, params)
        self.assertEqual(st, 200, body)
        root = xml(body)
        self.assertEqual(root.tag, EC2 + action + "Response")
        self.assertTrue(root.find(EC2 + "requestId").text)
        return nsall(root, EC2_CASES[action][2] + "/item", EC2)

    def ids(self, action, params=None, **kw):
        idtag = EC2_CASES[action][3]
        return [i.find(EC2 + idtag).text for i in self.items(action, params, **kw)]

    def test_by_id_signed_and_refused(self):
        for action, (param, good, _, _, _, _, _, _) in EC2_CASES.items():
            with self.subTest(action=action):
                self.assertEqual(self.ids(action, {param + ".1": good}), [good])
                c = self.creds(PROD)
                st, _, body = ec2_call(self.port, (c[0], c[1] + "x", c[2]), "eu-west-2", action,
                                       {param + ".1": good})
                self.assertEqual((st, ec2_error_code(body)[0]), (401, "AuthFailure"))
                st, _, body = ec2_call(self.port, BASE, "eu-west-2", action)
                self.assertEqual((st, ec2_error_code(body)[0]), (403, "UnauthorizedOperation"))

    def test_not_found_and_malformed(self):
        for action, (param, good, _, _, unknown, nf, bad, mal) in EC2_CASES.items():
            with self.subTest(action=action):
                st, _, body = ec2_call(self.port, self.creds(PROD), "eu-west-2", action,
                                       {param + ".1": good, param + ".2": unknown})
                code, msg = ec2_error_code(body)
                self.assertEqual((st, code), (400, nf))
                if action != "DescribeLaunchTemplates":
                    self.assertIn(unknown, msg)
                st, _, body = ec2_call(self.port, self.creds(PROD), "eu-west-2", action,
                                       {param + ".1": unknown, param + ".2": bad})
                self.assertEqual((st, ec2_error_code(body)[0]), (400, mal))
        st, _, body = ec2_call(self.port, self.creds(PROD), "eu-west-2", "DescribeVpcs",
                               {"VpcId.1": "vpc-0111000000000fff1"})
        self.assertEqual(ec2_error_code(body),
                         ("InvalidVpcID.NotFound", "The vpc ID 'vpc-0111000000000fff1' does not "
                                                   "exist"))
        st, _, body = ec2_call(self.port, self.creds(PROD), "eu-west-2", "DescribeImages",
                               {"ImageId.1": "ami-0111000000000fff1"})
        self.assertEqual(ec2_error_code(body)[1],
                         "The image id '[ami-0111000000000fff1]' does not exist")

    def test_account_and_region_scope(self):
        st, _, body = ec2_call(self.port, self.creds(STAG), "eu-west-2", "DescribeSecurityGroups",
                               {"GroupId.1": "sg-0111000000000a001"})
        self.assertEqual(ec2_error_code(body)[0], "InvalidGroup.NotFound")
        st, _, body = ec2_call(self.port, self.creds(PROD), "us-east-1", "DescribeVpcs",
                               {"VpcId.1": "vpc-0111000000000a001"})
        self.assertEqual(ec2_error_code(body)[0], "InvalidVpcID.NotFound")
        self.assertEqual(self.ids("DescribeVpcs", region="us-east-1"), ["vpc-0111000000000b001"])
        st, _, body = ec2_call(self.port, self.creds(PROD), "eu-west-1", "DescribeVpcs")
        self.assertEqual((st, ec2_error_code(body)[0]), (401, "AuthFailure"))
        # The same 10.10.0.0/16 in two accounts: each sees its own.
        f = {"Filter.1.Name": "cidr", "Filter.1.Value.1": "10.10.0.0/16"}
        self.assertEqual(self.ids("DescribeVpcs", f), ["vpc-0111000000000a001"])
        self.assertEqual(self.ids("DescribeVpcs", f, acct=DEV), ["vpc-0333000000000a002"])

    def test_security_group_filters(self):
        def sgs(*filters, **extra):
            p = dict(extra)
            for i, (name, vals) in enumerate(filters, 1):
                p["Filter.%d.Name" % i] = name
                for j, v in enumerate(vals, 1):
                    p["Filter.%d.Value.%d" % (i, j)] = v
            return set(self.ids("DescribeSecurityGroups", p))
        web, db, alb, dflt = ("sg-0111000000000a00%d" % k for k in (1, 2, 3, 0))
        self.assertEqual(sgs(("group-id", [web, db])), {web, db})
        self.assertEqual(sgs(("group-name", ["prod-*-sg"])), {web, db, alb})
        self.assertEqual(sgs(("group-name", ["default"])), {dflt})
        # tag filters are case-sensitive; several values are OR-ed (how a
        # case-insensitive Name search is sent).
        self.assertEqual(sgs(("tag:Name", ["*prod-web*"])), set())
        self.assertEqual(sgs(("tag:Name", ["*prod-web*", "*Prod-Web*", "*PROD-WEB*"])), {web})
        self.assertEqual(sgs(("tag:Name", ["*Prod-??-SG"])), {db})
        self.assertEqual(sgs(("tag:Name", ["Prod-\\*"])), set())
        self.assertEqual(sgs(("vpc-id", ["vpc-0111000000000a001"]), ("tag-key", ["Environment"])),
                         {web, db})
        self.assertEqual(sgs(("ip-permission.group-id", [alb])), {web})
        self.assertEqual(sgs(("ip-permission.cidr", ["0.0.0.0/0"])), {alb})
        self.assertEqual(sgs(**{"GroupName.1": "prod-db-sg"}), {db})
        st, _, body = ec2_call(self.port, self.creds(PROD), "eu-west-2", "DescribeSecurityGroups",
                               {"GroupName.1": "nope-sg"})
        self.assertEqual(ec2_error_code(body)[0], "InvalidGroup.NotFound")
        st, _, body = ec2_call(self.port, self.creds(PROD), "eu-west-2", "DescribeSecurityGroups",
                               {"Filter.1.Name": "bogus", "Filter.1.Value.1": "x"})
        self.assertEqual((st, ec2_error_code(body)[0]), (400, "InvalidParameterValue"))
        # An unknown filter is refused even where the region has none of the kind.
        st, _, body = ec2_call(self.port, self.creds(DEV), "us-west-2", "DescribeNatGateways",
                               {"Filter.1.Name": "bogus", "Filter.1.Value.1": "x"})
        self.assertEqual((st, ec2_error_code(body)[0]), (400, "InvalidParameterValue"))

    def test_other_filters(self):
        def one(action, name, vals, **kw):
            p = {"Filter.1.Name": name}
            for j, v in enumerate(vals, 1):
                p["Filter.1.Value.%d" % j] = v
            return self.ids(action, p, **kw)
        cases = [
            ("DescribeSubnets", "vpc-id", ["vpc-0111000000000a001"],
             ["subnet-0111000000000a001", "subnet-0111000000000a002", "subnet-0111000000000a003"]),
            ("DescribeSubnets", "cidr-block", ["10.10.3.0/24"], ["subnet-0111000000000a003"]),
            ("DescribeSubnets", "ipv6-cidr-block-association.ipv6-cidr-block",
             ["2a05:d01c:abc:1002::/64"], ["subnet-0111000000000a002"]),
            ("DescribeSubnets", "tag:Name", ["prod-public-*"],
             ["subnet-0111000000000a001", "subnet-0111000000000a002"]),
            ("DescribeSubnets", "availability-zone", ["eu-west-2c"], ["subnet-0111000000000a003"]),
            ("DescribeVpcs", "cidr-block-association.cidr-block", ["10.11.0.0/16"],
             ["vpc-0111000000000a001"]),
            ("DescribeVpcs", "ipv6-cidr-block-association.ipv6-cidr-block",
             ["2a05:d01c:abc:1000::/56"], ["vpc-0111000000000a001"]),
            ("DescribeVpcs", "tag:Name", ["prod-vpc"], ["vpc-0111000000000a001"]),
            ("DescribeVolumes", "attachment.instance-id", ["i-0a1b2c3d4e5f60003"],
             ["vol-0111000000000a003"]),
            ("DescribeVolumes", "status", ["available"], ["vol-0111000000000a004"]),
            ("DescribeVolumes", "tag:Name", ["*Backup*"], ["vol-0111000000000a004"]),
            ("DescribeImages", "owner-id", [PROD], ["ami-0f1e2d3c4b5a69788"]),
            ("DescribeImages", "name", ["prod-web-golden-*"], ["ami-0f1e2d3c4b5a69788"]),
            ("DescribeSnapshots", "volume-id", ["vol-0111000000000a003"],
             ["snap-0111000000000a002"]),
            ("DescribeSnapshots", "owner-id", [PROD],
             ["snap-0111000000000a001", "snap-0111000000000a002"]),
            ("DescribeNatGateways", "vpc-id", ["vpc-0111000000000a001"],
             ["nat-0a1b2c3d4e5f67890"]),
            ("DescribeNatGateways", "tag:Name", ["prod-nat-?"], ["nat-0a1b2c3d4e5f67890"]),
            ("DescribeInternetGateways", "attachment.vpc-id", ["vpc-0111000000000a001"],
             ["igw-0111000000000a001"]),
            ("DescribeVpcEndpoints", "service-name", ["com.amazonaws.eu-west-2.s3"],
             ["vpce-0111000000000a002"]),
            ("DescribeVpcEndpoints", "vpc-endpoint-type", ["Interface"],
             ["vpce-0111000000000a001"]),
            ("DescribeTransitGateways", "tag:Name", ["Prod-TGW"], ["tgw-0111000000000a001"]),
            ("DescribeTransitGateways", "transit-gateway-id", ["tgw-0111000000000a001"],
             ["tgw-0111000000000a001"]),
            ("DescribeLaunchTemplates", "launch-template-name", ["prod-web-*"],
             ["lt-0111000000000a001"]),
            ("DescribeLaunchTemplates", "tag:Name", ["nope"], []),
        ]
        for action, name, vals, want in cases:
            with self.subTest(action=action, name=name):
                self.assertEqual(one(action, name, vals), want)
        self.assertEqual(self.ids("DescribeLaunchTemplates",
                                  {"LaunchTemplateName.1": "prod-web-lt"}),
                         ["lt-0111000000000a001"])
        st, _, body = ec2_call(self.port, self.creds(PROD), "eu-west-2",
                               "DescribeLaunchTemplates", {"LaunchTemplateName.1": "nope"})
        self.assertEqual(ec2_error_code(body)[0], "InvalidLaunchTemplateName.NotFoundException")

    def test_images_and_snapshots_owner(self):
        ami = "ami-0f1e2d3c4b5a69788"
        # Shared with staging and dev by launch permission: visible by ID,
        # not under Owner=self.
        for acct in (STAG, DEV):
            items = self.items("DescribeImages", {"ImageId.1": ami}, acct=acct)
            self.assertEqual(nstext(items[0], "imageOwnerId", EC2), PROD)
            self.assertEqual(self.ids("DescribeImages", {"Owner.1": "self"}, acct=acct), [])
        self.assertEqual(self.ids("DescribeImages", {"Owner.1": "self"}), [ami])
        self.assertEqual(self.ids("DescribeImages", {"Owner.1": PROD}, acct=STAG), [ami])
        self.assertEqual(self.ids("DescribeImages", {"ExecutableBy.1": "self"}, acct=STAG), [ami])
        self.assertEqual(self.ids("DescribeImages", {"ExecutableBy.1": "all"}), [])
        st, _, body = ec2_call(self.port, self.creds(DEV), "us-west-2", "DescribeImages",
                               {"ImageId.1": ami})
        self.assertEqual(ec2_error_code(body)[0], "InvalidAMIID.NotFound")
        self.assertEqual(self.ids("DescribeSnapshots", {"Owner.1": "self"}),
                         ["snap-0111000000000a001", "snap-0111000000000a002"])
        self.assertEqual(self.ids("DescribeSnapshots", {"Owner.1": "self"}, acct=STAG), [])
        self.assertEqual(self.ids("DescribeSnapshots", {"Owner.1": "self"}, acct=DEV,
                                  region="us-west-2"), ["snap-0333000000000d001"])

    def test_paging(self):
        c = self.creds(PROD)
        seen, token = [], None
        for _ in range(5):
            p = {"MaxResults": "1"}
            if token:
                p["NextToken"] = token
            st, _, body = ec2_call(self.port, c, "eu-west-2", "DescribeVpcEndpoints", p)
            self.assertEqual(st, 200, body)
            seen += [e.text for e in xml(body).iter(EC2 + "vpcEndpointId")]
            tok = xml(body).find(EC2 + "nextToken")
            if tok is None:
                break
            token = tok.text
        self.assertEqual(seen, ["vpce-0111000000000a001", "vpce-0111000000000a002"])
        st, _, body = ec2_call(self.port, c, "eu-west-2", "DescribeSecurityGroups",
                               {"MaxResults": "4"})
        self.assertEqual((st, ec2_error_code(body)[0]), (400, "InvalidParameterValue"))
        st, _, body = ec2_call(self.port, c, "eu-west-2", "DescribeLaunchTemplates",
                               {"MaxResults": "201"})
        self.assertEqual((st, ec2_error_code(body)[0]), (400, "InvalidParameterValue"))
        st, _, body = ec2_call(self.port, c, "eu-west-2", "DescribeVpcEndpoints",
                               {"MaxResults": "1", "NextToken": "bm9wZQ=="})
        self.assertEqual((st, ec2_error_code(body)[0]), (400, "InvalidPaginationToken"))

    def test_shapes_follow_samples(self):
        pairs = [("DescribeSecurityGroups", "sg-0111000000000a001",
                  "ec2-describe-security-groups.botocore.xml", "securityGroupInfo"),
                 ("DescribeSubnets", "subnet-0111000000000a001",
                  "ec2-describe-subnets.botocore.xml", "subnetSet"),
                 ("DescribeVpcs", "vpc-0111000000000a001", "ec2-describe-vpcs.botocore.xml",
                  "vpcSet"),
                 ("DescribeVolumes", "vol-0111000000000a001", "ec2-describe-volumes.botocore.xml",
                  "volumeSet"),
                 ("DescribeSnapshots", "snap-0111000000000a002",
                  "ec2-describe-snapshots.botocore.xml", "snapshotSet"),
                 ("DescribeNatGateways", "nat-0a1b2c3d4e5f67890",
                  "ec2-describe-nat-gateways.awsdocs.xml", "natGatewaySet"),
                 ("DescribeVpcEndpoints", "vpce-0111000000000a001",
                  "ec2-describe-vpc-endpoints.awsdocs.xml", "vpcEndpointSet")]
        for action, rid, sample, set_name in pairs:
            with self.subTest(action=action):
                ours = self.items(action, {EC2_CASES[action][0] + ".1": rid})[0]
                ref = ET.parse(os.path.join(XML_DIR, sample)).getroot()
                self.assertEqual(local(ref.tag), action + "Response")
                theirs = [e for e in ref if local(e.tag) == set_name][0]
                same_order(self, ours, theirs[0] if action != "DescribeVpcEndpoints"
                           else theirs[1], 4)
        # Images: the sample is botocore's parse (JSON); every member it has
        # but the kernel (paravirtual only), we send under its wire name.
        doc = json.loads(read(os.path.join(XML_DIR, "ec2-describe-images.example-output."
                                                    "botocore.json")))
        img = self.items("DescribeImages", {"ImageId.1": "ami-0f1e2d3c4b5a69788"})[0]
        have = {local(e.tag) for e in img}
        wire = {"BlockDeviceMappings": "blockDeviceMapping", "OwnerId": "imageOwnerId",
                "State": "imageState", "Public": "isPublic"}
        for key in doc["Images"][0]:
            if key != "KernelId":
                self.assertIn(wire.get(key, key[0].lower() + key[1:]), have)
        ebs = nsf(img, "blockDeviceMapping/item/ebs", EC2)
        self.assertEqual({local(e.tag) for e in ebs},
                         {k[0].lower() + k[1:] for k in doc["Images"][0][
                             "BlockDeviceMappings"][0]["Ebs"]} | {"encrypted"})

    def test_nested_fields(self):
        v = self.items("DescribeVolumes", {"VolumeId.1": "vol-0111000000000a003"})[0]
        self.assertEqual([(nstext(a, "instanceId", EC2), nstext(a, "device", EC2),
                           nstext(a, "status", EC2), nstext(a, "deleteOnTermination", EC2))
                          for a in nsall(v, "attachmentSet/item", EC2)],
                         [("i-0a1b2c3d4e5f60003", "/dev/sdf", "attached", "false")])
        self.assertEqual(nstext(v, "status", EC2), "in-use")
        tags = {nstext(t, "key", EC2): nstext(t, "value", EC2)
                for t in nsall(v, "tagSet/item", EC2)}
        self.assertEqual(tags, {"Name": "prod-db-1-data", "Backup": "nightly"})
        vpc = self.items("DescribeVpcs", {"VpcId.1": "vpc-0111000000000a001"})[0]
        self.assertEqual([nstext(a, "cidrBlock", EC2)
                          for a in nsall(vpc, "cidrBlockAssociationSet/item", EC2)],
                         ["10.10.0.0/16", "10.11.0.0/16"])
        self.assertEqual([(nstext(a, "ipv6CidrBlock", EC2),
                           nstext(a, "ipv6CidrBlockState/state", EC2))
                          for a in nsall(vpc, "ipv6CidrBlockAssociationSet/item", EC2)],
                         [("2a05:d01c:abc:1000::/56", "associated")])
        sub = self.items("DescribeSubnets", {"SubnetId.1": "subnet-0111000000000a003"})[0]
        self.assertEqual([nstext(a, "ipv6CidrBlock", EC2)
                          for a in nsall(sub, "ipv6CidrBlockAssociationSet/item", EC2)],
                         ["2a05:d01c:abc:1003::/64"])
        self.assertEqual(nstext(sub, "cidrBlock", EC2), "10.10.3.0/24")
        self.assertEqual(nstext(sub, "availableIpAddressCount", EC2), "248")
        sg = self.items("DescribeSecurityGroups", {"GroupId.1": "sg-0111000000000a001"})[0]
        perms = nsall(sg, "ipPermissions/item", EC2)
        self.assertEqual([(nstext(p, "ipProtocol", EC2), nstext(p, "fromPort", EC2),
                           [nstext(g, "groupId", EC2) for g in nsall(p, "groups/item", EC2)],
                           [nstext(r, "cidrIp", EC2) for r in nsall(p, "ipRanges/item", EC2)])
                          for p in perms],
                         [("tcp", "80", ["sg-0111000000000a003"], []),
                          ("tcp", "22", [], ["10.10.0.0/16"])])
        self.assertEqual(nstext(sg, "ipPermissionsEgress/item/ipProtocol", EC2), "-1")
        self.assertIsNone(nsf(sg, "ipPermissionsEgress/item/fromPort", EC2))
        nat = self.items("DescribeNatGateways")[0]
        self.assertEqual((nstext(nat, "natGatewayAddressSet/item/networkInterfaceId", EC2),
                          nstext(nat, "natGatewayAddressSet/item/privateIp", EC2),
                          nstext(nat, "natGatewayAddressSet/item/publicIp", EC2)),
                         ("eni-0e1b000000000a002", "10.10.0.5", "18.130.0.5"))
        vpce = self.items("DescribeVpcEndpoints", {"VpcEndpointId.1": "vpce-0111000000000a001"})[0]
        self.assertEqual([e.text for e in nsall(vpce, "networkInterfaceIdSet/item", EC2)],
                         ["eni-0e1b000000000a010"])
        self.assertEqual(len(nsall(vpce, "dnsEntrySet/item", EC2)), 3)
        igw = self.items("DescribeInternetGateways")[0]
        self.assertEqual(nstext(igw, "attachmentSet/item/vpcId", EC2), "vpc-0111000000000a001")

    def test_instances_show_groups_and_volumes(self):
        st, _, body = describe(self.port, self.creds(PROD), "eu-west-2",
                               ids=["i-0a1b2c3d4e5f60001"])
        it = xml(body).find(".//" + EC2 + "instancesSet/" + EC2 + "item")
        self.assertEqual([(nstext(g, "groupId", EC2), nstext(g, "groupName", EC2))
                          for g in nsall(it, "groupSet/item", EC2)],
                         [("sg-0111000000000a001", "prod-web-sg")])
        self.assertEqual([(nstext(b, "deviceName", EC2), nstext(b, "ebs/volumeId", EC2))
                          for b in nsall(it, "blockDeviceMapping/item", EC2)],
                         [("/dev/xvda", "vol-0111000000000a001")])
        eni = nsf(it, "networkInterfaceSet/item", EC2)
        self.assertEqual(nstext(eni, "groupSet/item/groupId", EC2), "sg-0111000000000a001")
        # An instance without explicit groups is in its VPC's default group.
        st, _, body = describe(self.port, self.creds(DEV), "eu-west-2",
                               ids=["i-0c3d4e5f6a7b80009"])
        it = xml(body).find(".//" + EC2 + "instancesSet/" + EC2 + "item")
        sg = nstext(it, "groupSet/item/groupId", EC2)
        self.assertEqual(nstext(it, "groupSet/item/groupName", EC2), "default")
        self.assertEqual(self.ids("DescribeSecurityGroups", {"GroupId.1": sg}, acct=DEV), [sg])


# ---------------------------------------------------------------------------
# Elastic Load Balancing v2 and classic
# ---------------------------------------------------------------------------

class TestElbV2(AwsBase):
    def call(self, action, params=None, acct=PROD, **kw):
        return api_call(self.port, self.creds(acct), "elbv2", action, params, **kw)

    def ok(self, action, params=None, acct=PROD):
        st, h, body = self.call(action, params, acct)
        self.assertEqual(st, 200, body)
        self.assertTrue(h["Content-Type"].startswith("text/xml"))
        root = xml(body)
        self.assertEqual(root.tag, ELB2 + action + "Response")
        self.assertTrue(nstext(root, "ResponseMetadata/RequestId", ELB2))
        return nsf(root, action + "Result", ELB2)

    def err(self, action, params=None, acct=PROD, **kw):
        st, _, body = self.call(action, params, acct, **kw)
        return (st,) + query_error_code(body, ELB2)

    def test_describe_load_balancers(self):
        res = self.ok("DescribeLoadBalancers")
        lbs = nsall(res, "LoadBalancers/member", ELB2)
        self.assertEqual([nstext(b, "LoadBalancerName", ELB2) for b in lbs],
                         ["prod-alb", "prod-nlb"])
        alb, nlb = lbs
        self.assertEqual(nstext(alb, "LoadBalancerArn", ELB2), ALB_ARN)
        self.assertEqual(nstext(alb, "DNSName", ELB2),
                         "prod-alb-1234567890.eu-west-2.elb.amazonaws.com")
        self.assertEqual(nstext(alb, "CanonicalHostedZoneId", ELB2), "ZHURV8PSTC4K8")
        self.assertEqual((nstext(alb, "Type", ELB2), nstext(alb, "Scheme", ELB2),
                          nstext(alb, "State/Code", ELB2)),
                         ("application", "internet-facing", "active"))
        self.assertEqual([nstext(z, "ZoneName", ELB2)
                          for z in nsall(alb, "AvailabilityZones/member", ELB2)],
                         ["eu-west-2a", "eu-west-2b"])
        self.assertEqual((nstext(nlb, "Type", ELB2), nstext(nlb, "DNSName", ELB2)),
                         ("network", "prod-nlb-7d1e3f5a9b2c4e68.elb.eu-west-2.amazonaws.com"))
        ref = ET.parse(os.path.join(XML_DIR, "elbv2-describe-load-balancers.awsdocs.xml"))
        same_order(self, alb, nsf(ref.getroot(), "DescribeLoadBalancersResult/LoadBalancers/"
                                                 "member", ELB2), 10)
        # By name, by ARN; unknown; both at once.
        res = self.ok("DescribeLoadBalancers", {"Names.member.1": "prod-nlb"})
        self.assertEqual(nstext(res, "LoadBalancers/member/LoadBalancerArn", ELB2), NLB_ARN)
        res = self.ok("DescribeLoadBalancers", {"LoadBalancerArns.member.1": ALB_ARN})
        self.assertEqual(nstext(res, "LoadBalancers/member/LoadBalancerName", ELB2), "prod-alb")
        self.assertEqual(self.err("DescribeLoadBalancers", {"Names.member.1": "prod-alb",
                                                            "Names.member.2": "nope"}),
                         (400, "LoadBalancerNotFound", "One or more load balancers not found"))
        self.assertEqual(self.err("DescribeLoadBalancers", {"Names.member.1": "prod-alb"},
                                  acct=STAG)[:2], (400, "LoadBalancerNotFound"))
        self.assertEqual(self.err("DescribeLoadBalancers", {"Names.member.1": "prod-alb",
                                                            "LoadBalancerArns.member.1": ALB_ARN}
                                  )[:2], (400, "ValidationError"))

    def test_paging_and_signing(self):
        res = self.ok("DescribeLoadBalancers", {"PageSize": "1"})
        marker = nstext(res, "NextMarker", ELB2)
        self.assertTrue(marker)
        res = self.ok("DescribeLoadBalancers", {"PageSize": "1", "Marker": marker})
        self.assertEqual(nstext(res, "LoadBalancers/member/LoadBalancerName", ELB2), "prod-nlb")
        self.assertIsNone(nsf(res, "NextMarker", ELB2))
        self.assertEqual(self.err("DescribeLoadBalancers", {"PageSize": "401"})[:2],
                         (400, "ValidationError"))
        self.assertEqual(self.err("DescribeLoadBalancers", {"Marker": "bogus"})[:2],
                         (400, "ValidationError"))
        c = self.creds(PROD)
        for action in ("DescribeLoadBalancers", "DescribeListeners", "DescribeTargetGroups",
                       "DescribeTargetHealth"):
            with self.subTest(action=action):
                st, _, body = api_call(self.port, (c[0], c[1] + "x", c[2]), "elbv2", action,
                                       {"LoadBalancerArn": ALB_ARN})
                self.assertEqual((st,) + query_error_code(body, ELB2)[:1],
                                 (403, "SignatureDoesNotMatch"))
                st, _, body = api_call(self.port, BASE, "elbv2", action)
                self.assertEqual((st,) + query_error_code(body, ELB2)[:1], (403, "AccessDenied"))
        st, _, body = api_call(self.port, c, "elbv2", "DescribeLoadBalancers", region="eu-west-1")
        self.assertEqual((st,) + query_error_code(body, ELB2)[:1], (403, "InvalidClientTokenId"))

    def test_listeners(self):
        res = self.ok("DescribeListeners", {"LoadBalancerArn": ALB_ARN})
        ls = nsall(res, "Listeners/member", ELB2)
        self.assertEqual([(nstext(x, "Protocol", ELB2), nstext(x, "Port", ELB2)) for x in ls],
                         [("HTTPS", "443"), ("HTTP", "80")])
        self.assertEqual(nstext(ls[0], "DefaultActions/member/TargetGroupArn", ELB2), WEB_TG_ARN)
        self.assertTrue(nstext(ls[0], "Certificates/member/CertificateArn", ELB2)
                        .startswith("arn:aws:acm:eu-west-2:"))
        self.assertEqual((nstext(ls[1], "DefaultActions/member/Type", ELB2),
                          nstext(ls[1], "DefaultActions/member/RedirectConfig/StatusCode", ELB2)),
                         ("redirect", "HTTP_301"))
        arn = nstext(ls[1], "ListenerArn", ELB2)
        self.assertTrue(arn.startswith("arn:aws:elasticloadbalancing:eu-west-2:%s:listener/app/"
                                       "prod-alb/50dc6c495c0c9188/" % PROD))
        res = self.ok("DescribeListeners", {"ListenerArns.member.1": arn})
        self.assertEqual(len(nsall(res, "Listeners/member", ELB2)), 1)
        self.assertEqual(self.err("DescribeListeners", {"LoadBalancerArn": ALB_ARN + "0"})[:2],
                         (400, "LoadBalancerNotFound"))
        self.assertEqual(self.err("DescribeListeners", {"ListenerArns.member.1": arn + "0"})[:2],
                         (400, "ListenerNotFound"))
        self.assertEqual(self.err("DescribeListeners")[:2], (400, "ValidationError"))

    def test_target_groups(self):
        res = self.ok("DescribeTargetGroups", {"LoadBalancerArn": ALB_ARN})
        tgs = nsall(res, "TargetGroups/member", ELB2)
        self.assertEqual([nstext(t, "TargetGroupArn", ELB2) for t in tgs], [WEB_TG_ARN])
        self.assertEqual(nstext(tgs[0], "LoadBalancerArns/member", ELB2), ALB_ARN)
        self.assertEqual(nstext(tgs[0], "HealthCheckPath", ELB2), "/health")
        ref = ET.parse(os.path.join(XML_DIR, "elbv2-describe-target-groups.awsdocs.xml"))
        same_order(self, tgs[0], nsf(ref.getroot(), "DescribeTargetGroupsResult/TargetGroups/"
                                                    "member", ELB2), 12)
        res = self.ok("DescribeTargetGroups", {"Names.member.1": "prod-db-tg"})
        self.assertEqual(nstext(res, "TargetGroups/member/Protocol", ELB2), "TCP")
        self.assertEqual(len(nsall(self.ok("DescribeTargetGroups"), "TargetGroups/member", ELB2)),
                         2)
        self.assertEqual(self.err("DescribeTargetGroups", {"Names.member.1": "nope"}),
                         (400, "TargetGroupNotFound", "One or more target groups not found"))
        self.assertEqual(self.err("DescribeTargetGroups", {"LoadBalancerArn": "arn:x"})[:2],
                         (400, "LoadBalancerNotFound"))

    def test_target_health(self):
        res = self.ok("DescribeTargetHealth", {"TargetGroupArn": WEB_TG_ARN})
        ths = nsall(res, "TargetHealthDescriptions/member", ELB2)
        got = [(nstext(t, "Target/Id", ELB2), nstext(t, "Target/Port", ELB2),
                nstext(t, "TargetHealth/State", ELB2), nstext(t, "TargetHealth/Reason", ELB2),
                nstext(t, "TargetHealth/Description", ELB2)) for t in ths]
        self.assertEqual(got, [("i-0a1b2c3d4e5f60001", "80", "healthy", None, None),
                               ("i-0a1b2c3d4e5f60002", "80", "unhealthy",
                                "Target.ResponseCodeMismatch",
                                "Health checks failed with these codes: [502]")])
        ref = ET.parse(os.path.join(XML_DIR, "elbv2-describe-target-health.awsdocs.xml"))
        same_order(self, ths[0], nsf(ref.getroot(), "DescribeTargetHealthResult/"
                                                    "TargetHealthDescriptions/member", ELB2), 3)
        res = self.ok("DescribeTargetHealth", {"TargetGroupArn": WEB_TG_ARN,
                                               "Targets.member.1.Id": "i-0a1b2c3d4e5f60002",
                                               "Targets.member.2.Id": "i-0a1b2c3d4e5f60003"})
        self.assertEqual([(nstext(t, "Target/Id", ELB2), nstext(t, "TargetHealth/State", ELB2))
                          for t in nsall(res, "TargetHealthDescriptions/member", ELB2)],
                         [("i-0a1b2c3d4e5f60002", "unhealthy"),
                          ("i-0a1b2c3d4e5f60003", "unused")])
        self.assertEqual(self.err("DescribeTargetHealth", {"TargetGroupArn": WEB_TG_ARN + "0"}
                                  )[:2], (400, "TargetGroupNotFound"))
        self.assertEqual(self.err("DescribeTargetHealth")[:2], (400, "ValidationError"))


class TestElbClassic(AwsBase):
    def call(self, action, params=None, acct=PROD, **kw):
        return api_call(self.port, self.creds(acct), "elb", action, params, **kw)

    def test_describe_load_balancers(self):
        st, _, body = self.call("DescribeLoadBalancers")
        self.assertEqual(st, 200, body)
        root = xml(body)
        self.assertEqual(root.tag, ELB + "DescribeLoadBalancersResponse")
        lbs = nsall(root, "DescribeLoadBalancersResult/LoadBalancerDescriptions/member", ELB)
        self.assertEqual([nstext(b, "LoadBalancerName", ELB) for b in lbs], ["prod-legacy"])
        b = lbs[0]
        self.assertEqual(nstext(b, "DNSName", ELB),
                         "prod-legacy-987654321.eu-west-2.elb.amazonaws.com")
        self.assertEqual([nstext(i, "InstanceId", ELB) for i in nsall(b, "Instances/member", ELB)],
                         ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"])
        self.assertEqual(nstext(b, "ListenerDescriptions/member/Listener/InstancePort", ELB), "80")
        ref = ET.parse(os.path.join(XML_DIR, "elb-describe-load-balancers.awsdocs.xml"))
        same_order(self, b, nsf(ref.getroot(), "DescribeLoadBalancersResult/"
                                               "LoadBalancerDescriptions/member", ELB), 15)
        st, _, body = self.call("DescribeLoadBalancers",
                                {"LoadBalancerNames.member.1": "prod-legacy"})
        self.assertEqual(st, 200)
        st, _, body = self.call("DescribeLoadBalancers",
                                {"LoadBalancerNames.member.1": "foobar"})
        self.assertEqual((st,) + query_error_code(body, ELB),
                         (400, "LoadBalancerNotFound", "Cannot find Load Balancer foobar"))
        ref = ET.parse(os.path.join(XML_DIR, "elb-describe-load-balancers.error-"
                                             "loadbalancernotfound.botocore.xml"))
        self.assertEqual([e.tag for e in xml(body).iter()], [e.tag for e in ref.iter()])
        # The same action under ELBv2's Version is ELBv2.
        st, _, body = api_call(self.port, self.creds(PROD), "elbv2", "DescribeLoadBalancers")
        self.assertEqual(xml(body).tag, ELB2 + "DescribeLoadBalancersResponse")
        st, _, body = api_call(self.port, self.creds(PROD), "elb", "DescribeLoadBalancers",
                               {"Version": "2099-01-01"})
        self.assertEqual((st, query_error_code(body, ELB2)[0]), (400, "InvalidAction"))
        c = self.creds(PROD)
        st, _, body = api_call(self.port, (c[0], c[1] + "x", c[2]), "elb",
                               "DescribeLoadBalancers")
        self.assertEqual((st, query_error_code(body, ELB)[0]), (403, "SignatureDoesNotMatch"))

    def test_paging(self):
        port = SERVERS["big"].port
        st, c = assume(port, STAG)
        names, marker = [], None
        for _ in range(5):
            p = {"PageSize": "2"}
            if marker:
                p["Marker"] = marker
            st, _, body = api_call(port, creds3(c), "elb", "DescribeLoadBalancers", p,
                                   region="eu-west-1")
            self.assertEqual(st, 200, body)
            res = nsf(xml(body), "DescribeLoadBalancersResult", ELB)
            names += [e.text for e in res.iter(ELB + "LoadBalancerName")]
            marker = nstext(res, "NextMarker", ELB)
            if not marker:
                break
        self.assertEqual(names, ["clb-0", "clb-1", "clb-2"])

    def test_instance_health(self):
        st, _, body = self.call("DescribeInstanceHealth", {"LoadBalancerName": "prod-legacy"})
        self.assertEqual(st, 200, body)
        states = nsall(xml(body), "DescribeInstanceHealthResult/InstanceStates/member", ELB)
        self.assertEqual([(nstext(s, "InstanceId", ELB), nstext(s, "State", ELB),
                           nstext(s, "ReasonCode", ELB)) for s in states],
                         [("i-0a1b2c3d4e5f60001", "InService", "N/A"),
                          ("i-0a1b2c3d4e5f60002", "OutOfService", "Instance")])
        st, _, body = self.call("DescribeInstanceHealth",
                                {"LoadBalancerName": "prod-legacy",
                                 "Instances.member.1.InstanceId": "i-0a1b2c3d4e5f60002"})
        self.assertEqual(len(nsall(xml(body), "DescribeInstanceHealthResult/InstanceStates/"
                                              "member", ELB)), 1)
        st, _, body = self.call("DescribeInstanceHealth", {"LoadBalancerName": "nope"})
        self.assertEqual((st,) + query_error_code(body, ELB)[:1], (400, "LoadBalancerNotFound"))
        st, _, body = self.call("DescribeInstanceHealth",
                                {"LoadBalancerName": "prod-legacy",
                                 "Instances.member.1.InstanceId": "i-0123456789abcdef0"})
        self.assertEqual((st,) + query_error_code(body, ELB)[:1], (400, "InvalidInstance"))


# ---------------------------------------------------------------------------
# RDS and Auto Scaling
# ---------------------------------------------------------------------------

class TestRds(AwsBase):
    def call(self, action, params=None, acct=PROD, port=None, creds=None, region="eu-west-2"):
        return api_call(port or self.port, creds or self.creds(acct), "rds", action, params,
                        region=region)

    def ids(self, action, params=None, **kw):
        st, _, body = self.call(action, params, **kw)
        self.assertEqual(st, 200, body)
        tag = "DBInstanceIdentifier" if action == "DescribeDBInstances" else "DBClusterIdentifier"
        item = "DBInstance" if action == "DescribeDBInstances" else "DBCluster"
        return [nstext(d, tag, RDS) for d in nsall(xml(body), "%sResult/%ss/%s" % (
            action, item, item), RDS)]

    def test_db_instances(self):
        self.assertEqual(self.ids("DescribeDBInstances"),
                         ["prod-orders-db", "prod-aurora-1", "prod-aurora-2"])
        st, _, body = self.call("DescribeDBInstances", {"DBInstanceIdentifier": "prod-orders-db"})
        d = nsf(xml(body), "DescribeDBInstancesResult/DBInstances/DBInstance", RDS)
        self.assertEqual((nstext(d, "Endpoint/Address", RDS), nstext(d, "Endpoint/Port", RDS),
                          nstext(d, "Engine", RDS), nstext(d, "EngineVersion", RDS),
                          nstext(d, "DBInstanceClass", RDS), nstext(d, "MultiAZ", RDS),
                          nstext(d, "DBInstanceStatus", RDS)),
                         ("prod-orders-db.c1k2m3n4p5q6.eu-west-2.rds.amazonaws.com", "5432",
                          "postgres", "15.4", "db.r6g.large", "true", "available"))
        self.assertEqual(nstext(d, "DBInstanceArn", RDS),
                         "arn:aws:rds:eu-west-2:%s:db:prod-orders-db" % PROD)
        self.assertEqual(nstext(d, "DBSubnetGroup/VpcId", RDS), "vpc-0111000000000a001")
        ref = ET.parse(os.path.join(XML_DIR, "rds-describe-db-instances.botocore.xml"))
        same_order(self, d, ref.getroot().find(".//{http://rds.amazonaws.com/doc/2013-05-15/}"
                                               "DBInstance"), 20)
        # By ARN, case-insensitively, by filter; cluster members.
        self.assertEqual(self.ids("DescribeDBInstances", {
            "DBInstanceIdentifier": "arn:aws:rds:eu-west-2:%s:db:prod-aurora-2" % PROD}),
            ["prod-aurora-2"])
        self.assertEqual(self.ids("DescribeDBInstances", {"DBInstanceIdentifier":
                                                          "PROD-Orders-DB"}), ["prod-orders-db"])
        self.assertEqual(self.ids("DescribeDBInstances", {
            "Filters.Filter.1.Name": "db-cluster-id",
            "Filters.Filter.1.Values.Value.1": "prod-aurora"}), ["prod-aurora-1", "prod-aurora-2"])
        self.assertEqual(self.ids("DescribeDBInstances", {
            "Filters.Filter.1.Name": "db-instance-id",
            "Filters.Filter.1.Values.Value.1": "prod-orders-db",
            "Filters.Filter.1.Values.Value.2": "nope"}), ["prod-orders-db"])
        self.assertEqual(self.ids("DescribeDBInstances", {
            "Filters.Filter.1.Name": "db-instance-id",
            "Filters.Filter.1.Values.Value.1": "nope"}), [])
        st, _, body = self.call("DescribeDBInstances", {"DBInstanceIdentifier": "foobar"})
        self.assertEqual((st,) + query_error_code(body, RDS),
                         (404, "DBInstanceNotFound", "DBInstance foobar not found."))
        ref = ET.parse(os.path.join(XML_DIR, "rds-describe-db-instances.error-"
                                             "dbinstancenotfound.botocore.xml"))
        self.assertEqual([local(e.tag) for e in xml(body).iter()],
                         [local(e.tag) for e in ref.iter()])
        st, _, body = self.call("DescribeDBInstances", {"DBInstanceIdentifier": "prod-orders-db"},
                                acct=STAG)
        self.assertEqual((st, query_error_code(body, RDS)[0]), (404, "DBInstanceNotFound"))
        st, _, body = self.call("DescribeDBInstances", {"Filters.Filter.1.Name": "bogus",
                                                        "Filters.Filter.1.Values.Value.1": "x"})
        self.assertEqual((st, query_error_code(body, RDS)[0]), (400, "InvalidParameterValue"))

    def test_db_clusters(self):
        self.assertEqual(self.ids("DescribeDBClusters"), ["prod-aurora"])
        st, _, body = self.call("DescribeDBClusters", {"DBClusterIdentifier": "prod-aurora"})
        c = nsf(xml(body), "DescribeDBClustersResult/DBClusters/DBCluster", RDS)
        self.assertEqual([(nstext(m, "DBInstanceIdentifier", RDS),
                           nstext(m, "IsClusterWriter", RDS))
                          for m in nsall(c, "DBClusterMembers/DBClusterMember", RDS)],
                         [("prod-aurora-1", "true"), ("prod-aurora-2", "false")])
        self.assertEqual((nstext(c, "Endpoint", RDS), nstext(c, "ReaderEndpoint", RDS),
                          nstext(c, "Port", RDS)),
                         ("prod-aurora.cluster-c1k2m3n4p5q6.eu-west-2.rds.amazonaws.com",
                          "prod-aurora.cluster-ro-c1k2m3n4p5q6.eu-west-2.rds.amazonaws.com",
                          "3306"))
        ref = ET.parse(os.path.join(XML_DIR, "rds-describe-db-clusters.awsdocs.xml"))
        same_order(self, c, nsall(ref.getroot(), "DescribeDBClustersResult/DBClusters/DBCluster",
                                  RDS)[1], 12)
        self.assertEqual(self.ids("DescribeDBClusters", {
            "Filters.Filter.1.Name": "db-cluster-id",
            "Filters.Filter.1.Values.Value.1": "arn:aws:rds:eu-west-2:%s:cluster:prod-aurora"
                                               % PROD}), ["prod-aurora"])
        st, _, body = self.call("DescribeDBClusters", {"DBClusterIdentifier": "nope"})
        self.assertEqual((st,) + query_error_code(body, RDS),
                         (404, "DBClusterNotFoundFault", "DBCluster nope not found."))
        c = self.creds(PROD)
        st, _, body = api_call(self.port, (c[0], c[1] + "x", c[2]), "rds", "DescribeDBClusters")
        self.assertEqual((st, query_error_code(body, RDS)[0]), (403, "SignatureDoesNotMatch"))
        st, _, body = api_call(self.port, BASE, "rds", "DescribeDBInstances")
        self.assertEqual((st, query_error_code(body, RDS)[0]), (403, "AccessDenied"))

    def test_paging(self):
        port = SERVERS["big"].port
        st, c = assume(port, STAG)
        for action, want in (("DescribeDBInstances", ["pg-%02d" % k for k in range(25)]),
                             ("DescribeDBClusters", ["aurora-%02d" % k for k in range(21)])):
            with self.subTest(action=action):
                got, marker, pages = [], None, 0
                for _ in range(5):
                    p = {"MaxRecords": "20"}
                    if marker:
                        p["Marker"] = marker
                    st, _, body = self.call(action, p, port=port, creds=creds3(c),
                                            region="eu-west-1")
                    self.assertEqual(st, 200, body)
                    pages += 1
                    res = nsf(xml(body), action + "Result", RDS)
                    tag = "DBInstanceIdentifier" if "Instances" in action \
                        else "DBClusterIdentifier"
                    got += [e.text for e in res.iter(RDS + tag)]
                    marker = nstext(res, "Marker", RDS)
                    if not marker:
                        break
                self.assertEqual((pages, got), (2, want))
        st, _, body = self.call("DescribeDBInstances", {"MaxRecords": "19"})
        self.assertEqual((st, query_error_code(body, RDS)[0]), (400, "InvalidParameterValue"))
        st, _, body = self.call("DescribeDBInstances", {"Marker": "bogus"})
        self.assertEqual((st, query_error_code(body, RDS)[0]), (400, "InvalidParameterValue"))


class TestAutoScaling(AwsBase):
    def groups(self, params=None, acct=PROD, port=None, creds=None, region="eu-west-2"):
        st, _, body = api_call(port or self.port, creds or self.creds(acct), "autoscaling",
                               "DescribeAutoScalingGroups", params, region=region)
        self.assertEqual(st, 200, body)
        res = nsf(xml(body), "DescribeAutoScalingGroupsResult", ASG)
        return nsall(res, "AutoScalingGroups/member", ASG), nstext(res, "NextToken", ASG)

    def test_describe(self):
        gs, tok = self.groups()
        self.assertIsNone(tok)
        self.assertEqual([nstext(g, "AutoScalingGroupName", ASG) for g in gs], ["prod-web-asg"])
        g = gs[0]
        self.assertEqual([(nstext(i, "InstanceId", ASG), nstext(i, "HealthStatus", ASG),
                           nstext(i, "LifecycleState", ASG))
                          for i in nsall(g, "Instances/member", ASG)],
                         [("i-0a1b2c3d4e5f60001", "Healthy", "InService"),
                          ("i-0a1b2c3d4e5f60002", "Unhealthy", "InService")])
        self.assertEqual(nstext(g, "LaunchTemplate/LaunchTemplateId", ASG), "lt-0111000000000a001")
        self.assertEqual(nstext(g, "TargetGroupARNs/member", ASG), WEB_TG_ARN)
        self.assertEqual(nstext(g, "VPCZoneIdentifier", ASG),
                         "subnet-0111000000000a001,subnet-0111000000000a002")
        ref = ET.parse(os.path.join(XML_DIR,
                                    "autoscaling-describe-auto-scaling-groups.awsdocs.xml"))
        same_order(self, g, ref.getroot()[0][0][0], 20)
        gs, _ = self.groups({"AutoScalingGroupNames.member.1": "prod-web-asg",
                             "AutoScalingGroupNames.member.2": "nope"})
        self.assertEqual(len(gs), 1)
        self.assertEqual(self.groups({"AutoScalingGroupNames.member.1": "nope"})[0], [])
        self.assertEqual(self.groups({"AutoScalingGroupNames.member.1": "prod-web-asg"},
                                     acct=STAG)[0], [])
        gs, _ = self.groups({"Filters.member.1.Name": "tag:Environment",
                             "Filters.member.1.Values.member.1": "production"})
        self.assertEqual(len(gs), 1)
        c = self.creds(PROD)
        st, _, body = api_call(self.port, (c[0], c[1] + "x", c[2]), "autoscaling",
                               "DescribeAutoScalingGroups")
        self.assertEqual((st, query_error_code(body, ASG)[0]), (403, "SignatureDoesNotMatch"))

    def test_paging(self):
        port = SERVERS["big"].port
        st, c = assume(port, STAG)
        names, tok = [], None
        for _ in range(5):
            p = {"MaxRecords": "2"}
            if tok:
                p["NextToken"] = tok
            gs, tok = self.groups(p, port=port, creds=creds3(c), region="eu-west-1")
            names += [nstext(g, "AutoScalingGroupName", ASG) for g in gs]
            if not tok:
                break
        self.assertEqual(names, ["asg-0", "asg-1", "asg-2"])
        st, _, body = api_call(self.port, self.creds(PROD), "autoscaling",
                               "DescribeAutoScalingGroups", {"NextToken": "bogus"})
        self.assertEqual((st,) + query_error_code(body, ASG),
                         (400, "InvalidNextToken", "The token 'bogus' is invalid."))
        st, _, body = api_call(self.port, self.creds(PROD), "autoscaling",
                               "DescribeAutoScalingGroups", {"MaxRecords": "101"})
        self.assertEqual((st, query_error_code(body, ASG)[0]), (400, "ValidationError"))


# ---------------------------------------------------------------------------
# Route 53 (REST-XML, global) and Lambda (REST-JSON)
# ---------------------------------------------------------------------------

class TestRoute53(AwsBase):
    def get(self, path, query="", acct=PROD, **kw):
        return rest_get(self.port, self.creds(acct), path, query, **kw)

    def ok(self, path, query="", **kw):
        st, h, body = self.get(path, query, **kw)
        self.assertEqual(st, 200, body)
        self.assertEqual(h["Content-Type"], "text/xml")
        return xml(body)

    def zones(self, query="", **kw):
        root = self.ok("/2013-04-01/hostedzone", query, **kw)
        self.assertEqual(root.tag, R53 + "ListHostedZonesResponse")
        return root, [nstext(z, "Id", R53) for z in nsall(root, "HostedZones/HostedZone", R53)]

    def test_list_hosted_zones(self):
        root, ids = self.zones()
        self.assertEqual(ids, ["/hostedzone/" + PRIV_ZONE, "/hostedzone/" + PUB_ZONE])
        z = {nstext(x, "Name", R53): nstext(x, "Config/PrivateZone", R53)
             for x in nsall(root, "HostedZones/HostedZone", R53)}
        self.assertEqual(z, {"example.com.": "false", "internal.example.com.": "true"})
        self.assertEqual((nstext(root, "IsTruncated", R53), nstext(root, "MaxItems", R53)),
                         ("false", "100"))
        ref = ET.parse(os.path.join(XML_DIR, "route53-list-hosted-zones.awsdocs.xml")).getroot()
        same_order(self, nsf(root, "HostedZones/HostedZone", R53),
                   nsf(ref, "HostedZones/HostedZone", R53), 5)
        # Paging: maxitems / NextMarker / marker.
        root, ids = self.zones("maxitems=1")
        self.assertEqual((ids, nstext(root, "IsTruncated", R53), nstext(root, "NextMarker", R53)),
                         (["/hostedzone/" + PRIV_ZONE], "true", PUB_ZONE))
        same_order(self, root, ref, 4)
        root, ids = self.zones("marker=%s&maxitems=1" % PUB_ZONE)
        self.assertEqual((ids, nstext(root, "IsTruncated", R53), nstext(root, "Marker", R53)),
                         (["/hostedzone/" + PUB_ZONE], "false", PUB_ZONE))
        # Global: every zone of the account, whatever region the data is in;
        # other accounts see their own.
        self.assertEqual(self.zones(acct=STAG)[1], ["/hostedzone/Z0222222PRIVATE0001"])
        self.assertEqual(self.zones(acct=DEV)[1], ["/hostedzone/Z0333333PUBLIC00001"])
        st, _, body = self.get("/2013-04-01/hostedzone", "maxitems=zero")
        self.assertEqual((st, r53_error_code(body)[0]), (400, "InvalidInput"))

    def test_signing(self):
        # Signed for eu-west-2: refused (Route 53 is signed for us-east-1).
        st, _, body = self.get("/2013-04-01/hostedzone", region="eu-west-2")
        self.assertEqual(st, 403)
        code, msg = r53_error_code(body)
        self.assertEqual(code, "SignatureDoesNotMatch")
        self.assertIn("Credential should be scoped to a valid region", msg)
        # A query string that is not what was signed.
        q = qs([("name", "www.example.com."), ("type", "A"), ("maxitems", "1")])
        st, _, body = self.get("/2013-04-01/hostedzone/%s/rrset" % PUB_ZONE, q,
                               sign_query=q.replace("maxitems=1", "maxitems=2"))
        self.assertEqual((st, r53_error_code(body)[0]), (403, "SignatureDoesNotMatch"))
        # The canonical query is sorted and RFC 3986-encoded: parameters
        # sent in any order, '*' and '.' and '/' encoded or not, all verify.
        for query in (q, "maxitems=1&type=A&name=www.example.com.",
                      qs([("type", "A"), ("name", "*.example.com"), ("maxitems", "300")])):
            with self.subTest(query=query):
                self.assertEqual(self.get("/2013-04-01/hostedzone/%s/rrset" % PUB_ZONE,
                                          query)[0], 200)
        # An encoded path segment: the canonical URI encodes it again.
        path = "/2013-04-01/hostedzone/%s/rrset" % quote("/hostedzone/" + PUB_ZONE, safe="")
        self.assertIn("%2Fhostedzone%2F", path)
        st, _, body = self.get(path, q)
        self.assertEqual(st, 200, body)
        st, _, body = self.get(path, q, sign_path=unquote(path).replace("//", "/"))
        self.assertEqual((st, r53_error_code(body)[0]), (403, "SignatureDoesNotMatch"))
        c = self.creds(PROD)
        st, _, body = rest_get(self.port, (c[0], c[1] + "x", c[2]), "/2013-04-01/hostedzone")
        self.assertEqual((st, r53_error_code(body)[0]), (403, "SignatureDoesNotMatch"))
        st, _, body = rest_get(self.port, BASE, "/2013-04-01/hostedzone")
        self.assertEqual((st, r53_error_code(body)[0]), (403, "AccessDenied"))
        st, _, body = rest_get(self.port, c, "/2013-04-01/hostedzone", omit_auth=True)
        self.assertEqual((st, r53_error_code(body)[0]), (403, "MissingAuthenticationToken"))
        st, _, body = rest_get(self.port, (c[0], c[1], "wrong"), "/2013-04-01/hostedzone")
        self.assertEqual((st, r53_error_code(body)[0]), (403, "InvalidClientTokenId"))

    def records(self, zone, query="", **kw):
        root = self.ok("/2013-04-01/hostedzone/%s/rrset" % zone, query, **kw)
        self.assertEqual(root.tag, R53 + "ListResourceRecordSetsResponse")
        return root, nsall(root, "ResourceRecordSets/ResourceRecordSet", R53)

    def test_list_records(self):
        root, recs = self.records(PUB_ZONE)
        got = [(nstext(r, "Name", R53), nstext(r, "Type", R53)) for r in recs]
        self.assertEqual(got, [("example.com.", "MX"), ("example.com.", "NS"),
                               ("example.com.", "SOA"), ("example.com.", "TXT"),
                               ("api.example.com.", "CNAME"), ("legacy.example.com.", "CNAME"),
                               ("status.example.com.", "A"), ("www.example.com.", "A"),
                               ("www.example.com.", "AAAA")])
        by = {(nstext(r, "Name", R53), nstext(r, "Type", R53)): r for r in recs}
        api = by[("api.example.com.", "CNAME")]
        self.assertEqual((nstext(api, "TTL", R53),
                          nstext(api, "ResourceRecords/ResourceRecord/Value", R53)),
                         ("300", "www.example.com"))
        www = by[("www.example.com.", "A")]
        self.assertEqual((nstext(www, "AliasTarget/HostedZoneId", R53),
                          nstext(www, "AliasTarget/DNSName", R53),
                          nstext(www, "AliasTarget/EvaluateTargetHealth", R53)),
                         ("ZHURV8PSTC4K8",
                          "dualstack.prod-alb-1234567890.eu-west-2.elb.amazonaws.com.", "true"))
        self.assertIsNone(nsf(www, "TTL", R53))
        ref = ET.parse(os.path.join(XML_DIR, "route53-list-resource-record-sets.awsdocs.xml"))
        same_order(self, by[("example.com.", "SOA")],
                   nsf(ref.getroot(), "ResourceRecordSets/ResourceRecordSet", R53), 4)
        # Start at a name (and type); page with maxitems / NextRecord*.
        root, recs = self.records(PUB_ZONE, qs([("name", "WWW.example.com"), ("type", "AAAA")]))
        self.assertEqual([(nstext(r, "Name", R53), nstext(r, "Type", R53)) for r in recs],
                         [("www.example.com.", "AAAA")])
        seen, q = [], [("name", "api.example.com"), ("maxitems", "2")]
        for _ in range(5):
            root, recs = self.records(PUB_ZONE, qs(q))
            seen += [nstext(r, "Name", R53) + nstext(r, "Type", R53) for r in recs]
            if nstext(root, "IsTruncated", R53) != "true":
                break
            same_order(self, root, ref.getroot(), 5)
            q = [("name", nstext(root, "NextRecordName", R53)),
                 ("type", nstext(root, "NextRecordType", R53)), ("maxitems", "2")]
        self.assertEqual(seen, ["api.example.com.CNAME", "legacy.example.com.CNAME",
                                "status.example.com.A", "www.example.com.A",
                                "www.example.com.AAAA"])
        # The private zone holds the A record of an instance's private IP.
        root, recs = self.records(PRIV_ZONE, qs([("name", "web1.internal.example.com"),
                                                 ("type", "A"), ("maxitems", "1")]))
        self.assertEqual(nstext(recs[0], "ResourceRecords/ResourceRecord/Value", R53),
                         "10.10.1.10")
        st, _, body = self.get("/2013-04-01/hostedzone/Z0NOSUCHZONE/rrset")
        self.assertEqual((st,) + r53_error_code(body),
                         (404, "NoSuchHostedZone", "No hosted zone found with ID: Z0NOSUCHZONE"))
        st, _, body = self.get("/2013-04-01/hostedzone/%s/rrset" % PUB_ZONE, acct=STAG)
        self.assertEqual((st, r53_error_code(body)[0]), (404, "NoSuchHostedZone"))
        st, _, body = self.get("/2013-04-01/hostedzone/%s/rrset" % PUB_ZONE, "type=A")
        self.assertEqual((st, r53_error_code(body)[0]), (400, "InvalidInput"))
        st, _, body = self.get("/2013-04-01/hostedzone/%s/rrset" % PUB_ZONE,
                               "name=example.com&type=BOGUS")
        self.assertEqual((st, r53_error_code(body)[0]), (400, "InvalidInput"))

    def test_get_hosted_zone_and_by_name(self):
        root = self.ok("/2013-04-01/hostedzone/" + PRIV_ZONE)
        self.assertEqual(nstext(root, "HostedZone/Config/PrivateZone", R53), "true")
        self.assertEqual((nstext(root, "VPCs/VPC/VPCRegion", R53),
                          nstext(root, "VPCs/VPC/VPCId", R53)),
                         ("eu-west-2", "vpc-0111000000000a001"))
        root = self.ok("/2013-04-01/hostedzone/" + PUB_ZONE)
        self.assertEqual(len(nsall(root, "DelegationSet/NameServers/NameServer", R53)), 4)
        ref = ET.parse(os.path.join(XML_DIR, "route53-get-hosted-zone.public.awsdocs.xml"))
        same_order(self, root, ref.getroot(), 2)
        root = self.ok("/2013-04-01/hostedzonesbyname", "dnsname=example.com&maxitems=1")
        self.assertEqual(nstext(root, "HostedZones/HostedZone/Id", R53), "/hostedzone/" + PUB_ZONE)
        self.assertEqual((nstext(root, "IsTruncated", R53), nstext(root, "NextDNSName", R53)),
                         ("true", "internal.example.com."))


class TestLambda(AwsBase):
    def get(self, path, query="", acct=PROD, region="eu-west-2", **kw):
        return rest_get(self.port, self.creds(acct), path, query, region=region,
                        service="lambda", **kw)

    def ok(self, path, query="", **kw):
        st, h, body = self.get(path, query, **kw)
        self.assertEqual(st, 200, body)
        self.assertEqual(h["Content-Type"], "application/json")
        self.assertTrue(h["x-amzn-RequestId"])
        return json.loads(body)

    def err(self, path, query="", **kw):
        st, h, body = self.get(path, query, **kw)
        doc = json.loads(body)
        return st, h.get("x-amzn-ErrorType"), doc

    def test_list_functions(self):
        doc = self.ok("/2015-03-31/functions/")
        self.assertEqual([f["FunctionName"] for f in doc["Functions"]], ["prod-thumbnailer"])
        self.assertIsNone(doc["NextMarker"])
        sample = json.loads(read(os.path.join(TESTDATA, "aws-json",
                                              "lambda-list-functions.example-output."
                                              "botocore.json")))
        self.assertLessEqual(set(sample["Functions"][0]), set(doc["Functions"][0]))
        doc = self.ok("/2015-03-31/functions/", region="us-east-1")
        f = doc["Functions"][0]
        self.assertEqual((f["FunctionName"], f["VpcConfig"]["SubnetIds"],
                          f["VpcConfig"]["VpcId"]),
                         ("prod-handler", ["subnet-0111000000000b001"], "vpc-0111000000000b001"))
        self.assertLessEqual(set(sample["Functions"][1]), set(f))
        self.assertEqual([f["FunctionName"] for f in self.ok("/2015-03-31/functions/",
                                                             acct=DEV, region="us-east-1")[
            "Functions"]], ["nightly-cleanup"])
        st, etype, doc = self.err("/2015-03-31/functions/", "MaxItems=0")
        self.assertEqual((st, etype), (400, "InvalidParameterValueException"))
        st, etype, doc = self.err("/2015-03-31/functions/", region="eu-west-1")
        self.assertEqual((st, etype), (403, "UnrecognizedClientException"))

    def test_paging(self):
        port = SERVERS["big"].port
        st, c = assume(port, STAG)
        names, marker = [], None
        for _ in range(5):
            q = "MaxItems=2" + ("&Marker=" + quote(marker, safe="") if marker else "")
            st, _, body = rest_get(port, creds3(c), "/2015-03-31/functions/", q,
                                   region="eu-west-1", service="lambda")
            self.assertEqual(st, 200, body)
            doc = json.loads(body)
            names += [f["FunctionName"] for f in doc["Functions"]]
            marker = doc["NextMarker"]
            if not marker:
                break
        self.assertEqual(names, ["fn-0", "fn-1", "fn-2"])
        st, etype, _ = self.err("/2015-03-31/functions/", "Marker=bogus")
        self.assertEqual((st, etype), (400, "InvalidParameterValueException"))

    def test_get_function(self):
        arn = "arn:aws:lambda:us-east-1:%s:function:prod-handler" % PROD
        sample = json.loads(read(os.path.join(TESTDATA, "aws-json",
                                              "lambda-get-function.example-output."
                                              "botocore.json")))
        for name in ("prod-handler", arn, "%s:function:prod-handler" % PROD, arn + ":$LATEST"):
            with self.subTest(name=name):
                path = "/2015-03-31/functions/" + quote(name, safe="")
                doc = self.ok(path, region="us-east-1")
                self.assertEqual(doc["Configuration"]["FunctionArn"], arn)
                self.assertEqual(doc["Configuration"]["State"], "Active")
                self.assertEqual(doc["Code"]["RepositoryType"], "S3")
                self.assertEqual(doc["Tags"], {"Environment": "production"})
                self.assertLessEqual(set(sample), set(doc))
                self.assertLessEqual(set(sample["Configuration"]) - {"Environment",
                                                                     "KMSKeyArn"},
                                     set(doc["Configuration"]))
        # A query string (Qualifier, '$' encoded) signed as sent.
        doc = self.ok("/2015-03-31/functions/prod-handler", "Qualifier=%24LATEST",
                      region="us-east-1")
        self.assertEqual(doc["Configuration"]["Version"], "$LATEST")
        doc = self.ok("/2015-03-31/functions/prod-handler/configuration", region="us-east-1")
        self.assertEqual(doc["FunctionName"], "prod-handler")
        # Not found: 404, the code in x-amzn-ErrorType, Lambda's JSON body.
        st, etype, doc = self.err("/2015-03-31/functions/nope")
        self.assertEqual((st, etype, doc),
                         (404, "ResourceNotFoundException",
                          {"Type": "User", "message": "Function not found: arn:aws:lambda:"
                                                      "eu-west-2:%s:function:nope" % PROD}))
        st, etype, doc = self.err("/2015-03-31/functions/prod-handler")  # other region
        self.assertEqual((st, etype), (404, "ResourceNotFoundException"))
        st, etype, doc = self.err("/2015-03-31/functions/prod-handler", "Qualifier=7",
                                  region="us-east-1")
        self.assertEqual((st, etype), (404, "ResourceNotFoundException"))
        self.assertTrue(doc["message"].endswith("function:prod-handler:7"))
        st, etype, doc = self.err("/2015-03-31/functions/" + quote(
            "arn:aws:lambda:eu-west-2:%s:function:staging-handler" % STAG, safe=""))
        self.assertEqual((st, etype), (403, "AccessDeniedException"))
        st, etype, doc = self.err("/2015-03-31/functions/" + quote("bad name", safe=""))
        self.assertEqual((st, etype), (400, "ValidationException"))

    def test_signing(self):
        path = "/2015-03-31/functions/" + quote("arn:aws:lambda:us-east-1:%s:function:"
                                                "prod-handler" % PROD, safe="")
        self.assertIn("%3A", path)
        self.assertEqual(self.get(path, region="us-east-1")[0], 200)
        # Signing the decoded path (one encoding, not AWS's two) is refused.
        st, etype, doc = self.err(path, region="us-east-1", sign_path=unquote(path))
        self.assertEqual((st, etype), (403, "InvalidSignatureException"))
        self.assertTrue(doc["message"].startswith("The request signature we calculated"))
        st, etype, _ = self.err(path, "Qualifier=%24LATEST", region="us-east-1",
                                sign_query="Qualifier=7")
        self.assertEqual((st, etype), (403, "InvalidSignatureException"))
        c = self.creds(PROD)
        st, h, body = rest_get(self.port, (c[0], c[1], "wrong"), "/2015-03-31/functions/",
                               region="eu-west-2", service="lambda")
        self.assertEqual((st, h["x-amzn-ErrorType"]), (403, "UnrecognizedClientException"))
        st, h, body = rest_get(self.port, BASE, "/2015-03-31/functions/", region="eu-west-2",
                               service="lambda")
        self.assertEqual((st, h["x-amzn-ErrorType"]), (403, "AccessDeniedException"))
        self.assertIn("not authorized to perform: lambda:ListFunctions", json.loads(body)[
            "Message"])
        st, h, body = rest_get(self.port, c, "/2015-03-31/functions/", region="eu-west-2",
                               service="lambda", omit_auth=True)
        self.assertEqual((st, h["x-amzn-ErrorType"]),
                         (403, "MissingAuthenticationTokenException"))
        st, h, body = rest_get(self.port, c, "/2015-03-31/functions/", region="eu-west-2",
                               service="lambda", skew=-600)
        self.assertEqual((st, h["x-amzn-ErrorType"]), (403, "InvalidSignatureException"))


# ---------------------------------------------------------------------------
# Faults and call counts on the new services
# ---------------------------------------------------------------------------

class TestEveryNewActionIsSigned(AwsBase):
    """Each new action: signed right, it answers; signed with a wrong secret,
    skewed, or with a request that is not what was signed, it is refused
    with the service's own code."""

    QUERY = [("elb", "DescribeLoadBalancers", {}),
             ("elb", "DescribeInstanceHealth", {"LoadBalancerName": "prod-legacy"}),
             ("elbv2", "DescribeLoadBalancers", {"Names.member.1": "prod-alb"}),
             ("elbv2", "DescribeListeners", {"LoadBalancerArn": ALB_ARN}),
             ("elbv2", "DescribeTargetGroups", {"LoadBalancerArn": ALB_ARN}),
             ("elbv2", "DescribeTargetHealth", {"TargetGroupArn": WEB_TG_ARN}),
             ("rds", "DescribeDBInstances", {"DBInstanceIdentifier": "prod-orders-db"}),
             ("rds", "DescribeDBClusters", {"DBClusterIdentifier": "prod-aurora"}),
             ("autoscaling", "DescribeAutoScalingGroups",
              {"AutoScalingGroupNames.member.1": "prod-web-asg"})]
    REST = [("route53", "us-east-1", "/2013-04-01/hostedzone", "maxitems=10"),
            ("route53", "us-east-1", "/2013-04-01/hostedzone/%s/rrset" % PUB_ZONE,
             "name=api.example.com&type=CNAME"),
            ("route53", "us-east-1", "/2013-04-01/hostedzone/" + PRIV_ZONE, ""),
            ("route53", "us-east-1", "/2013-04-01/hostedzonesbyname", "dnsname=example.com"),
            ("lambda", "eu-west-2", "/2015-03-31/functions/", "MaxItems=5"),
            ("lambda", "us-east-1", "/2015-03-31/functions/prod-handler", "Qualifier=%24LATEST"),
            ("lambda", "us-east-1", "/2015-03-31/functions/" + quote(
                "arn:aws:lambda:us-east-1:%s:function:prod-handler" % PROD, safe="") +
             "/configuration", "")]

    def test_query_actions(self):
        c = self.creds(PROD)
        bad = (c[0], c[1] + "x", c[2])
        for api, action, params in self.QUERY:
            ns = QUERY_VERSIONS[api][2]
            with self.subTest(api=api, action=action):
                st, _, body = api_call(self.port, c, api, action, params)
                self.assertEqual(st, 200, body)
                self.assertEqual(xml(body).tag, ns + action + "Response")
                for kw in ({"creds": bad}, {"skew": -600},
                           {"tamper": lambda b: b + b"&PageSize=1"}):
                    st, _, body = api_call(self.port, kw.pop("creds", c), api, action, params,
                                           **kw)
                    self.assertEqual((st, query_error_code(body, ns)[0]),
                                     (403, "SignatureDoesNotMatch"))

    def test_rest_actions(self):
        c = self.creds(PROD)
        bad = (c[0], c[1] + "x", c[2])
        for service, region, path, query in self.REST:
            with self.subTest(service=service, path=path):
                st, h, body = rest_get(self.port, c, path, query, region, service)
                self.assertEqual(st, 200, body)
                refusals = [rest_get(self.port, bad, path, query, region, service),
                            rest_get(self.port, c, path, query, region, service, skew=600),
                            rest_get(self.port, c, path, query, region, service,
                                     sign_path=path + "x")]
                if query:
                    refusals.append(rest_get(self.port, c, path, query, region, service,
                                             sign_query=query + "0"))
                for st, h, body in refusals:
                    if service == "lambda":
                        self.assertEqual((st, h["x-amzn-ErrorType"]),
                                         (403, "InvalidSignatureException"))
                    else:
                        self.assertEqual((st, r53_error_code(body)[0]),
                                         (403, "SignatureDoesNotMatch"))


class TestNewServiceFaults(AwsBase):
    # service -> a call that answers 200 without faults: () -> (status, headers, body)
    def calls(self):
        c = self.creds(PROD)
        p = self.port
        return {
            "elasticloadbalancing": lambda: api_call(p, c, "elbv2", "DescribeLoadBalancers"),
            "rds": lambda: api_call(p, c, "rds", "DescribeDBInstances"),
            "autoscaling": lambda: api_call(p, c, "autoscaling", "DescribeAutoScalingGroups"),
            "route53": lambda: rest_get(p, c, "/2013-04-01/hostedzone"),
            "lambda": lambda: rest_get(p, c, "/2015-03-31/functions/", region="eu-west-2",
                                       service="lambda"),
            "ec2": lambda: ec2_call(p, c, "eu-west-2", "DescribeSecurityGroups"),
        }

    def code(self, service, st, h, body):
        if service == "lambda":
            return st, h.get("x-amzn-ErrorType")
        if service == "ec2":
            return st, ec2_error_code(body)[0]
        ns = {"elasticloadbalancing": ELB2, "rds": RDS, "autoscaling": ASG, "route53": R53}
        return (st, query_error_code(body, ns[service])[0])

    def test_kinds_per_service(self):
        want = {  # kind -> service -> (status, code)
            "throttle-count": {"lambda": (429, "TooManyRequestsException"),
                               "ec2": (503, "RequestLimitExceeded"),
                               "*": (400, "Throttling")},
            "http500": {"lambda": (500, "ServiceException"), "ec2": (500, "InternalError"),
                        "*": (500, "InternalFailure")},
            "unauthorized": {"lambda": (403, "AccessDeniedException"),
                             "ec2": (403, "UnauthorizedOperation"), "*": (403, "AccessDenied")},
        }
        calls = self.calls()
        for kind, codes in want.items():
            for service, call in calls.items():
                with self.subTest(kind=kind, service=service):
                    http_req(self.port, "POST", "/_control/clear-faults")
                    self.fault(account=PROD, kind=kind, arg=1 if kind == "throttle-count"
                               else None, service=service)
                    # Scoped: the other services are not touched.
                    for other, ocall in calls.items():
                        if other != service:
                            self.assertEqual(ocall()[0], 200, other)
                    st, h, body = call()
                    self.assertEqual(self.code(service, st, h, body),
                                     codes.get(service, codes["*"]))
                    if kind == "throttle-count":
                        self.assertEqual(call()[0], 200)

    def test_ec2_unauthorized_scoped_to_a_service(self):
        calls = self.calls()
        self.fault(account=PROD, kind="ec2-unauthorized", service="rds")
        self.assertEqual(self.code("rds", *calls["rds"]()), (403, "AccessDenied"))
        self.assertEqual(calls["ec2"]()[0], 200)
        http_req(self.port, "POST", "/_control/clear-faults")
        self.fault(account=PROD, kind="ec2-unauthorized")   # unscoped: EC2 only, as before
        self.assertEqual(calls["rds"]()[0], 200)
        self.assertEqual(self.code("ec2", *calls["ec2"]()), (403, "UnauthorizedOperation"))

    def test_malformed_huge_latency_hang_refuse(self):
        calls = self.calls()
        self.fault(account=PROD, kind="malformed-xml", service="route53")
        st, _, body = calls["route53"]()
        self.assertEqual(st, 200)
        self.assertRaises(ET.ParseError, ET.fromstring, body)
        http_req(self.port, "POST", "/_control/clear-faults")
        self.fault(account=PROD, kind="malformed-xml", service="lambda")
        st, _, body = calls["lambda"]()
        self.assertRaises(ValueError, json.loads, body)
        http_req(self.port, "POST", "/_control/clear-faults")
        for service, count in (("elasticloadbalancing", ELB2 + "member"),
                               ("rds", RDS + "DBInstance"), ("autoscaling", ASG + "member"),
                               ("route53", R53 + "HostedZone"), ("ec2", EC2 + "item")):
            with self.subTest(service=service):
                http_req(self.port, "POST", "/_control/clear-faults")
                self.fault(account=PROD, kind="huge-answer", arg=1000, service=service)
                st, _, body = calls[service]()
                self.assertEqual(st, 200)
                self.assertEqual(len(list(xml(body).iter(count))), 1000)
        self.fault(account=PROD, kind="huge-answer", arg=1000, service="lambda")
        self.assertEqual(len(json.loads(calls["lambda"]()[2])["Functions"]), 1000)
        http_req(self.port, "POST", "/_control/clear-faults")
        self.fault(account=PROD, kind="latency", arg=300, service="lambda")
        t0 = time.monotonic()
        self.assertEqual(calls["lambda"]()[0], 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)
        http_req(self.port, "POST", "/_control/clear-faults")
        self.fault(account=PROD, kind="refuse", service="route53")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            calls["route53"]()
        http_req(self.port, "POST", "/_control/clear-faults")
        self.fault(account=PROD, kind="hang", service="autoscaling")
        c = self.creds(PROD)
        with self.assertRaises((socket.timeout, TimeoutError)):
            api_call(self.port, c, "autoscaling", "DescribeAutoScalingGroups", timeout=0.5)
        self.assertEqual(calls["rds"]()[0], 200)

    def test_bad_service_rejected(self):
        st, _, _ = http_req(self.port, "POST", "/_control/fault",
                            json.dumps({"account": "*", "kind": "http500",
                                        "service": "elbv2"}).encode())
        self.assertEqual(st, 400)

    def test_cli_fault_on_route53(self):
        port = SERVERS["ttl"].port
        st, c = assume(port, DEV, ext=None)
        st, _, body = rest_get(port, creds3(c), "/2013-04-01/hostedzone")
        self.assertEqual((st, r53_error_code(body)[0]), (403, "AccessDenied"))
        st, _, body = rest_get(port, creds3(c), "/2015-03-31/functions/", region="us-east-1",
                               service="lambda")
        self.assertEqual(st, 200)

    def test_counts_per_service_and_action(self):
        c = self.creds(PROD)
        http_req(self.port, "POST", "/_control/reset")
        ec2_call(self.port, c, "eu-west-2", "DescribeSecurityGroups",
                 {"GroupId.1": "sg-0111000000000a001"})
        ec2_call(self.port, c, "us-east-1", "DescribeSecurityGroups",
                 {"GroupId.1": "sg-0111000000000a001"})
        api_call(self.port, c, "elbv2", "DescribeTargetHealth", {"TargetGroupArn": WEB_TG_ARN})
        api_call(self.port, c, "elb", "DescribeLoadBalancers")
        api_call(self.port, c, "elbv2", "DescribeLoadBalancers")
        rest_get(self.port, c, "/2013-04-01/hostedzone/%s/rrset" % PUB_ZONE)
        rest_get(self.port, c, "/2015-03-31/functions/nope", region="eu-west-2", service="lambda")
        s = stats(self.port)
        self.assertEqual(s["by_call"], {"ec2:DescribeSecurityGroups": 2,
                                        "elbv2:DescribeTargetHealth": 1,
                                        "elb:DescribeLoadBalancers": 1,
                                        "elbv2:DescribeLoadBalancers": 1,
                                        "route53:ListResourceRecordSets": 1,
                                        "lambda:GetFunction": 1})
        self.assertEqual(s["by_service"], {"ec2": 2, "elasticloadbalancing": 3, "route53": 1,
                                           "lambda": 1})
        self.assertEqual(s["by_call_key"]["ec2:DescribeSecurityGroups:%s:us-east-1" % PROD], 1)
        self.assertEqual(s["by_call_key"]["route53:ListResourceRecordSets:%s:us-east-1" % PROD],
                         1)
        self.assertEqual(s["by_key"]["DescribeLoadBalancers:%s:eu-west-2" % PROD], 2)
        self.assertEqual(s["by_status"], {"200": 5, "400": 1, "404": 1})
        self.assertEqual(s["total"], 7)


class TestGeneratedEstate(unittest.TestCase):
    def test_vpcs_subnets_groups_volumes(self):
        port = SERVERS["gen"].port
        st, c = assume(port, "400000000003")
        cr = creds3(c)
        st, _, body = ec2_call(port, cr, "eu-west-2", "DescribeVpcs")
        vpcs = [e.text for e in xml(body).iter(EC2 + "vpcId")]
        self.assertEqual(len(vpcs), 1)
        st, _, body = describe(port, cr, "eu-west-2")
        insts = xml(body).findall(".//" + EC2 + "instancesSet/" + EC2 + "item")
        self.assertEqual({nstext(i, "vpcId", EC2) for i in insts}, set(vpcs))
        st, _, body = ec2_call(port, cr, "eu-west-2", "DescribeSecurityGroups",
                               {"Filter.1.Name": "tag:Name", "Filter.1.Value.1": "Qa-Web-SG"})
        self.assertEqual(len(xml(body).findall(EC2 + "securityGroupInfo/" + EC2 + "item")), 1)
        seen, token, pages = [], None, 0
        for _ in range(10):
            p = {"MaxResults": "5"}
            if token:
                p["NextToken"] = token
            st, _, body = ec2_call(port, cr, "eu-west-2", "DescribeVolumes", p)
            self.assertEqual(st, 200, body)
            pages += 1
            seen += [nstext(v, "attachmentSet/item/instanceId", EC2)
                     for v in xml(body).findall(EC2 + "volumeSet/" + EC2 + "item")]
            tok = xml(body).find(EC2 + "nextToken")
            if tok is None:
                break
            token = tok.text
        self.assertEqual(pages, 3)
        self.assertEqual(sorted(seen), sorted(nstext(i, "instanceId", EC2) for i in insts))


# ---------------------------------------------------------------------------
# Time that moves (issue 13): /_control/clock, terminate, launch, retention
# ---------------------------------------------------------------------------

WEB1 = "i-0a1b2c3d4e5f60001"         # prod-web-1: 10.10.1.10, 18.130.10.10, eu-west-2
WEB1_SUBNET = "subnet-0111000000000a001"   # 10.10.0.0/23
NEW1, NEW2 = "i-0c0ffee0000000001", "i-0c0ffee0000000002"
SANDBOX = "i-0c3d4e5f6a7b80009"      # dev-sandbox-1: dev's own 10.10.1.10


def ctl(port, method, path, doc=None):
    """A control call: (status, JSON answer)."""
    st, _, body = http_req(port, method, path,
                           json.dumps(doc).encode() if doc is not None else b"")
    return st, json.loads(body)


def epoch(iso):
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class TestTimeMoves(unittest.TestCase):
    """Each test starts from the start-up world (reset {"world": true})."""

    def setUp(self):
        self.port = SERVERS["time"].port
        st, _ = ctl(self.port, "POST", "/_control/reset", {"world": True})
        self.assertEqual(st, 200)
        self._creds = {}

    def creds(self, acct):
        if acct not in self._creds:
            st, c = assume(self.port, acct, ext=None if acct == DEV else EXT)
            self.assertEqual(st, 200, c)
            self._creds[acct] = creds3(c)
        return self._creds[acct]

    def ok(self, method, path, doc=None):
        st, d = ctl(self.port, method, path, doc)
        self.assertEqual(st, 200, d)
        return d

    def clock(self, **doc):
        return self.ok("POST", "/_control/clock", doc)

    def terminate(self, iid=WEB1, acct=PROD, region="eu-west-2", **kw):
        return self.ok("POST", "/_control/terminate",
                       dict(kw, account=acct, region=region, instance=iid))

    def launch(self, iid=NEW1, acct=PROD, region="eu-west-2", **kw):
        doc = {"account": acct, "region": region, "instance": iid, "subnet": WEB1_SUBNET,
               "private_ip": "10.10.1.10", "name": "prod-web-7"}
        doc.update(kw)
        return ctl(self.port, "POST", "/_control/launch", doc)

    def items(self, acct=PROD, region="eu-west-2", filters=(), ids=()):
        """{instance id: its XML item} of a DescribeInstances."""
        st, _, body = describe(self.port, self.creds(acct), region, filters, ids)
        self.assertEqual(st, 200, body)
        return {nstext(i, "instanceId", EC2): i
                for i in xml(body).iter(EC2 + "instancesSet") for i in i}

    def enis(self, acct=PROD, region="eu-west-2", filters=()):
        st, _, body = describe(self.port, self.creds(acct), region, filters,
                               action="DescribeNetworkInterfaces")
        self.assertEqual(st, 200, body)
        return eni_items(body)

    def gone(self, iid, acct=PROD, region="eu-west-2"):
        st, _, body = describe(self.port, self.creds(acct), region, ids=[iid])
        return st == 400 and ec2_error_code(body) == (
            "InvalidInstanceID.NotFound", "The instance ID '%s' does not exist" % iid)

    def test_terminate_as_ec2_says_then_forgotten(self):
        self.clock(now="2026-12-01T12:00:00Z")
        d = self.terminate(at="2026-12-01T11:58:00Z")
        self.assertEqual(d["reason"], "User initiated (2026-12-01 11:58:00 GMT)")
        self.assertEqual((d["state"], d["terminated_at"], d["visible_until"], d["changed"]),
                         ("terminated", "2026-12-01T11:58:00.000Z",
                          "2026-12-01T12:58:00.000Z", True))
        self.assertIn("10.10.1.10", d["released"]["private"])
        self.assertEqual(d["released"]["public"], ["18.130.10.10"])
        self.assertEqual(d["deleted_volumes"], ["vol-0111000000000a001"])
        item = self.items(ids=[WEB1])[WEB1]
        self.assertEqual((nstext(item, "instanceState/code", EC2),
                          nstext(item, "instanceState/name", EC2)), ("48", "terminated"))
        self.assertEqual(nstext(item, "reason", EC2), "User initiated (2026-12-01 11:58:00 GMT)")
        self.assertEqual((nstext(item, "stateReason/code", EC2),
                          nstext(item, "stateReason/message", EC2)),
                         ("Client.UserInitiatedShutdown",
                          "Client.UserInitiatedShutdown: User initiated shutdown"))
        self.assertEqual(nstext(item, "launchTime", EC2), "2025-03-01T09:00:00.000Z")
        # As EC2 shows a terminated instance: no addresses, VPC, ENIs, groups or disks.
        for absent in ("privateIpAddress", "ipAddress", "vpcId", "subnetId",
                       "networkInterfaceSet/item", "groupSet/item", "blockDeviceMapping/item"):
            self.assertIsNone(nsf(item, absent, EC2), absent)
        self.assertEqual((nstext(item, "privateDnsName", EC2), nstext(item, "dnsName", EC2)),
                         ("", ""))
        self.assertEqual(list(self.items(filters=[("instance-state-name", ["terminated"])])),
                         [WEB1])
        self.assertEqual(self.enis(filters=[("addresses.private-ip-address",
                                             ["10.10.1.10"])]), [])
        self.assertEqual(self.enis(filters=[("association.public-ip", ["18.130.10.10"])]), [])
        st, _, body = ec2_call(self.port, self.creds(PROD), "eu-west-2", "DescribeVolumes",
                               {"VolumeId.1": "vol-0111000000000a001"})
        self.assertEqual((st, ec2_error_code(body)[0]), (400, "InvalidVolume.NotFound"))
        st, _, body = api_call(self.port, self.creds(PROD), "elbv2", "DescribeTargetHealth",
                               {"TargetGroupArn": WEB_TG_ARN})
        self.assertEqual([nstext(t, "Target/Id", ELB2) for t in
                          xml(body).iter(ELB2 + "TargetHealthDescriptions") for t in t],
                         ["i-0a1b2c3d4e5f60002"])
        # Visible until 11:58 + 3600 s of the stand-in's clock, then forgotten.
        self.clock(now="2026-12-01T12:57:59Z")
        self.assertIn(WEB1, self.items())
        self.clock(advance=2)
        self.assertNotIn(WEB1, self.items())
        self.assertTrue(self.gone(WEB1))
        self.clock(advance=-7200)   # forgotten for good, even if the clock goes back
        self.assertTrue(self.gone(WEB1))

    def test_retention_default_and_per_instance(self):
        d = self.ok("POST", "/_control/retention", {"seconds": 60})
        self.assertEqual(d["retention_s"], 60)
        before = self.ok("GET", "/_control/clock")["now_epoch"]
        t = self.terminate()            # at the stand-in's "now"
        after = self.ok("GET", "/_control/clock")["now_epoch"]
        self.assertLessEqual(int(before), epoch(t["terminated_at"]))
        self.assertLessEqual(epoch(t["terminated_at"]), after)
        self.assertEqual(t["reason"], time.strftime("User initiated (%Y-%m-%d %H:%M:%S GMT)",
                                                    time.gmtime(epoch(t["terminated_at"]))))
        self.terminate("i-0a1b2c3d4e5f60002", retain_s=10, at=t["terminated_at"])
        self.clock(now=epoch(t["terminated_at"]) + 9)
        self.assertLessEqual({WEB1, "i-0a1b2c3d4e5f60002"}, set(self.items()))
        self.clock(now=epoch(t["terminated_at"]) + 11)
        self.assertEqual(set(self.items()) & {WEB1, "i-0a1b2c3d4e5f60002"}, {WEB1})
        self.clock(now=epoch(t["terminated_at"]) + 61)
        self.assertNotIn(WEB1, self.items())
        self.assertEqual(ctl(self.port, "POST", "/_control/retention", {"seconds": -1})[0], 400)
        self.assertEqual(ctl(self.port, "POST", "/_control/retention", {})[0], 400)

    def test_launch_reuses_the_released_address(self):
        self.clock(now="2026-12-01T12:00:00Z")
        st, d = self.launch()
        self.assertEqual(st, 409, d)      # 10.10.1.10 is prod-web-1's until it is terminated
        self.assertIn("InvalidIPAddress.InUse", d["error"])
        self.assertIn(WEB1, d["error"])
        self.terminate(at="2026-12-01T11:58:00Z")
        st, d = self.launch(launch_time="2026-12-01T12:03:00Z", type="m5.large")
        self.assertEqual(st, 200, d)
        self.assertEqual((d["id"], d["name"], d["state"], d["private_ip"], d["launch_time"]),
                         (NEW1, "prod-web-7", "running", "10.10.1.10",
                          "2026-12-01T12:03:00.000Z"))
        self.assertEqual(d["private_dns"], "ip-10-10-1-10.eu-west-2.compute.internal")
        # DescribeNetworkInterfaces finds the new holder only.
        found = self.enis(filters=[("addresses.private-ip-address", ["10.10.1.10"])])
        self.assertEqual(len(found), 1)
        self.assertEqual((nstext(found[0], "attachment/instanceId", EC2),
                          nstext(found[0], "attachment/attachTime", EC2),
                          nstext(found[0], "status", EC2), nstext(found[0], "subnetId", EC2)),
                         (NEW1, "2026-12-01T12:03:00.000Z", "in-use", WEB1_SUBNET))
        for f in ("private-ip-address", "network-interface.addresses.private-ip-address"):
            self.assertEqual(list(self.items(filters=[(f, ["10.10.1.10"])])), [NEW1], f)
        both = self.items(ids=[WEB1, NEW1])
        self.assertEqual(nstext(both[WEB1], "instanceState/name", EC2), "terminated")
        self.assertIsNone(nsf(both[WEB1], "privateIpAddress", EC2))
        new = both[NEW1]
        self.assertEqual([nstext(new, p, EC2) for p in (
            "instanceState/code", "launchTime", "privateIpAddress", "instanceType", "vpcId",
            "reason", "networkInterfaceSet/item/attachment/attachTime",
            "blockDeviceMapping/item/ebs/volumeId", "groupSet/item/groupName")],
            ["16", "2026-12-01T12:03:00.000Z", "10.10.1.10", "m5.large", "vpc-0111000000000a001",
             "", "2026-12-01T12:03:00.000Z", d["volume"], "default"])
        self.assertEqual([(nstext(t, "key", EC2), nstext(t, "value", EC2))
                          for t in nsall(new, "tagSet/item", EC2)], [("Name", "prod-web-7")])
        # Another account's 10.10.1.10 is its own business.
        self.assertEqual(list(self.items(DEV, filters=[("private-ip-address", ["10.10.1.10"])])),
                         [SANDBOX])
        r = self.ok("GET", "/_control/region?account=%s&region=eu-west-2" % PROD)
        self.assertEqual(r["counts"]["instance"], 4)
        self.assertEqual({i["id"]: i["state"] for i in r["instances"]}[WEB1], "terminated")
        # The same ID again, an address outside the subnet or reserved, an
        # unknown region or security group: refused.
        self.assertEqual(self.launch()[0], 409)
        self.assertEqual(self.launch(NEW2, private_ip="10.10.9.9")[0], 400)
        self.assertEqual(self.launch(NEW2, private_ip="10.10.0.2")[0], 400)
        self.assertEqual(self.launch(NEW2, region="ap-south-1")[0], 404)
        self.assertEqual(self.launch(NEW2, private_ip="10.10.1.11",
                                     security_groups=["sg-0111000000000ffff"])[0], 400)
        self.assertEqual(self.launch("i-nothex")[0], 400)
        st, d = self.launch(NEW2, private_ip="10.10.1.12", public_ip="18.130.99.99",
                            security_groups=["sg-0111000000000a001"], root_volume=False)
        self.assertEqual(st, 200, d)
        item = self.items(ids=[NEW2])[NEW2]
        self.assertEqual((nstext(item, "ipAddress", EC2),
                          nstext(item, "groupSet/item/groupName", EC2),
                          nsf(item, "blockDeviceMapping/item", EC2)),
                         ("18.130.99.99", "prod-web-sg", None))

    def test_clock_offset_dates_launches_and_decides_expiry(self):
        self.assertEqual(self.ok("GET", "/_control/clock")["offset"], 0)
        month = 30 * 86400
        d = self.clock(offset=month)
        self.assertAlmostEqual(d["now_epoch"], time.time() + month, delta=5)
        st, d = self.launch(private_ip="10.10.1.77")   # no launch_time: the stand-in's now
        self.assertEqual(st, 200, d)
        self.assertAlmostEqual(epoch(d["launch_time"]), time.time() + month, delta=5)
        item = self.items(ids=[NEW1])[NEW1]      # SigV4 still checks the real time
        self.assertEqual(nstext(item, "launchTime", EC2), d["launch_time"])
        t = self.terminate(NEW1)                  # no "at": the stand-in's now
        self.assertAlmostEqual(epoch(t["terminated_at"]), time.time() + month, delta=5)
        self.assertEqual(epoch(t["visible_until"]), epoch(t["terminated_at"]) + 3600)
        self.clock(now=epoch(t["terminated_at"]) + 3599)
        self.assertIn(NEW1, self.items())
        self.clock(advance=2)
        self.assertTrue(self.gone(NEW1))
        d = self.clock(now="2027-01-01T00:00:00Z")
        self.assertTrue(d["now"].startswith("2027-01-01T00:00:0"), d)
        for bad in ({}, {"offset": "soon"}, {"now": "yesterday"}, {"now": "2027-01-01T00:00"},
                    {"offset": 1, "advance": 1}):
            self.assertEqual(ctl(self.port, "POST", "/_control/clock", bad)[0], 400, bad)

    def test_terminate_refusals_idempotence_and_reset(self):
        for doc, status in (({"instance": "i-xyz"}, 400),
                            ({"account": PROD, "region": "eu-west-2",
                              "instance": "i-0123456789abcdef0"}, 404),
                            ({"account": PROD, "region": "eu-west-2", "instance": WEB1,
                              "at": "2025-02-28T00:00:00Z"}, 400),     # before its launch
                            ({"account": PROD, "region": "eu-west-2", "instance": WEB1,
                              "retain_s": -5}, 400),
                            ({"account": PROD, "region": "mars-1", "instance": WEB1}, 404)):
            self.assertEqual(ctl(self.port, "POST", "/_control/terminate", doc)[0], status, doc)
        # Without account and region, a fixture instance is found anyway.
        d = self.ok("POST", "/_control/terminate", {"instance": WEB1})
        self.assertEqual((d["account"], d["region"], d["changed"]), (PROD, "eu-west-2", True))
        again = self.ok("POST", "/_control/terminate", {"instance": WEB1})
        self.assertEqual((again["changed"], again["terminated_at"]),
                         (False, d["terminated_at"]))
        # A plain reset keeps the world; {"world": true} restores it and the clock.
        self.ok("POST", "/_control/reset", {})
        self.assertEqual(nstext(self.items(ids=[WEB1])[WEB1], "instanceState/name", EC2),
                         "terminated")
        self.clock(offset=100)
        self.ok("POST", "/_control/retention", {"seconds": 5})
        self.ok("POST", "/_control/reset", {"world": True})
        item = self.items(ids=[WEB1])[WEB1]
        self.assertEqual((nstext(item, "instanceState/name", EC2),
                          nstext(item, "privateIpAddress", EC2)), ("running", "10.10.1.10"))
        self.assertEqual(len(self.enis(filters=[("addresses.private-ip-address",
                                                 ["10.10.1.10"])])), 1)
        c = self.ok("GET", "/_control/clock")
        self.assertEqual((c["offset"], c["retention_s"]), (0, 3600))

    def test_fixture_terminated_at(self):
        doc = {"base_identity": FIX["base_identity"],
               "accounts": [{"id": PROD, "regions": {"eu-west-2": {"instances": [
                   {"id": "i-0abcdef0123456789", "state": "terminated",
                    "terminated_at": "2026-11-30T03:00:00Z"},
                   {"id": "i-0abcdef012345678a", "state": "terminated"}]}}}]}
        w = aws_standin.World(doc)
        a, b = w.accounts[PROD]["regions"]["eu-west-2"]["instances"]
        item = ET.fromstring(aws_standin.instance_xml(a))
        self.assertEqual(item.find("reason").text, "User initiated (2026-11-30 03:00:00 GMT)")
        self.assertEqual(item.find("stateReason/code").text, "Client.UserInitiatedShutdown")
        self.assertEqual(w.accounts[PROD]["regions"]["eu-west-2"]["expiring"],
                         {"i-0abcdef0123456789"})
        item = ET.fromstring(aws_standin.instance_xml(b))   # no time given: as before
        self.assertIsNone(item.find("reason").text)
        self.assertIsNone(item.find("stateReason"))
        doc["accounts"][0]["regions"]["eu-west-2"]["instances"][1]["terminated_at"] = "soon"
        with self.assertRaises(aws_standin.FixtureError):
            aws_standin.World(doc)


# ---------------------------------------------------------------------------
# --generate-org at the scale of issue 13: 1,000 accounts x 17 regions x 10
# ---------------------------------------------------------------------------

ORG_ARGS = ("--fixture", FIXTURE, "--generate-org", "1000", "17", "10", "--org-shape", "mixed",
            "--quiet")


def count_by_type(port, creds, region):
    """What a crawler of one account-region finds, by registry type name,
    asked through the AWS APIs (every list fits one page here)."""
    out = {}

    def ec2(action, set_name, params=None):
        st, _, body = ec2_call(port, creds, region, action, params)
        assert st == 200, body
        return len(nsall(xml(body), set_name + "/item", EC2))

    st, _, body = describe(port, creds, region)
    assert st == 200, body
    out["instance"] = len(instance_ids(body))
    out["network-interface"] = ec2("DescribeNetworkInterfaces", "networkInterfaceSet")
    out["security-group"] = ec2("DescribeSecurityGroups", "securityGroupInfo")
    out["subnet"] = ec2("DescribeSubnets", "subnetSet")
    out["vpc"] = ec2("DescribeVpcs", "vpcSet")
    out["volume"] = ec2("DescribeVolumes", "volumeSet")
    out["snapshot"] = ec2("DescribeSnapshots", "snapshotSet", {"Owner.1": "self"})
    out["internet-gateway"] = ec2("DescribeInternetGateways", "internetGatewaySet")
    out["launch-template"] = ec2("DescribeLaunchTemplates", "launchTemplates")
    st, _, body = api_call(port, creds, "elbv2", "DescribeLoadBalancers", region=region)
    assert st == 200, body
    out["load-balancer"] = len(list(xml(body).iter(ELB2 + "LoadBalancerArn")))
    st, _, body = api_call(port, creds, "rds", "DescribeDBInstances", region=region)
    assert st == 200, body
    out["db-instance"] = len(list(xml(body).iter(RDS + "DBInstance")))
    st, _, body = rest_get(port, creds, "/2015-03-31/functions/", region=region,
                           service="lambda")
    assert st == 200, body
    out["lambda-function"] = len(json.loads(body)["Functions"])
    return {k: v for k, v in out.items() if v}


class TestOrgAtScale(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        t0 = time.monotonic()
        cls.proc = Proc(STANDIN, *ORG_ARGS, start_timeout=60)
        cls.lazy_start_s = time.monotonic() - t0

    @classmethod
    def tearDownClass(cls):
        cls.proc.stop()

    def test_counts_and_spot_checks(self):
        port = self.proc.port
        org = ctl(port, "GET", "/_control/org")[1]
        self.assertEqual((org["generated"], org["accounts"], len(org["regions"]),
                          org["per_region"], org["total_resources"]),
                         (True, 1000, 17, 10, 170000))
        self.assertEqual(sum(org["resources"].values()), 170000)
        self.assertEqual(org["resources"]["vpc"], 17000)
        self.assertLess(org["built_regions"], 20)      # nothing built until asked
        spots = [("400000000000", "us-east-1"), ("400000000001", "eu-west-2"),
                 ("400000000499", "ap-south-1"), ("400000000998", "sa-east-1"),
                 ("400000000999", "eu-south-1")]
        kinds = set()
        for aid, region in spots:
            with self.subTest(account=aid, region=region):
                st, c = assume(port, aid)
                self.assertEqual(st, 200, c)
                r = ctl(port, "GET", "/_control/region?account=%s&region=%s"
                        % (aid, region))[1]
                self.assertEqual(r["counts"], r["generated_counts"])
                self.assertEqual(sum(r["counts"].values()), 10)
                self.assertEqual(count_by_type(port, creds3(c), region), r["counts"])
                kinds |= set(r["counts"])
        self.assertGreaterEqual(len(kinds), 8, kinds)    # a mix, not 10 instances
        st, c = assume(port, "400000000777")
        st, _, body = ec2_call(port, creds3(c), "eu-south-1", "DescribeRegions")
        self.assertEqual(len(nsall(xml(body), "regionInfo/item", EC2)), 17)
        self.assertLess(self.lazy_start_s, 10)

    def test_full_org_generation_time_and_rss(self):
        t0 = time.monotonic()
        p = Proc(STANDIN, *ORG_ARGS, "--org-preload", start_timeout=120)
        try:
            start_s = time.monotonic() - t0
            org = ctl(p.port, "GET", "/_control/org")[1]
        finally:
            p.stop()
        lazy = ctl(self.proc.port, "GET", "/_control/org")[1]
        self.assertEqual((org["built_regions"], org["builds"]), (17000, 17000))
        sys.stderr.write("\n  generate-org 1000x17x10 (mixed): %d resources; lazy start %.2f s "
                         "(RSS %d MiB); --org-preload: all 17,000 account-regions built in "
                         "%.2f s, start %.2f s, RSS %d MiB\n  "
                         % (org["total_resources"], self.lazy_start_s, lazy["rss_kb"] // 1024,
                            org["build_s"], start_s, org["rss_kb"] // 1024))
        self.assertLess(org["rss_kb"], 1024 * 1024)    # well under 1 GiB

    def test_lru_rebuilds_identically_and_keeps_changed_regions(self):
        spec = aws_standin.OrgSpec(50, 17, 10, shape="mixed")
        cache = aws_standin.RegionCache(spec, 2)
        a = cache.get(7, 3)
        cache.get(7, 4)
        cache.get(7, 5)
        self.assertEqual(cache.info()["built_regions"], 2)
        b = cache.get(7, 3)
        self.assertIsNot(a, b)
        self.assertEqual(a, b)
        p = cache.pin(9, 9)
        p["instances"] = []
        for ri in range(17):
            cache.get(10, ri)
        self.assertIs(cache.get(9, 9), p)
        self.assertEqual(cache.info()["pinned_regions"], 1)
        for ai in range(0, 50, 7):      # every residue of the mix, and the sums
            for ri in range(17):
                rd = aws_standin.norm_region(spec.account_id(ai), spec.region_names[ri],
                                             spec.region_doc(ai, ri))
                self.assertEqual(aws_standin.region_counts(rd), spec.counts(ai, ri))
                self.assertEqual(sum(spec.counts(ai, ri).values()), 10)
        self.assertEqual(spec.region_doc(3, 4), aws_standin.OrgSpec(50, 17, 10, shape="mixed")
                         .region_doc(3, 4))
        self.assertNotEqual(spec.region_doc(3, 4), aws_standin.OrgSpec(
            50, 17, 10, seed=2, shape="mixed").region_doc(3, 4))
        # Every address of every region (20 regions) is inside its subnet.
        big = aws_standin.OrgSpec(3, 20, 40, shape="mixed")
        for ri in range(20):
            doc = big.region_doc(2, ri)
            net = ipaddress.IPv4Network(doc["subnets"][0]["cidr"])
            ips = [i["private_ip"] for i in doc["instances"]] + \
                [e["private_ip"] for e in doc["network_interfaces"]]
            self.assertEqual(len(set(ips)), len(ips))
            self.assertTrue(all(ipaddress.IPv4Address(x) in net for x in ips), ips)
        for bad in ((1, 17, 6, "mixed"), (1, 17, 1001, "mixed"), (1, 17, 509, "instances"),
                    (0, 17, 10, "mixed"), (1, 17, 10, "round")):
            with self.assertRaises(ValueError):
                aws_standin.OrgSpec(bad[0], bad[1], bad[2], shape=bad[3])

    def test_change_in_a_generated_org_survives_the_cache(self):
        p = Proc(STANDIN, "--fixture", FIXTURE, "--generate-org", "20", "17", "10",
                 "--org-shape", "mixed", "--org-cache-regions", "2", "--quiet")
        try:
            aid, region = "400000000007", "ap-northeast-1"
            # The org is a pure function of its arguments: a test can know
            # its IDs without asking.
            first = aws_standin.OrgSpec(20, 17, 10, shape="mixed").region_doc(
                7, 7)["instances"][0]
            iid = first["id"]
            st, d = ctl(p.port, "POST", "/_control/terminate", {"instance": iid})
            self.assertEqual(st, 404, d)          # not built yet: name the account-region
            self.assertIn("generated org", d["error"])
            st, d = ctl(p.port, "POST", "/_control/terminate",
                        {"account": aid, "region": region, "instance": iid})
            self.assertEqual(st, 200, d)
            r = ctl(p.port, "GET", "/_control/region?account=%s&region=%s" % (aid, region))[1]
            self.assertEqual(r["instances"][0]["id"], iid)
            for other in ("us-east-1", "eu-west-2", "eu-west-1", "us-west-2"):
                ctl(p.port, "GET", "/_control/region?account=%s&region=%s" % (aid, other))
            info = ctl(p.port, "GET", "/_control/org")[1]
            self.assertEqual((info["pinned_regions"], info["built_regions"]), (1, 3))
            st, c = assume(p.port, aid)
            st, _, body = describe(p.port, creds3(c), region, ids=[iid])
            self.assertEqual(nstext(xml(body).find(".//" + EC2 + "instancesSet/" + EC2 +
                                                   "item"), "instanceState/name", EC2),
                             "terminated")
            st, d = ctl(p.port, "POST", "/_control/launch",
                        {"account": aid, "region": region, "instance": NEW1,
                         "subnet": first["subnet"], "private_ip": first["private_ip"],
                         "name": "reused"})
            self.assertEqual(st, 200, d)
            st, _, body = describe(p.port, creds3(c), region, action="DescribeNetworkInterfaces",
                                   filters=[("addresses.private-ip-address",
                                             [first["private_ip"]])])
            self.assertEqual([nstext(e, "attachment/instanceId", EC2) for e in eni_items(body)],
                             [NEW1])
        finally:
            p.stop()


class TestSlackReceiver(unittest.TestCase):
    def setUp(self):
        self.port = SERVERS["slack"].port
        http_req(self.port, "POST", "/_reset")

    def post(self, path, obj):
        return http_req(self.port, "POST", path, json.dumps(obj).encode(),
                    {"Content-Type": "application/json"})

    def messages(self):
        return json.loads(http_req(self.port, "GET", "/_messages")[2])

    def test_records_messages(self):
        st, _, body = self.post("/hooks/T1/B1/xyz", {"text": "hello", "response_type":
                                                     "ephemeral"})
        self.assertEqual((st, body), (200, b"ok"))
        self.post("/hooks/T1/B1/abc", {"text": "other"})
        m = self.messages()
        self.assertEqual(m["counts"], {"/hooks/T1/B1/xyz": 1, "/hooks/T1/B1/abc": 1})
        self.assertEqual(m["messages"][0]["path"], "/hooks/T1/B1/xyz")
        self.assertEqual(m["messages"][0]["body"]["text"], "hello")
        self.assertIsInstance(m["messages"][0]["time"], float)
        one = json.loads(http_req(self.port, "GET", "/_messages?path=/hooks/T1/B1/abc")[2])
        self.assertEqual([x["body"]["text"] for x in one["messages"]], ["other"])

    def test_fail_n_then_succeed(self):
        http_req(self.port, "POST", "/_control", json.dumps({"fail_next": 2}).encode())
        statuses = [self.post("/hooks/T/B/r", {"text": "final"})[0] for _ in range(3)]
        self.assertEqual(statuses, [500, 500, 200])
        m = self.messages()
        self.assertEqual(m["counts"], {"/hooks/T/B/r": 1})
        self.assertEqual(m["attempts"], {"/hooks/T/B/r": 3})

    def test_always_fail_and_reset(self):
        http_req(self.port, "POST", "/_control", json.dumps({"always_fail": True}).encode())
        self.assertEqual([self.post("/h", {})[0] for _ in range(3)], [500] * 3)
        http_req(self.port, "POST", "/_reset")
        self.assertEqual(self.post("/h", {})[0], 200)
        self.assertEqual(self.messages()["counts"], {"/h": 1})


class TestLifecycle(unittest.TestCase):
    def test_refuses_non_loopback(self):
        for script in (STANDIN, RECEIVER):
            with self.subTest(script=os.path.basename(script)):
                r = subprocess.run([sys.executable, script, "--host", "0.0.0.0", "--port", "0"],
                                   capture_output=True, timeout=START_TIMEOUT)
                self.assertEqual(r.returncode, 2)
                self.assertIn(b"non-loopback", r.stderr)

    def test_sigterm_clean_exit(self):
        for script in (STANDIN, RECEIVER):
            with self.subTest(script=os.path.basename(script)):
                p = Proc(script)
                self.assertEqual(http_req(p.port, "GET", "/_control/health" if script == STANDIN
                                      else "/_messages")[0], 200)
                self.assertEqual(p.stop(), 0)

    def test_ipv6_loopback(self):
        if not socket.has_ipv6:
            self.skipTest("no IPv6")
        try:
            p = Proc(STANDIN, "--host", "::1", "--quiet")
        except RuntimeError:
            self.skipTest("::1 not bindable here")
        try:
            conn = http.client.HTTPConnection("::1", p.port, timeout=TIMEOUT)
            conn.request("GET", "/_control/health")
            self.assertEqual(conn.getresponse().status, 200)
            conn.close()
        finally:
            p.stop()


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    res = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    passed = res.testsRun - len(res.failures) - len(res.errors) - len(res.skipped) \
        - len(res.unexpectedSuccesses)
    print("%d passed, %d failed" % (max(passed, 0), failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
