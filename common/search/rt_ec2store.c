/* PLACEHOLDER: replaced by the module's real implementation. */
#include "search/private/types.h"

const struct rt_type rt_volume = {
	.name = "volume",
	.label = "EBS volume",
};

const struct rt_type rt_image = {
	.name = "image",
	.label = "AMI",
};

const struct rt_type rt_snapshot = {
	.name = "snapshot",
	.label = "EBS snapshot",
};

const struct rt_type rt_launch_template = {
	.name = "launch-template",
	.label = "Launch template",
};
