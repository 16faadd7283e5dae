/*
 * search/private/sink.h - where a type module's plans and answers go.
 *
 * struct rt_plan and struct rt_answer carry a priv pointer to a struct
 * rt_sink: the live search (engine.c) queues requests on its curl-multi
 * loop and keeps resources in the result; the collector (collect.c) just
 * records them, for tests and the inventory. The rt_* functions of
 * registry.h dispatch through it, so a module never knows which.
 */
#ifndef SI_SEARCH_PRIVATE_SINK_H
#define SI_SEARCH_PRIVATE_SINK_H

#include "search/registry.h"

struct rt_sink_ops {
	int (*plan_request)(struct rt_plan *p, const struct rt_request *rq);
	struct res_resource *(*new_resource)(struct rt_answer *a, const struct rt_type *t,
					     size_t *index);
	struct res_resource *(*resource)(struct rt_answer *a, size_t index);
	int (*follow)(struct rt_answer *a, const struct rt_request *rq);
	int (*next_page)(struct rt_answer *a, const char *token);
	int (*follow_host)(struct rt_answer *a, const char *host, const char *hop);
	const char *(*hop)(const struct rt_answer *a);
	void (*take_instances)(struct rt_answer *a, struct ec2_instance_list *l);
	void (*take_enis)(struct rt_answer *a, struct ec2_eni_list *l);
};

struct rt_sink {
	const struct rt_sink_ops *ops;
};

#endif
