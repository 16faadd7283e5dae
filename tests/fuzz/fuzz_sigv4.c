/*
 * fuzz_sigv4.c - feed hostile request parts to the SigV4 canonicaliser and
 * the query-protocol builder.
 *
 * Input: fields separated by NUL bytes:
 *   path \0 query \0 name1 \0 value1 \0 name2 \0 value2 \0 endpoint \0 body
 * Missing fields are empty. Both signing modes run on every input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/query.h"
#include "aws/sigv4.h"

/* Enough fields for the layout above. */
#define N_FIELDS 8

/* libFuzzer's entry point; declared here for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void s_check_result(const struct sigv4_result *r)
{
	size_t i;

	if (strlen(r->signature) != 64 || r->canonical_request == NULL ||
	    r->string_to_sign == NULL)
		abort();
	for (i = 0; i < 64; i++)
		if (!((r->signature[i] >= '0' && r->signature[i] <= '9') ||
		      (r->signature[i] >= 'a' && r->signature[i] <= 'f')))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[N_FIELDS];
	char *copy = malloc(size + 1);
	struct sigv4_header h[3];
	struct sigv4_request req;
	struct sigv4_credentials cr = {"AKIDEXAMPLE", "secret", "token"};
	struct sigv4_params p;
	struct sigv4_result res;
	struct aws_query_input in;
	struct aws_query_request *qr = NULL;
	struct aws_query_param qp[1];
	size_t i, k = 0, start = 0, body_len = 0;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 0; i < N_FIELDS; i++)
		f[i] = "";
	for (i = 0; i <= size && k < N_FIELDS; i++) {
		if (i == size || copy[i] == '\0') {
			f[k++] = copy + start;
			start = i + 1;
		}
	}
	if (k == N_FIELDS) /* the body is everything after the 7th NUL */
		body_len = size - (size_t)(f[7] - copy);

	h[0] = (struct sigv4_header){"Host", "example.amazonaws.com"};
	h[1] = (struct sigv4_header){f[2], f[3]};
	h[2] = (struct sigv4_header){f[4], f[5]};
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = f[0];
	req.query = f[1];
	req.headers = h;
	req.n_headers = 3;
	req.body = f[7];
	req.body_len = body_len;
	memset(&p, 0, sizeof(p));
	p.region = "us-east-1";
	p.service = "service";
	p.now = 1440938160;
	p.expires = 3600;
	for (i = 0; i < 4; i++) {
		p.mode = i < 2 ? SIGV4_MODE_HEADER : SIGV4_MODE_QUERY;
		p.normalize_path = (int)(i % 2);
		p.sign_body = (int)(i % 2);
		p.omit_session_token = (int)(i / 2);
		if (sigv4_sign(&req, &cr, &p, &res, NULL) == 0)
			s_check_result(&res);
		sigv4_result_free(&res);
	}

	qp[0] = (struct aws_query_param){f[2][0] ? f[2] : "X", f[3]};
	memset(&in, 0, sizeof(in));
	in.action = "DescribeInstances";
	in.version = "2016-11-15";
	in.params = qp;
	in.n_params = 1;
	in.access_key_id = "AKIDEXAMPLE";
	in.secret_access_key = "secret";
	in.region = "us-east-1";
	in.service = "ec2";
	in.endpoint = f[6];
	in.now = 1440938160;
	if (aws_query_build(&in, &qr, NULL) == 0 &&
	    (qr == NULL || qr->n_headers != 4 || strchr(qr->host, '/') != NULL))
		abort();
	aws_query_request_free(qr);
	free(copy);
	return 0;
}
