#!/usr/bin/env bash
# make_test_ca.sh DIR: a throw-away certificate authority and a server
# certificate it signed, for running the AWS stand-in over HTTPS
# (aws_standin.py --tls-cert DIR/server.pem --tls-key DIR/server.key) and
# pointing the worker at the CA (AWS_CA_BUNDLE=DIR/ca.pem, as the AWS SDKs
# read it; curl(1) reads CURL_CA_BUNDLE). The server certificate names the
# loopback addresses only (127.0.0.1, ::1, localhost). ECDSA P-256: the
# stand-in shares the machine's CPUs with the worker under test, and an
# RSA signature per handshake would make the stand-in, not the worker, the
# cost of a cold search (AWS's servers sign on their own CPUs). Valid for
# two days; the CA's key is deleted once it has signed.
set -eu
dir=${1:?usage: make_test_ca.sh DIR}
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=slash-infra test CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	-keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
	-keyout server.key -out server.csr 2>/dev/null
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
	"extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile server.ext -out server.pem 2>/dev/null
rm -f ca.key ca.srl server.csr server.ext
chmod 600 server.key
