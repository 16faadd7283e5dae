/* PLACEHOLDER: replaced by the module's real implementation. */
#include "search/private/types.h"

const struct rt_type rt_security_group = {
	.name = "security-group",
	.label = "Security group",
};

const struct rt_type rt_subnet = {
	.name = "subnet",
	.label = "Subnet",
};

const struct rt_type rt_vpc = {
	.name = "vpc",
	.label = "VPC",
};

const struct rt_type rt_nat_gateway = {
	.name = "nat-gateway",
	.label = "NAT gateway",
};

const struct rt_type rt_internet_gateway = {
	.name = "internet-gateway",
	.label = "Internet gateway",
};

const struct rt_type rt_vpc_endpoint = {
	.name = "vpc-endpoint",
	.label = "VPC endpoint",
};

const struct rt_type rt_transit_gateway = {
	.name = "transit-gateway",
	.label = "Transit gateway",
};
