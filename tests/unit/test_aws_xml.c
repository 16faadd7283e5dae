/*
 * test_aws_xml.c - aws_xml parsers against the shared AWS samples
 * ($SI_TESTDATA/aws-xml, compared with botocore's expected parse where it
 * exists) and against hostile inputs of our own (tests/data/aws_xml).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <libxml/parser.h>
#include <pthread.h>

#include "aws/xml.h"
#include "fixture.h"
#include "util/iso8601.h"
#include "util/strutil.h"

/* Where our own inputs live; the build may point elsewhere with
 * -DSI_AWS_XML_DATA_DIR or the environment variable of the same name. */
#ifndef SI_AWS_XML_DATA_DIR
#define SI_AWS_XML_DATA_DIR "tests/data/aws_xml"
#endif

/* ---- helpers --------------------------------------------------------- */

/* A shared sample from $SI_TESTDATA/aws-xml. */
static struct fixture_blob s_sample(const char *name)
{
	return fixture_shared("aws-xml", name);
}

/* One of our own inputs. */
static struct fixture_blob s_own(const char *name)
{
	const char *dir = getenv("SI_AWS_XML_DATA_DIR");

	return fixture_load_in(dir != NULL ? dir : SI_AWS_XML_DATA_DIR, name);
}

static struct json_object *s_expected(const char *name)
{
	struct fixture_blob b = s_sample(name);
	struct json_object *j = fixture_json(&b, name);

	free(b.data);
	return j;
}

/* XML timestamps (STS Expiration, LaunchTime) go through the shared
 * parser; these cases pin the rules the XML answers need of it. */
static int s_time(const char *s, time_t *t, struct si_err *err)
{
	return si_iso8601_parse(s, s != NULL ? strlen(s) : 0, t, err);
}

/* botocore gives "" or leaves a key out where our structs hold NULL. */
static void s_assert_jstr(struct json_object *o, const char *key, const char *got)
{
	struct json_object *v = fixture_get(o, key);
	const char *want = v != NULL ? json_object_get_string(v) : NULL;

	if (want != NULL && want[0] == '\0')
		want = NULL;
	if (want == NULL) {
		if (got != NULL)
			fail_msg("%s: expected absent, got \"%s\"", key, got);
		return;
	}
	if (got == NULL)
		fail_msg("%s: expected \"%s\", got NULL", key, want);
	assert_string_equal(got, want);
}

static void s_assert_tags(struct json_object *jtags, const struct ec2_tag *tags,
			  size_t n)
{
	size_t jn = jtags != NULL ? json_object_array_length(jtags) : 0;

	assert_int_equal(n, jn);
	for (size_t i = 0; i < jn; i++) {
		struct json_object *t = json_object_array_get_idx(jtags, i);

		assert_string_equal(tags[i].key,
				    json_object_get_string(fixture_get(t, "Key")));
		/* Tag values are the one place "" is kept. */
		assert_string_equal(tags[i].value,
				    json_object_get_string(fixture_get(t, "Value")));
	}
}

/* Every field of an ENI that botocore's parse shows. */
static void s_assert_eni(struct json_object *j, const struct ec2_eni *e)
{
	struct json_object *ips = fixture_get(j, "PrivateIpAddresses");
	struct json_object *rm = fixture_get(j, "RequesterManaged");

	s_assert_jstr(j, "NetworkInterfaceId", e->eni_id);
	s_assert_jstr(j, "Description", e->description);
	s_assert_jstr(j, "Status", e->status);
	s_assert_jstr(j, "VpcId", e->vpc_id);
	s_assert_jstr(j, "SubnetId", e->subnet_id);
	s_assert_jstr(j, "AvailabilityZone", e->az);
	s_assert_jstr(j, "OwnerId", e->owner_id);
	s_assert_jstr(j, "MacAddress", e->mac);
	s_assert_jstr(j, "InterfaceType", e->interface_type);
	s_assert_jstr(j, "RequesterId", e->requester_id);
	s_assert_jstr(fixture_get(j, "Attachment"), "InstanceId", e->attached_instance_id);
	assert_int_equal(e->requester_managed,
			 rm != NULL && json_object_get_boolean(rm));
	assert_int_equal(e->n_ips, json_object_array_length(ips));
	for (size_t i = 0; i < e->n_ips; i++) {
		struct json_object *ip = json_object_array_get_idx(ips, i);

		s_assert_jstr(ip, "PrivateIpAddress", e->ips[i].private_ip);
		s_assert_jstr(ip, "PrivateDnsName", e->ips[i].private_dns);
		assert_int_equal(e->ips[i].primary,
				 json_object_get_boolean(fixture_get(ip, "Primary")));
		s_assert_jstr(fixture_get(ip, "Association"), "PublicIp", e->ips[i].public_ip);
	}
	s_assert_tags(fixture_get(j, "TagSet"), e->tags, e->n_tags);
}

/* ---- STS ------------------------------------------------------------- */

static void test_assume_role_awsdocs(void **state)
{
	struct fixture_blob b = s_sample("sts-assume-role-response.awsdocs.xml");
	struct sts_credentials c;
	struct si_err err = { 0 };

	(void)state;
	assert_int_equal(aws_xml_parse_assume_role(b.data, b.len, &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIAIOSFODNN7EXAMPLE");
	/* Surrounding newlines/indentation of the doc sample are trimmed. */
	assert_string_equal(c.secret_access_key,
			    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
	assert_true(SI_HAS_PREFIX(c.session_token, "AQoDYXdzEPT//////////wEXAMPLEtc764"));
	assert_true(strlen(c.session_token) > SI_LITLEN("AQoDYXdzEPT//////////wEXAMPLEtc764"));
	assert_string_equal(c.session_token + strlen(c.session_token) - 9,
			    "R/oLxBA==");
	assert_string_equal(c.assumed_role_arn,
			    "arn:aws:sts::123456789012:assumed-role/demo/John");
	/* 2019-07-15T23:28:33Z (date -u -d ... +%s); the .359 is dropped. */
	assert_int_equal(c.expiration, 1563233313);
	sts_credentials_clear(&c);
	free(b.data);
}

static void test_get_session_token_botocore(void **state)
{
	struct fixture_blob b = s_sample("sts-get-session-token-response.botocore.xml");
	struct json_object *j = s_expected("sts-get-session-token-response.botocore.expected.json");
	struct json_object *jc = fixture_get(j, "Credentials");
	struct sts_credentials c;
	struct si_err err = { 0 };
	time_t want;

	(void)state;
	assert_int_equal(aws_xml_parse_assume_role(b.data, b.len, &c, &err), 0);
	s_assert_jstr(jc, "AccessKeyId", c.access_key_id);
	s_assert_jstr(jc, "SecretAccessKey", c.secret_access_key);
	/* botocore keeps the inner line breaks, and so do we. */
	s_assert_jstr(jc, "SessionToken", c.session_token);
	assert_int_equal(s_time(json_object_get_string(fixture_get(jc, "Expiration")),
					    &want, &err), 0);
	assert_int_equal(c.expiration, want);
	assert_int_equal(c.expiration, 1310414129); /* date -u -d 2011-07-11T19:55:29Z */
	assert_null(c.assumed_role_arn);
	sts_credentials_clear(&c);
	json_object_put(j);
	free(b.data);
}

static void test_assume_role_missing_secret(void **state)
{
	static const char x[] =
		"<AssumeRoleResponse><AssumeRoleResult><Credentials>"
		"<AccessKeyId>AKID</AccessKeyId><SessionToken>t</SessionToken>"
		"<Expiration>2019-07-15T23:28:33Z</Expiration>"
		"</Credentials></AssumeRoleResult></AssumeRoleResponse>";
	struct sts_credentials c;
	struct si_err err = { 0 };

	(void)state;
	assert_int_equal(aws_xml_parse_assume_role(x, sizeof(x) - 1, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(c.access_key_id);
}

static void test_assume_role_bad_expiration(void **state)
{
	static const char x[] =
		"<AssumeRoleResponse><AssumeRoleResult><Credentials>"
		"<AccessKeyId>AKID</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
		"<SessionToken>t</SessionToken><Expiration>tomorrow</Expiration>"
		"</Credentials></AssumeRoleResult></AssumeRoleResponse>";
	struct sts_credentials c;
	struct si_err err = { 0 };

	(void)state;
	assert_int_equal(aws_xml_parse_assume_role(x, sizeof(x) - 1, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(c.secret_access_key);
}

static void test_assume_role_given_error_is_remote(void **state)
{
	struct fixture_blob b = s_sample("sts-assume-role-error-accessdenied.captured.xml");
	struct sts_credentials c;
	struct si_err err = { 0 };

	(void)state;
	assert_int_equal(aws_xml_parse_assume_role(b.data, b.len, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_REMOTE);
	assert_non_null(strstr(err.msg, "AccessDenied"));
	free(b.data);
}

/* ---- errors ---------------------------------------------------------- */

static void s_check_error_expected(const char *xml_name, const char *json_name)
{
	struct fixture_blob b = s_sample(xml_name);
	struct json_object *j = s_expected(json_name);
	struct aws_error e;
	struct si_err err = { 0 };

	assert_int_equal(aws_xml_parse_error(b.data, b.len, &e, &err), 0);
	s_assert_jstr(fixture_get(j, "Error"), "Code", e.code);
	s_assert_jstr(fixture_get(j, "Error"), "Message", e.message);
	s_assert_jstr(fixture_get(j, "ResponseMetadata"), "RequestId", e.request_id);
	aws_error_clear(&e);
	json_object_put(j);
	free(b.data);
}

static void test_error_sts_botocore(void **state)
{
	(void)state;
	s_check_error_expected("sts-error-accessdenied.botocore.xml",
			       "sts-error-accessdenied.botocore.expected.json");
}

static void test_error_ec2_malformed_botocore(void **state)
{
	(void)state;
	s_check_error_expected("ec2-error-invalidinstanceid-malformed.botocore.xml",
			       "ec2-error-invalidinstanceid-malformed.botocore.expected.json");
}

static void s_check_error(const char *name, const char *code, const char *msg,
			  const char *rid)
{
	struct fixture_blob b = s_sample(name);
	struct aws_error e;
	struct si_err err = { 0 };

	assert_int_equal(aws_xml_parse_error(b.data, b.len, &e, &err), 0);
	assert_string_equal(e.code, code);
	if (msg[0] == '+')
		assert_true(strncmp(e.message, msg + 1, strlen(msg + 1)) == 0);
	else
		assert_string_equal(e.message, msg);
	assert_string_equal(e.request_id, rid);
	aws_error_clear(&e);
	free(b.data);
}

static void test_error_ec2_notfound_awsdocs(void **state)
{
	(void)state;
	s_check_error("ec2-error-invalidinstanceid-notfound.awsdocs.xml",
		      "InvalidInstanceID.NotFound",
		      "The instance ID 'i-1a2b3c4d' does not exist",
		      "ea966190-f9aa-478e-9ede-example");
}

static void test_error_ec2_authfailure_captured(void **state)
{
	(void)state;
	s_check_error("ec2-error-authfailure.captured.xml", "AuthFailure",
		      "AWS was not able to validate the provided access credentials",
		      "5b48c718-a402-4c2f-b776-8ebea01ae49d");
}

static void test_error_sts_assume_role_captured(void **state)
{
	(void)state;
	s_check_error("sts-assume-role-error-accessdenied.captured.xml", "AccessDenied",
		      "+User: arn:aws:sts::\"my account number\":assumed-role/",
		      "fa2bundlksjdlfjs0uw9ue9");
}

static void test_error_on_success_answer_fails(void **state)
{
	struct fixture_blob b = s_sample("ec2-describe-instances.awsdocs.xml");
	struct aws_error e;
	struct si_err err = { 0 };

	(void)state;
	assert_int_equal(aws_xml_parse_error(b.data, b.len, &e, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(e.code);
	free(b.data);
}

/* An envelope without Code is still an error answer: the code is absent
 * (aws_error_describe turns that into "HTTP nnn, no error code"). */
static void test_error_without_code(void **state)
{
	static const char x[] = "<Response><Errors><Error><Message>m</Message>"
				"</Error></Errors></Response>";
	struct aws_error e;
	struct si_err err = { 0 };

	(void)state;
	assert_int_equal(aws_xml_parse_error(x, sizeof(x) - 1, &e, &err), 0);
	assert_null(e.code);
	assert_string_equal(e.message, "m");
	aws_error_clear(&e);
}

/* ---- DescribeInstances ----------------------------------------------- */

static void test_describe_instances_botocore(void **state)
{
	struct fixture_blob b = s_sample("ec2-describe-instances.botocore.xml");
	struct json_object *j = s_expected("ec2-describe-instances.botocore.expected.json");
	struct json_object *res = fixture_get(j, "Reservations");
	struct ec2_instance_list l;
	struct si_err err = { 0 };
	size_t k = 0;

	(void)state;
	assert_int_equal(aws_xml_parse_describe_instances(b.data, b.len, &l, &err), 0);
	for (size_t r = 0; r < json_object_array_length(res); r++) {
		struct json_object *jr = json_object_array_get_idx(res, r);
		struct json_object *insts = fixture_get(jr, "Instances");

		for (size_t i = 0; i < json_object_array_length(insts); i++, k++) {
			struct json_object *ji = json_object_array_get_idx(insts, i);
			struct json_object *jenis = fixture_get(ji, "NetworkInterfaces");
			const struct ec2_instance *in = &l.items[k];

			assert_true(k < l.n);
			s_assert_jstr(jr, "OwnerId", in->owner_id);
			s_assert_jstr(ji, "InstanceId", in->instance_id);
			s_assert_jstr(ji, "InstanceType", in->instance_type);
			s_assert_jstr(fixture_get(ji, "State"), "Name", in->state);
			s_assert_jstr(fixture_get(ji, "Placement"), "AvailabilityZone", in->az);
			s_assert_jstr(ji, "LaunchTime", in->launch_time);
			s_assert_jstr(ji, "ImageId", in->image_id);
			s_assert_jstr(ji, "VpcId", in->vpc_id);
			s_assert_jstr(ji, "SubnetId", in->subnet_id);
			s_assert_jstr(ji, "PrivateIpAddress", in->private_ip);
			s_assert_jstr(ji, "PrivateDnsName", in->private_dns);
			s_assert_jstr(ji, "PublicIpAddress", in->public_ip);
			s_assert_jstr(ji, "PublicDnsName", in->public_dns);
			s_assert_jstr(ji, "KeyName", in->key_name);
			s_assert_jstr(ji, "Platform", in->platform);
			s_assert_tags(fixture_get(ji, "Tags"), in->tags, in->n_tags);
			assert_int_equal(in->n_enis, json_object_array_length(jenis));
			assert_int_equal(in->n_ipv6, 0);
		}
	}
	assert_int_equal(l.n, k);
	assert_int_equal(l.n, 2);
	assert_null(l.next_token); /* botocore shows no NextToken */
	ec2_instance_list_free(&l);
	json_object_put(j);
	free(b.data);
}

static void test_describe_instances_awsdocs(void **state)
{
	struct fixture_blob b = s_sample("ec2-describe-instances.awsdocs.xml");
	struct ec2_instance_list l;
	struct si_err err = { 0 };
	const struct ec2_instance *in;
	const struct ec2_eni *e;

	(void)state;
	assert_int_equal(aws_xml_parse_describe_instances(b.data, b.len, &l, &err), 0);
	assert_int_equal(l.n, 1);
	in = &l.items[0];
	assert_string_equal(in->instance_id, "i-1234567890abcdef0");
	assert_string_equal(in->instance_type, "t2.micro");
	assert_string_equal(in->state, "running");
	assert_string_equal(in->az, "eu-west-1c");
	assert_string_equal(in->launch_time, "2018-05-08T16:46:19.000Z");
	assert_string_equal(in->image_id, "ami-bff32ccc");
	assert_string_equal(in->vpc_id, "vpc-11112222");
	assert_string_equal(in->subnet_id, "subnet-56f5f633");
	assert_string_equal(in->private_ip, "192.168.1.88");
	assert_string_equal(in->private_dns, "ip-192-168-1-88.eu-west-1.compute.internal");
	assert_string_equal(in->public_ip, "54.194.252.215");
	assert_string_equal(in->public_dns, "ec2-54-194-252-215.eu-west-1.compute.amazonaws.com");
	assert_string_equal(in->key_name, "my_keypair");
	assert_null(in->platform);
	assert_string_equal(in->owner_id, "123456789012");
	assert_int_equal(in->n_tags, 1);
	assert_string_equal(ec2_tag_get(in->tags, in->n_tags, "Name"), "Server_1");
	assert_int_equal(in->n_enis, 1);
	e = &in->enis[0];
	assert_string_equal(e->eni_id, "eni-551ba033");
	assert_string_equal(e->description, "Primary network interface");
	assert_string_equal(e->status, "in-use");
	assert_string_equal(e->vpc_id, "vpc-11112222");
	assert_string_equal(e->subnet_id, "subnet-56f5f633");
	assert_string_equal(e->owner_id, "123456789012");
	assert_string_equal(e->mac, "02:dd:2c:5e:01:69");
	assert_null(e->interface_type);
	assert_null(e->attached_instance_id); /* this attachment has no instanceId */
	assert_int_equal(e->n_ips, 1);
	assert_string_equal(e->ips[0].private_ip, "192.168.1.88");
	assert_string_equal(e->ips[0].private_dns, "ip-192-168-1-88.eu-west-1.compute.internal");
	assert_int_equal(e->ips[0].primary, 1);
	assert_string_equal(e->ips[0].public_ip, "54.194.252.215");
	assert_string_equal(e->ips[0].public_dns,
			    "ec2-54-194-252-215.eu-west-1.compute.amazonaws.com");
	assert_int_equal(e->n_ipv6, 1);
	assert_string_equal(e->ipv6[0], "2001:db8:1234:1a2b::123");
	assert_int_equal(in->n_ipv6, 1);
	assert_string_equal(in->ipv6[0], "2001:db8:1234:1a2b::123");
	assert_null(l.next_token);
	ec2_instance_list_free(&l);
	free(b.data);
}

static void test_describe_instances_nexttoken_synthetic(void **state)
{
	struct fixture_blob b = s_own("describe-instances-nexttoken.synthetic.xml");
	struct ec2_instance_list l;
	struct si_err err = { 0 };
	const struct ec2_instance *a, *s;

	(void)state;
	assert_int_equal(aws_xml_parse_describe_instances(b.data, b.len, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.next_token, "eyJ2IjoiMiIsImMiOiJzeW50aGV0aWMifQ==");
	a = &l.items[0];
	s = &l.items[1];
	assert_string_equal(a->owner_id, "111122223333");
	assert_string_equal(s->owner_id, "444455556666");
	assert_string_equal(a->public_ip, "203.0.113.10");
	assert_string_equal(ec2_tag_get(a->tags, a->n_tags, "Name"), "web & api");
	assert_string_equal(ec2_tag_get(a->tags, a->n_tags, "env"), "prod");
	assert_int_equal(a->n_enis, 2);
	assert_string_equal(a->enis[0].interface_type, "interface");
	assert_string_equal(a->enis[1].interface_type, "efa");
	assert_null(a->enis[1].description);
	assert_int_equal(a->enis[0].n_ips, 2);
	assert_string_equal(a->enis[0].ips[1].private_ip, "10.0.1.11");
	assert_int_equal(a->enis[0].ips[1].primary, 0);
	assert_string_equal(a->enis[0].ips[1].public_ip, "203.0.113.11");
	assert_null(a->enis[0].ips[1].public_dns);
	/* ENI-level association stands in for the primary's missing one. */
	assert_string_equal(a->enis[1].ips[0].public_ip, "198.51.100.7");
	/* Union of both ENIs' IPv6, the repeated one once. */
	assert_int_equal(a->n_ipv6, 3);
	assert_string_equal(a->ipv6[0], "2001:db8:1::10");
	assert_string_equal(a->ipv6[1], "2001:db8:1::11");
	assert_string_equal(a->ipv6[2], "2001:db8:2::20");
	/* Stopped instance: empty elements are NULL, the ENI's address is not
	 * mistaken for the instance's, the empty tag value is "". */
	assert_string_equal(s->state, "stopped");
	assert_string_equal(s->platform, "windows");
	assert_null(s->public_ip);
	assert_null(s->public_dns);
	assert_null(s->private_dns);
	assert_null(s->private_ip);
	assert_string_equal(ec2_tag_get(s->tags, s->n_tags, "empty"), "");
	assert_string_equal(s->enis[0].ips[0].private_ip, "10.0.3.30");
	ec2_instance_list_free(&l);
	free(b.data);
}

static void test_describe_instances_given_error_is_remote(void **state)
{
	struct fixture_blob b = s_sample("ec2-error-authfailure.captured.xml");
	struct ec2_instance_list l;
	struct si_err err = { 0 };

	(void)state;
	assert_int_equal(aws_xml_parse_describe_instances(b.data, b.len, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_REMOTE);
	assert_non_null(strstr(err.msg, "AuthFailure"));
	assert_int_equal(l.n, 0);
	free(b.data);
}

static void test_wrong_root_rejected(void **state)
{
	struct fixture_blob b = s_sample("ec2-describe-network-interfaces.awsdocs.xml");
	struct ec2_instance_list l;
	struct sts_credentials c;
	struct si_err err = { 0 };
	char **r;
	size_t n;

	(void)state;
	assert_int_equal(aws_xml_parse_describe_instances(b.data, b.len, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_non_null(strstr(err.msg, "DescribeNetworkInterfacesResponse"));
	assert_int_equal(aws_xml_parse_assume_role(b.data, b.len, &c, &err), -1);
	assert_int_equal(aws_xml_parse_describe_regions(b.data, b.len, &r, &n, &err), -1);
	assert_null(r);
	free(b.data);
}

/* The spot-price page has DescribeInstances' nextToken placement (after a
 * 1000-item set, 314 KB): renamed, it must give 0 instances and botocore's
 * NextToken. */
static void test_nexttoken_after_large_item_set(void **state)
{
	static const char from[] = "DescribeSpotPriceHistoryResponse";
	static const char to[] = "DescribeInstancesResponse";
	struct fixture_blob b = s_sample("ec2-describe-spot-price-history.nexttoken.botocore.xml");
	struct json_object *j =
		s_expected("ec2-describe-spot-price-history.nexttoken.botocore.expected.json");
	struct ec2_instance_list l;
	struct si_err err = { 0 };
	char *x = malloc(b.len + 1);
	size_t xn = 0;

	(void)state;
	assert_non_null(x);
	assert_int_equal(aws_xml_parse_describe_instances(b.data, b.len, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	for (size_t i = 0; i < b.len;) {
		if (b.len - i >= sizeof(from) - 1 &&
		    memcmp(b.data + i, from, sizeof(from) - 1) == 0) {
			memcpy(x + xn, to, sizeof(to) - 1);
			xn += sizeof(to) - 1;
			i += sizeof(from) - 1;
		} else {
			x[xn++] = b.data[i++];
		}
	}
	assert_int_equal(aws_xml_parse_describe_instances(x, xn, &l, &err), 0);
	assert_int_equal(l.n, 0);
	s_assert_jstr(j, "NextToken", l.next_token);
	assert_non_null(l.next_token);
	ec2_instance_list_free(&l);
	json_object_put(j);
	free(x);
	free(b.data);
}

/* ---- DescribeNetworkInterfaces --------------------------------------- */

static void test_describe_enis_botocore(void **state)
{
	struct fixture_blob b = s_sample("ec2-describe-network-interfaces.botocore.xml");
	struct json_object *j =
		s_expected("ec2-describe-network-interfaces.botocore.expected.json");
	struct json_object *jn = fixture_get(j, "NetworkInterfaces");
	struct ec2_eni_list l;
	struct si_err err = { 0 };

	(void)state;
	assert_int_equal(aws_xml_parse_describe_network_interfaces(b.data, b.len, &l, &err), 0);
	assert_int_equal(l.n, json_object_array_length(jn));
	assert_int_equal(l.n, 2);
	for (size_t i = 0; i < l.n; i++)
		s_assert_eni(json_object_array_get_idx(jn, i), &l.items[i]);
	assert_null(l.next_token);
	ec2_eni_list_free(&l);
	json_object_put(j);
	free(b.data);
}

static void test_describe_enis_awsdocs(void **state)
{
	struct fixture_blob b = s_sample("ec2-describe-network-interfaces.awsdocs.xml");
	struct ec2_eni_list l;
	struct si_err err = { 0 };
	const struct ec2_eni *e0, *e1;

	(void)state;
	assert_int_equal(aws_xml_parse_describe_network_interfaces(b.data, b.len, &l, &err), 0);
	assert_int_equal(l.n, 2);
	e0 = &l.items[0];
	e1 = &l.items[1];
	assert_string_equal(e0->eni_id, "eni-0f62d866");
	assert_string_equal(e0->az, "api-southeast-1b"); /* the doc's typo, verbatim */
	assert_null(e0->description);
	assert_string_equal(e0->owner_id, "053230519467");
	assert_int_equal(e0->requester_managed, 0);
	assert_string_equal(e0->attached_instance_id, "i-1234567890abcdef0");
	assert_int_equal(e0->n_ips, 3);
	assert_string_equal(e0->ips[2].private_ip, "10.0.0.150");
	assert_int_equal(e0->ips[0].primary, 1);
	assert_int_equal(e0->ips[2].primary, 0);
	assert_int_equal(e0->n_ipv6, 0);
	assert_null(e0->ipv6);
	assert_int_equal(e0->n_tags, 0);
	assert_string_equal(e1->description, "Primary network interface");
	assert_string_equal(e1->attached_instance_id, "i-0598c7d356eba48d7");
	assert_string_equal(e1->mac, "02:78:d7:00:8a:1e");
	assert_int_equal(e1->n_ipv6, 2);
	assert_string_equal(e1->ipv6[0], "2001:db8:1234:1a00::123");
	assert_string_equal(e1->ipv6[1], "2001:db8:1234:1a00::456");
	ec2_eni_list_free(&l);
	free(b.data);
}

static void test_describe_enis_requester_and_nexttoken(void **state)
{
	static const char x[] =
		"<DescribeNetworkInterfacesResponse"
		" xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
		"<networkInterfaceSet><item>"
		"<networkInterfaceId>eni-1</networkInterfaceId>"
		"<interfaceType>nat_gateway</interfaceType>"
		"<requesterId>amazon-elb</requesterId>"
		"<requesterManaged>true</requesterManaged>"
		"<tagSet><item><key>k</key><value>v</value></item></tagSet>"
		"</item></networkInterfaceSet><nextToken>tok</nextToken>"
		"</DescribeNetworkInterfacesResponse>";
	struct ec2_eni_list l;
	struct si_err err = { 0 };

	(void)state;
	assert_int_equal(aws_xml_parse_describe_network_interfaces(x, sizeof(x) - 1, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].interface_type, "nat_gateway");
	assert_string_equal(l.items[0].requester_id, "amazon-elb");
	assert_int_equal(l.items[0].requester_managed, 1);
	assert_string_equal(ec2_tag_get(l.items[0].tags, l.items[0].n_tags, "k"), "v");
	assert_string_equal(l.next_token, "tok");
	ec2_eni_list_free(&l);
}

/* ---- DescribeRegions ------------------------------------------------- */

static void test_describe_regions(void **state)
{
	struct fixture_blob b = s_own("describe-regions.synthetic.xml");
	struct si_err err = { 0 };
	char **r;
	size_t n;

	(void)state;
	assert_int_equal(aws_xml_parse_describe_regions(b.data, b.len, &r, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(r[0], "eu-north-1");
	assert_string_equal(r[1], "us-east-1");
	assert_string_equal(r[2], "ap-southeast-3");
	aws_xml_regions_free(r, n);
	aws_xml_regions_free(NULL, 0);
	free(b.data);
}

static void test_describe_regions_bad_name(void **state)
{
	struct fixture_blob b = s_own("describe-regions-evil.synthetic.xml");
	struct si_err err = { 0 };
	char **r;
	size_t n;

	(void)state;
	assert_int_equal(aws_xml_parse_describe_regions(b.data, b.len, &r, &n, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(r);
	assert_int_equal(n, 0);
	free(b.data);
}

/* ---- time ------------------------------------------------------------ */


static void test_parse_time(void **state)
{
	struct si_err err = { 0 };
	time_t t;

	(void)state;
	assert_int_equal(s_time("1970-01-01T00:00:00Z", &t, &err), 0);
	assert_int_equal(t, 0);
	assert_int_equal(s_time("2011-07-15T23:28:33.359Z", &t, &err), 0);
	assert_int_equal(t, 1310772513); /* date -u -d 2011-07-15T23:28:33Z +%s */
	assert_int_equal(s_time("2024-02-29T12:00:00+02:00", &t, &err), 0);
	assert_int_equal(t, 1709200800); /* 2024-02-29T10:00:00Z */
	assert_int_equal(s_time("2024-01-02T03:04:05.000Z", &t, &err), 0);
	assert_int_equal(t, 1704164645);
}

static void test_parse_time_rejects(void **state)
{
	static const char *const bad[] = {
		"", "2011-07-15", "2011-07-15T23:28:33", "2011-07-15T23:28:33.Z",
		"2011-07-15T23:28:33Zjunk", "2011-02-29T00:00:00Z", "2011-13-01T00:00:00Z",
		"2011-07-15 23:28:33Z", "2011-07-15T24:00:00Z", "2011-07-15T23:28:33+0200",
		"2011-07-15T23:28:33.1234567890Z", "+011-07-15T23:28:33Z",
	};
	struct si_err err = { 0 };
	time_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (s_time(bad[i], &t, &err) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(s_time(NULL, &t, &err), -1);
}

/* ---- hostile input --------------------------------------------------- */

/* Feed buf to every parser; each must fail cleanly or succeed, and on
 * success its result is freed (valgrind/ASan catch leaks and overreads). */
static int s_all_parsers(const char *buf, size_t len)
{
	struct ec2_instance_list il;
	struct ec2_eni_list el;
	struct sts_credentials c;
	struct aws_error e;
	struct si_err err;
	char **r;
	size_t n;
	int ok = 0;

	if (aws_xml_parse_describe_instances(buf, len, &il, &err) == 0) {
		ok++;
		ec2_instance_list_free(&il);
	} else {
		assert_int_not_equal(err.code, SI_OK);
		assert_int_equal(il.n, 0);
	}
	if (aws_xml_parse_describe_network_interfaces(buf, len, &el, &err) == 0) {
		ok++;
		ec2_eni_list_free(&el);
	}
	if (aws_xml_parse_assume_role(buf, len, &c, &err) == 0) {
		ok++;
		sts_credentials_clear(&c);
	}
	if (aws_xml_parse_error(buf, len, &e, &err) == 0) {
		ok++;
		aws_error_clear(&e);
	}
	if (aws_xml_parse_describe_regions(buf, len, &r, &n, &err) == 0) {
		ok++;
		aws_xml_regions_free(r, n);
	}
	return ok;
}

static void test_empty_input(void **state)
{
	struct ec2_instance_list l;
	struct si_err err = { 0 };

	(void)state;
	assert_int_equal(aws_xml_parse_describe_instances("", 0, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_int_equal(aws_xml_parse_describe_instances(NULL, 0, &l, &err), -1);
	assert_int_equal(s_all_parsers("   \n", 4), 0);
}

/* Every prefix of real answers: a cut-off body is common (dropped
 * connection) and must never crash, leak or read past len. Each prefix is
 * copied into an exact-size allocation so ASan sees any overread. */
static void s_truncations(const char *name)
{
	struct fixture_blob b = s_sample(name);

	for (size_t k = 0; k < b.len; k++) {
		char *p = malloc(k + 1);

		assert_non_null(p);
		memcpy(p, b.data, k);
		(void)s_all_parsers(p, k);
		free(p);
	}
	free(b.data);
}

static void test_truncated_describe_instances(void **state)
{
	(void)state;
	s_truncations("ec2-describe-instances.awsdocs.xml");
}

static void test_truncated_small_samples(void **state)
{
	(void)state;
	s_truncations("sts-assume-role-response.awsdocs.xml");
	s_truncations("ec2-error-authfailure.captured.xml");
	s_truncations("ec2-describe-network-interfaces.botocore.xml");
}

static void test_truncated_is_error(void **state)
{
	struct fixture_blob b = s_sample("ec2-describe-instances.awsdocs.xml");
	struct ec2_instance_list l;
	struct si_err err = { 0 };

	(void)state;
	/* Cut inside the last instance: not well-formed, so an error. */
	assert_int_equal(aws_xml_parse_describe_instances(b.data, b.len / 2, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_non_null(strstr(err.msg, "malformed"));
	free(b.data);
}

static void test_garbage(void **state)
{
	static const char nul[4] = { 0, 0, 0, 0 };
	uint32_t x = 2463534242u; /* fixed xorshift seed: reproducible */
	char buf[4096];

	(void)state;
	assert_int_equal(s_all_parsers(nul, sizeof(nul)), 0);
	assert_int_equal(s_all_parsers("<", 1), 0);
	assert_int_equal(s_all_parsers("<a>", 3), 0);
	assert_int_equal(s_all_parsers("<a/>", 4), 0);
	assert_int_equal(s_all_parsers("\xef\xbb\xbf<\xff\xfe/>", 7), 0);
	for (int round = 0; round < 64; round++) {
		size_t n = 1 + (size_t)(round * 61) % sizeof(buf);

		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[i] = (char)(x & 0xff);
		}
		if (round % 2 == 0)
			buf[0] = '<';
		assert_int_equal(s_all_parsers(buf, n), 0);
	}
}

static void test_oversize(void **state)
{
	size_t n = AWS_XML_MAX_DOC + 1;
	char *big = malloc(n);
	struct ec2_instance_list l;
	struct si_err err = { 0 };

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, "<DescribeInstancesResponse>", 27);
	assert_int_equal(aws_xml_parse_describe_instances(big, n, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	free(big);
}

static void s_assert_dtd_refused(const char *name)
{
	struct fixture_blob b = s_own(name);
	struct ec2_instance_list l;
	struct sts_credentials c;
	struct aws_error e;
	struct si_err err = { 0 };

	assert_int_equal(aws_xml_parse_describe_instances(b.data, b.len, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_non_null(strstr(err.msg, "DTD"));
	si_err_clear(&err);
	assert_int_equal(aws_xml_parse_assume_role(b.data, b.len, &c, &err), -1);
	assert_non_null(strstr(err.msg, "DTD"));
	assert_null(c.secret_access_key);
	si_err_clear(&err);
	assert_int_equal(aws_xml_parse_error(b.data, b.len, &e, &err), -1);
	assert_non_null(strstr(err.msg, "DTD"));
	assert_null(e.code);
	free(b.data);
}

static void test_billion_laughs(void **state)
{
	(void)state;
	s_assert_dtd_refused("billion-laughs.xml");
}

static void test_external_entity(void **state)
{
	(void)state;
	s_assert_dtd_refused("external-entity.xml");
}

static void test_external_dtd(void **state)
{
	(void)state;
	s_assert_dtd_refused("external-dtd.xml");
}

static void test_undeclared_entity(void **state)
{
	struct fixture_blob b = s_own("undeclared-entity.xml");
	struct aws_error e;
	struct si_err err = { 0 };

	(void)state;
	assert_int_equal(aws_xml_parse_error(b.data, b.len, &e, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(e.code);
	free(b.data);
}

/* DescribeInstances with n instances, each with t tags. */
static char *s_gen_instances(size_t n, size_t t, size_t *len)
{
	size_t cap = 256 + n * (64 + t * 64);
	char *x = malloc(cap);
	size_t o = 0;
	int k;

	assert_non_null(x);
	k = snprintf(x, cap, "<DescribeInstancesResponse><reservationSet><item><instancesSet>");
	o += (size_t)k;
	for (size_t i = 0; i < n; i++) {
		k = snprintf(x + o, cap - o, "<item><instanceId>i-%zu</instanceId><tagSet>", i);
		assert_true(k > 0 && (size_t)k < cap - o);
		o += (size_t)k;
		for (size_t j = 0; j < t; j++) {
			k = snprintf(x + o, cap - o,
				     "<item><key>k%zu</key><value>v</value></item>", j);
			assert_true(k > 0 && (size_t)k < cap - o);
			o += (size_t)k;
		}
		k = snprintf(x + o, cap - o, "</tagSet></item>");
		assert_true(k > 0 && (size_t)k < cap - o);
		o += (size_t)k;
	}
	k = snprintf(x + o, cap - o,
		     "</instancesSet></item></reservationSet></DescribeInstancesResponse>");
	assert_true(k > 0 && (size_t)k < cap - o);
	*len = o + (size_t)k;
	return x;
}

static void test_count_limits(void **state)
{
	struct ec2_instance_list l;
	struct si_err err = { 0 };
	size_t len;
	char *x;

	(void)state;
	x = s_gen_instances(1000, 0, &len);
	assert_int_equal(aws_xml_parse_describe_instances(x, len, &l, &err), 0);
	assert_int_equal(l.n, 1000);
	assert_string_equal(l.items[999].instance_id, "i-999");
	ec2_instance_list_free(&l);
	free(x);

	x = s_gen_instances(1001, 0, &len);
	assert_int_equal(aws_xml_parse_describe_instances(x, len, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	free(x);

	x = s_gen_instances(1, 128, &len);
	assert_int_equal(aws_xml_parse_describe_instances(x, len, &l, &err), 0);
	assert_int_equal(l.items[0].n_tags, 128);
	ec2_instance_list_free(&l);
	free(x);

	x = s_gen_instances(2, 129, &len);
	assert_int_equal(aws_xml_parse_describe_instances(x, len, &l, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_int_equal(l.n, 0);
	free(x);
}

/* A DescribeRegions answer with one region and `pad` copies of filler
 * (e.g. "<x/>") after it, inside the root. */
static char *s_gen_regions_padded(const char *filler, size_t pad, size_t *len)
{
	static const char head[] = "<DescribeRegionsResponse><regionInfo><item>"
				   "<regionName>eu-west-2</regionName></item></regionInfo>";
	static const char tail[] = "</DescribeRegionsResponse>";
	size_t fl = strlen(filler), n = SI_LITLEN(head) + pad * fl + SI_LITLEN(tail);
	char *x = malloc(n + 1), *p;

	assert_non_null(x);
	memcpy(x, head, SI_LITLEN(head));
	p = x + SI_LITLEN(head);
	for (size_t i = 0; i < pad; i++, p += fl)
		memcpy(p, filler, fl);
	memcpy(p, tail, SI_LITLEN(tail) + 1);
	*len = n;
	return x;
}

static int s_regions_rc(const char *filler, size_t pad, struct si_err *err)
{
	char **regions = NULL;
	size_t n = 0, len;
	char *x = s_gen_regions_padded(filler, pad, &len);
	int rc = aws_xml_parse_describe_regions(x, len, &regions, &n, err);

	aws_xml_regions_free(regions, n);
	free(x);
	return rc;
}

/* Issue 11: a 7 MB answer of 1,000,000 "<item/>" was built into a tree of
 * ~150 MB before any item cap looked at it. The element cap stops the
 * parser while reading; the document's 4 other elements count too. */
static void test_element_cap_while_reading(void **state)
{
	struct ec2_instance_list l;
	struct si_err err = { 0 };
	size_t len;
	char *x;

	(void)state;
	/* root, regionInfo, item, regionName + padding = exactly the cap */
	assert_int_equal(s_regions_rc("<x/>", AWS_XML_MAX_NODES - 4, &err), 0);
	assert_int_equal(s_regions_rc("<x/>", AWS_XML_MAX_NODES - 3, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_non_null(strstr(err.msg, "too many items"));
	/* Attributes and CDATA sections are nodes as well. */
	assert_int_equal(s_regions_rc("<x a='' b='' c=''/>", AWS_XML_MAX_NODES / 4, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_int_equal(s_regions_rc("<![CDATA[]]>", AWS_XML_MAX_NODES, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	/* Comments and processing instructions build nothing: not counted. */
	assert_int_equal(s_regions_rc("<!---->", AWS_XML_MAX_NODES * 2, &err), 0);
	assert_int_equal(s_regions_rc("<?a?>", AWS_XML_MAX_NODES * 2, &err), 0);

	/* The stand-in's huge-answer: 1,000,000 empty reservations, 7 MB. */
	{
		static const char head[] = "<DescribeInstancesResponse><reservationSet>";
		static const char tail[] = "</reservationSet></DescribeInstancesResponse>";
		size_t n = 1000000, p = SI_LITLEN(head);

		len = p + n * SI_LITLEN("<item/>") + SI_LITLEN(tail);
		x = malloc(len + 1);
		assert_non_null(x);
		memcpy(x, head, p);
		for (size_t i = 0; i < n; i++, p += SI_LITLEN("<item/>"))
			memcpy(x + p, "<item/>", SI_LITLEN("<item/>"));
		memcpy(x + p, tail, SI_LITLEN(tail) + 1);
		assert_true(len < AWS_XML_MAX_DOC);
		assert_int_equal(aws_xml_parse_describe_instances(x, len, &l, &err), -1);
		assert_int_equal(err.code, SI_ERR_LIMIT);
		assert_non_null(strstr(err.msg, "too many items"));
		assert_int_equal(l.n, 0);
		/* 1,001 empty reservations: under the element cap, over the
		 * reservation cap (every reservation holds an instance). */
		len = SI_LITLEN(head) + 1001 * SI_LITLEN("<item/>");
		memcpy(x + len, tail, SI_LITLEN(tail) + 1);
		len += SI_LITLEN(tail);
		assert_int_equal(aws_xml_parse_describe_instances(x, len, &l, &err), -1);
		assert_int_equal(err.code, SI_ERR_LIMIT);
		assert_non_null(strstr(err.msg, "reservations"));
		free(x);
	}
}

static void test_value_length_limit(void **state)
{
	size_t vlen = 64 * 1024 + 1;
	size_t cap = vlen + 256;
	char *x = malloc(cap);
	struct aws_error e;
	struct si_err err = { 0 };
	int k;

	(void)state;
	assert_non_null(x);
	k = snprintf(x, cap, "<Response><Errors><Error><Code>");
	memset(x + k, 'A', vlen);
	k += (int)vlen;
	k += snprintf(x + k, cap - (size_t)k, "</Code></Error></Errors></Response>");
	assert_int_equal(aws_xml_parse_error(x, (size_t)k, &e, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	free(x);
}

/* ---- threads --------------------------------------------------------- */

struct s_thread_arg {
	const struct fixture_blob *b;
	int failures;
};

static void *s_thread(void *p)
{
	struct s_thread_arg *a = p;

	for (int i = 0; i < 50; i++) {
		struct ec2_instance_list l;
		struct si_err err;

		if (aws_xml_parse_describe_instances(a->b->data, a->b->len, &l, &err) != 0 ||
		    l.n != 1 || strcmp(l.items[0].instance_id, "i-1234567890abcdef0") != 0)
			a->failures++;
		ec2_instance_list_free(&l);
		/* A hostile document in between must not disturb other threads. */
		if (aws_xml_parse_describe_instances("<x>&y;</x>", 10, &l, &err) != -1)
			a->failures++;
	}
	return NULL;
}

static void test_many_threads(void **state)
{
	struct fixture_blob b = s_sample("ec2-describe-instances.awsdocs.xml");
	pthread_t t[8];
	struct s_thread_arg a[8];

	(void)state;
	for (int i = 0; i < 8; i++) {
		a[i].b = &b;
		a[i].failures = 0;
		assert_int_equal(pthread_create(&t[i], NULL, s_thread, &a[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(a[i].failures, 0);
	}
	free(b.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assume_role_awsdocs),
		cmocka_unit_test(test_get_session_token_botocore),
		cmocka_unit_test(test_assume_role_missing_secret),
		cmocka_unit_test(test_assume_role_bad_expiration),
		cmocka_unit_test(test_assume_role_given_error_is_remote),
		cmocka_unit_test(test_error_sts_botocore),
		cmocka_unit_test(test_error_ec2_malformed_botocore),
		cmocka_unit_test(test_error_ec2_notfound_awsdocs),
		cmocka_unit_test(test_error_ec2_authfailure_captured),
		cmocka_unit_test(test_error_sts_assume_role_captured),
		cmocka_unit_test(test_error_on_success_answer_fails),
		cmocka_unit_test(test_error_without_code),
		cmocka_unit_test(test_describe_instances_botocore),
		cmocka_unit_test(test_describe_instances_awsdocs),
		cmocka_unit_test(test_describe_instances_nexttoken_synthetic),
		cmocka_unit_test(test_describe_instances_given_error_is_remote),
		cmocka_unit_test(test_wrong_root_rejected),
		cmocka_unit_test(test_nexttoken_after_large_item_set),
		cmocka_unit_test(test_describe_enis_botocore),
		cmocka_unit_test(test_describe_enis_awsdocs),
		cmocka_unit_test(test_describe_enis_requester_and_nexttoken),
		cmocka_unit_test(test_describe_regions),
		cmocka_unit_test(test_describe_regions_bad_name),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_parse_time_rejects),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_truncated_describe_instances),
		cmocka_unit_test(test_truncated_small_samples),
		cmocka_unit_test(test_truncated_is_error),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_external_entity),
		cmocka_unit_test(test_external_dtd),
		cmocka_unit_test(test_undeclared_entity),
		cmocka_unit_test(test_count_limits),
		cmocka_unit_test(test_element_cap_while_reading),
		cmocka_unit_test(test_value_length_limit),
		cmocka_unit_test(test_many_threads),
	};
	int rc;

	/* As main does in the service: once, before any thread parses. */
	xmlInitParser();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
