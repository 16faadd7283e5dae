#!/usr/bin/python3
"""Self-test of the AWS stand-in and the Slack receiver (stdlib unittest only).

Run:  python3 tests/standin/test_standin.py      (SI_TESTDATA defaults to tests/data/shared)
Last line printed: "N passed, N failed"; exit status non-zero on any failure.
"""

import datetime
import hashlib
import hmac
import http.client
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
    def __init__(self, script, *args):
        self.tmp = tempfile.mkdtemp(prefix="standin-test-")
        self.port_file = os.path.join(self.tmp, "port")
        self.log_path = os.path.join(self.tmp, "stderr.log")
        self.log = open(self.log_path, "wb")
        self.p = subprocess.Popen([sys.executable, script, "--port", "0", "--port-file",
                                   self.port_file] + list(args),
                                  stdout=subprocess.PIPE, stderr=self.log)
        r, _, _ = select.select([self.p.stdout], [], [], START_TIMEOUT)
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
                          "--fault", "%s:http500@ec2" % DEV, "--quiet")
    SERVERS["slack"] = Proc(RECEIVER)


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
            ([("vpc-id", ["vpc-0prod000000000001"])], {P1, P2, P3}),
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
