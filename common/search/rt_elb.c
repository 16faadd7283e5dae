/* PLACEHOLDER: replaced by the module's real implementation. */
#include "search/private/types.h"

const struct rt_type rt_elbv2 = {
	.name = "load-balancer",
	.label = "Load balancer",
};

const struct rt_type rt_elb_classic = {
	.name = "classic-load-balancer",
	.label = "Classic load balancer",
};
