/* PLACEHOLDER: replaced by the module's real implementation. */
#include "search/private/types.h"

const struct rt_type rt_lambda = {
	.name = "lambda-function",
	.label = "Lambda function",
};
