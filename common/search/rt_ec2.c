/* PLACEHOLDER: replaced by the module's real implementation. */
#include "search/private/types.h"

const struct rt_type rt_instance = {
	.name = "instance",
	.label = "EC2 instance",
};

const struct rt_type rt_eni = {
	.name = "network-interface",
	.label = "Network interface",
};
