/* PLACEHOLDER: replaced by the module's real implementation. */
#include "search/private/types.h"

const struct rt_type rt_db_instance = {
	.name = "db-instance",
	.label = "RDS DB instance",
};

const struct rt_type rt_db_cluster = {
	.name = "db-cluster",
	.label = "RDS DB cluster",
};
