/*
 * fuzz_aws_xml.c - libFuzzer target: every aws_xml parser, the JSON error
 * parser, aws_error_describe and the StateTransitionReason time on the
 * same bytes. Each must fail cleanly
 * or return a result that frees cleanly.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libxml/parser.h>

#include "aws/json_error.h"
#include "aws/xml.h"
#include "util/iso8601.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* As the service's main does, once before any parse. */
	xmlInitParser();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *xml = (const char *)data;
	struct ec2_instance_list il;
	struct ec2_eni_list el;
	struct sts_credentials c;
	struct aws_error e;
	struct si_err err;
	char **regions;
	size_t n;
	time_t t;

	if (aws_xml_parse_describe_instances(xml, size, &il, &err) == 0) {
		/* The inventory reads a terminated instance's end from its
		 * StateTransitionReason: the same bytes, through its parser. */
		for (size_t i = 0; i < il.n; i++)
			(void)ec2_reason_time(il.items[i].state_reason, &t);
		ec2_instance_list_free(&il);
	}
	if (aws_xml_parse_describe_network_interfaces(xml, size, &el, &err) == 0)
		ec2_eni_list_free(&el);
	if (aws_xml_parse_assume_role(xml, size, &c, &err) == 0)
		sts_credentials_clear(&c);
	if (aws_xml_parse_error(xml, size, &e, &err) == 0)
		aws_error_clear(&e);
	if (aws_json_parse_error(xml, size, NULL, &e, &err) == 0)
		aws_error_clear(&e);
	if (aws_error_describe(403, xml, size, NULL, &e, &err) == 0)
		aws_error_clear(&e);
	if (aws_xml_parse_describe_regions(xml, size, &regions, &n, &err) == 0)
		aws_xml_regions_free(regions, n);
	/* The shared timestamp parser the STS answer goes through, on the raw
	 * bytes (it is length-bounded: no NUL needed). */
	(void)si_iso8601_parse(xml, size, &t, &err);
	return 0;
}
