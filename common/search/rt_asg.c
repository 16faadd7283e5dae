/* PLACEHOLDER: replaced by the module's real implementation. */
#include "search/private/types.h"

const struct rt_type rt_asg = {
	.name = "auto-scaling-group",
	.label = "Auto Scaling group",
};
