/*
 * search/private/types.h - the registered resource types, one per module.
 *
 * Only registry.c lists them (rt_types[]); modules reach one another by
 * name (rt_by_name) so none depends on another's symbols.
 */
#ifndef SI_SEARCH_PRIVATE_TYPES_H
#define SI_SEARCH_PRIVATE_TYPES_H

#include "search/registry.h"

/* rt_ec2.c: the original two, answered with their own structs. */
extern const struct rt_type rt_instance;
extern const struct rt_type rt_eni;
/* rt_ec2net.c */
extern const struct rt_type rt_security_group;
extern const struct rt_type rt_subnet;
extern const struct rt_type rt_vpc;
extern const struct rt_type rt_nat_gateway;
extern const struct rt_type rt_internet_gateway;
extern const struct rt_type rt_vpc_endpoint;
extern const struct rt_type rt_transit_gateway;
/* rt_ec2store.c */
extern const struct rt_type rt_volume;
extern const struct rt_type rt_image;
extern const struct rt_type rt_snapshot;
extern const struct rt_type rt_launch_template;
/* rt_elb.c */
extern const struct rt_type rt_elbv2;
extern const struct rt_type rt_elb_classic;
/* rt_rds.c */
extern const struct rt_type rt_db_instance;
extern const struct rt_type rt_db_cluster;
/* rt_asg.c */
extern const struct rt_type rt_asg;
/* rt_lambda.c */
extern const struct rt_type rt_lambda;
/* rt_route53.c */
extern const struct rt_type rt_dns_record;
extern const struct rt_type rt_dns_zone;

#endif
