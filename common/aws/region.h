/*
 * region.h - what an AWS region name looks like.
 *
 * A region name ends up inside host names (ec2.<region>.amazonaws.com), in
 * the SigV4 credential scope and in the search's region: filter, so it is
 * checked once, here, by shape rather than against a list that would go
 * stale with every new region.
 */
#ifndef SI_AWS_REGION_H
#define SI_AWS_REGION_H

#include <stdbool.h>

/* Longest region name accepted. The longest today is 14 characters
 * ("ap-southeast-3", "eusc-de-east-1"); 32 leaves room for new partitions
 * while keeping host names far below DNS's 253. */
#define AWS_REGION_MAX_LEN 32

/* True when s looks like a region name: two to four groups of 2-12
 * lower-case ASCII letters joined by '-', then '-' and a number of one or
 * two digits (eu-west-2, us-gov-west-1, us-isob-east-1, eusc-de-east-1,
 * eu-central-12). False for NULL, upper case, an empty group, a trailing
 * suffix, or more than AWS_REGION_MAX_LEN characters. */
bool aws_region_valid(const char *s);

#endif
