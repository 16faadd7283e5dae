/* PLACEHOLDER: replaced by the module's real implementation. */
#include "search/private/types.h"

const struct rt_type rt_dns_record = {
	.name = "dns-record",
	.label = "Route 53 record",
};
