/*
 * rt_ec2store.c - the EC2 storage and image types: EBS volumes (with the
 * instances they are attached to, named), AMIs, EBS snapshots and launch
 * templates, on the shared Describe* machinery (search/private/ec2.h,
 * whose top comment in rt_ec2net.c says how each term becomes calls).
 *
 * What differs here:
 *  - AMIs, snapshots and launch templates are looked up by id list
 *    (ImageId.1, SnapshotId.1, LaunchTemplateId.1), whose unknown ids are
 *    *.NotFound errors (absent_codes: "not here", an empty answer). For
 *    AMIs and snapshots the id filters exist, but without an owner they
 *    scan every public AMI or snapshot of the region (slow), and with
 *    Owner=self they miss public and shared ones, which an instance's
 *    imageId often is; launch templates have no id filter;
 *  - names and listings of AMIs and snapshots are asked with Owner.1=self:
 *    a Name search means our own, not the region's public catalogue;
 *  - an attached volume asks, as a follow-up, for its instances
 *    (DescribeInstances InstanceId.N) so each "attached to" relation
 *    carries the instance's Name tag; a listing (SEARCH_TERM_LIST) does
 *    not: the instance listing of the same crawl names every instance.
 */
#include "search/private/ec2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/xml.h"
#include "search/private/types.h"

/* A page of volumes, AMIs, snapshots or templates (AWS allows up to 1,000
 * for most, 200 for launch templates). */
#define S_PAGE "200"
/* Attachments per volume: 16 instances at most (io1/io2 Multi-Attach). */
#define S_MAX_ATTACH 16
/* Block device mappings per AMI: AWS's own limit is far lower. */
#define S_MAX_MAPPINGS 128

/* The volume's follow-up: its instances' names. */
enum { S_STEP_VOLUME_INSTANCES = RT_EC2_STEP_OWN };

/* ---- volumes ------------------------------------------------------------- */

static int s_volume_fill(struct rt_answer *a, const xmlNode *it, struct res_resource *r,
			 struct si_err *err)
{
	(void)a;
	if (qx_set(&r->state, it, "status", err) != 0 ||
	    qx_set(&r->created, it, "createTime", err) != 0 ||
	    qx_field_unit(r, "Size", it, "size", " GiB", err) != 0 ||
	    qx_field(r, "Type", it, "volumeType", err) != 0 ||
	    qx_field(r, "IOPS", it, "iops", err) != 0 ||
	    qx_field(r, "AZ", it, "availabilityZone", err) != 0 ||
	    qx_flag(r, "Encrypted", it, "encrypted", err) != 0 ||
	    qx_field(r, "Snapshot", it, "snapshotId", err) != 0 ||
	    qx_rels(r, "attached to", "instance", aws_xml_child(it, "attachmentSet"), "item",
		    "instanceId", "device", S_MAX_ATTACH, err) != 0)
		return -1;
	return 0;
}

/* Ask for the instances r is attached to (r is resource index). */
static int s_volume_placed(struct rt_answer *a, size_t index, const struct res_resource *r,
			   struct si_err *err)
{
	struct aws_query_param params[S_MAX_ATTACH];
	char names[S_MAX_ATTACH][sizeof("InstanceId.") + 8];
	struct rt_request rq = {
		.service = RT_EC2_SERVICE, .proto = AWS_PROTO_QUERY, .action = "DescribeInstances",
		.version = RT_EC2_VERSION, .params = params, .step = S_STEP_VOLUME_INSTANCES,
		.parent = index,
	};
	size_t n = 0;

	if (a->term->kind == SEARCH_TERM_LIST)
		return 0;       /* instance names: the instance listing's */
	for (size_t i = 0; i < r->n_rels && n < S_MAX_ATTACH; i++) {
		if (r->rels[i].type == NULL || strcmp(r->rels[i].type, "instance") != 0)
			continue;
		snprintf(names[n], sizeof(names[n]), "InstanceId.%zu", n + 1);
		params[n] = (struct aws_query_param){ names[n], r->rels[i].id };
		n++;
	}
	if (n == 0)
		return 0;
	rq.n_params = n;
	if (rt_follow(a, &rq) != 0)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

static const struct rt_ec2_kind s_volume = {
	.type = &rt_volume, .action = "DescribeVolumes", .set = "volumeSet",
	.id_elem = "volumeId", .id_filter = "volume-id", .page_size = S_PAGE,
	.fill = s_volume_fill, .placed = s_volume_placed,
};

static int s_volume_plan(struct rt_plan *p)
{
	return rt_ec2_plan(&s_volume, p);
}

static int s_volume_answer(struct rt_answer *a, const char *body, size_t len,
			   struct si_err *err)
{
	if (a->step == S_STEP_VOLUME_INSTANCES)
		return qx_name_instances(a, body, len, err);
	return rt_ec2_answer(&s_volume, a, body, len, err);
}

static void s_volume_summary(const struct res_resource *r, char *out, size_t n)
{
	char on[160];
	const char *parts[4] = { res_field(r, "Size"), res_field(r, "Type"), r->state, NULL };

	if (r->n_rels > 0) {
		const struct res_rel *rel = &r->rels[0];
		int w = snprintf(on, sizeof(on), "on %s%s%s%s%s", rel->id,
				 rel->name ? " " : "", rel->name ? rel->name : "",
				 rel->detail ? " " : "", rel->detail ? rel->detail : "");

		if (w > 0)
			parts[3] = on;    /* cut by snprintf when long: a summary */
	}
	rt_ec2_summary(out, n, parts, 4);
}

static void s_volume_url(const struct res_resource *r, const char *region, char *out,
			 size_t n)
{
	rt_ec2_console(r, region, "ec2", "VolumeDetails", "volumeId", out, n);
}

static const char *const s_volume_prefixes[] = { "vol-", NULL };
static const char *const s_volume_arn[] = { "volume", NULL };
static const char *const s_volume_actions[] = {
	"ec2:DescribeVolumes", "ec2:DescribeInstances", NULL
};
/* The follow-up names instances found attached a moment ago; one
 * terminated in between is not an error. */
static const char *const s_volume_absent[] = { "InvalidInstanceID.NotFound", NULL };

const struct rt_type rt_volume = {
	.name = "volume",
	.label = "EBS volume",
	.by = RT_BY_ID | RT_BY_ARN | RT_BY_NAME,
	.id_prefixes = s_volume_prefixes,
	.arn_service = "ec2",
	.arn_types = s_volume_arn,
	.actions = s_volume_actions,
	.absent_codes = s_volume_absent,
	.plan = s_volume_plan,
	.answer = s_volume_answer,
	.summary = s_volume_summary,
	.console_url = s_volume_url,
};

/* ---- AMIs ---------------------------------------------------------------- */

/* Element names are the model's (botocore ec2 2016-11-15): the state is
 * imageState and the owner imageOwnerId, not state / ownerId. */
static int s_image_fill(struct rt_answer *a, const xmlNode *it, struct res_resource *r,
			struct si_err *err)
{
	(void)a;
	if (qx_set(&r->state, it, "imageState", err) != 0 ||
	    qx_set(&r->created, it, "creationDate", err) != 0 ||
	    qx_field(r, "AMI name", it, "name", err) != 0 ||
	    qx_field(r, "Owner", it, "imageOwnerId", err) != 0 ||
	    qx_field(r, "Owner alias", it, "imageOwnerAlias", err) != 0 ||
	    qx_field(r, "Architecture", it, "architecture", err) != 0 ||
	    qx_field(r, "Platform", it, "platformDetails", err) != 0 ||
	    qx_field(r, "Description", it, "description", err) != 0 ||
	    qx_field(r, "Root device", it, "rootDeviceType", err) != 0 ||
	    qx_field(r, "Virtualization", it, "virtualizationType", err) != 0 ||
	    qx_flag(r, "Public", it, "isPublic", err) != 0 ||
	    qx_field(r, "Location", it, "imageLocation", err) != 0 ||
	    /* each EBS snapshot a relation, detail: the device it backs */
	    qx_rels(r, "snapshot", "snapshot", aws_xml_child(it, "blockDeviceMapping"), "item",
		    "ebs/snapshotId", "deviceName", S_MAX_MAPPINGS, err) != 0)
		return -1;
	return 0;
}

/* Names: the Name tag and the AMI's own name attribute ("name" filter),
 * both with Owner.1=self. */
static const struct rt_ec2_kind s_image = {
	.type = &rt_image, .action = "DescribeImages", .set = "imagesSet",
	.id_elem = "imageId", .id_param = "ImageId.1", .own_name_elem = "name",
	.own_name_filter = "name", .owner_self = 1, .page_size = S_PAGE,
	.fill = s_image_fill,
};

static int s_image_plan(struct rt_plan *p)
{
	return rt_ec2_plan(&s_image, p);
}

static int s_image_answer(struct rt_answer *a, const char *body, size_t len,
			  struct si_err *err)
{
	return rt_ec2_answer(&s_image, a, body, len, err);
}

static void s_image_summary(const struct res_resource *r, char *out, size_t n)
{
	char owner[64];
	const char *own = res_field(r, "AMI name"), *o = res_field(r, "Owner alias");
	const char *parts[4] = { own != NULL && r->name != NULL && strcmp(own, r->name) != 0
					 ? own : NULL,
				 r->state, res_field(r, "Architecture"), NULL };

	if (o == NULL)
		o = res_field(r, "Owner");
	if (o != NULL && snprintf(owner, sizeof(owner), "owner %s", o) > 0)
		parts[3] = owner;
	rt_ec2_summary(out, n, parts, 4);
}

static void s_image_url(const struct res_resource *r, const char *region, char *out,
			size_t n)
{
	rt_ec2_console(r, region, "ec2", "ImageDetails", "imageId", out, n);
}

static const char *const s_image_prefixes[] = { "ami-", NULL };
static const char *const s_image_arn[] = { "image", NULL };
static const char *const s_image_actions[] = { "ec2:DescribeImages", NULL };
/* ImageId.1 of an AMI this region does not hold, or one deregistered. */
static const char *const s_image_absent[] = {
	"InvalidAMIID.NotFound", "InvalidAMIID.Unavailable", NULL
};

const struct rt_type rt_image = {
	.name = "image",
	.label = "AMI",
	.by = RT_BY_ID | RT_BY_ARN | RT_BY_NAME,
	.id_prefixes = s_image_prefixes,
	.arn_service = "ec2",
	.arn_types = s_image_arn,
	.actions = s_image_actions,
	.absent_codes = s_image_absent,
	.plan = s_image_plan,
	.answer = s_image_answer,
	.summary = s_image_summary,
	.console_url = s_image_url,
};

/* ---- snapshots ----------------------------------------------------------- */

static int s_snapshot_fill(struct rt_answer *a, const xmlNode *it, struct res_resource *r,
			   struct si_err *err)
{
	(void)a;
	if (qx_set(&r->state, it, "status", err) != 0 ||
	    qx_set(&r->created, it, "startTime", err) != 0 ||
	    qx_rel(r, "volume", "volume", it, "volumeId", NULL, err) != 0 ||
	    qx_field_unit(r, "Size", it, "volumeSize", " GiB", err) != 0 ||
	    qx_field(r, "Progress", it, "progress", err) != 0 ||
	    qx_field(r, "Owner", it, "ownerId", err) != 0 ||
	    qx_field(r, "Description", it, "description", err) != 0 ||
	    qx_flag(r, "Encrypted", it, "encrypted", err) != 0)
		return -1;
	return 0;
}

static const struct rt_ec2_kind s_snapshot = {
	.type = &rt_snapshot, .action = "DescribeSnapshots", .set = "snapshotSet",
	.id_elem = "snapshotId", .id_param = "SnapshotId.1", .owner_self = 1,
	.page_size = S_PAGE, .fill = s_snapshot_fill,
};

static int s_snapshot_plan(struct rt_plan *p)
{
	return rt_ec2_plan(&s_snapshot, p);
}

static int s_snapshot_answer(struct rt_answer *a, const char *body, size_t len,
			     struct si_err *err)
{
	return rt_ec2_answer(&s_snapshot, a, body, len, err);
}

static void s_snapshot_summary(const struct res_resource *r, char *out, size_t n)
{
	char from[64];
	const char *p = res_field(r, "Progress");
	const char *parts[4] = { res_field(r, "Size"), r->state,
				 p != NULL && strcmp(p, "100%") != 0 ? p : NULL, NULL };

	if (r->n_rels > 0 && snprintf(from, sizeof(from), "from %s", r->rels[0].id) > 0)
		parts[3] = from;
	rt_ec2_summary(out, n, parts, 4);
}

static void s_snapshot_url(const struct res_resource *r, const char *region, char *out,
			   size_t n)
{
	rt_ec2_console(r, region, "ec2", "SnapshotDetails", "snapshotId", out, n);
}

static const char *const s_snapshot_prefixes[] = { "snap-", NULL };
static const char *const s_snapshot_arn[] = { "snapshot", NULL };
static const char *const s_snapshot_actions[] = { "ec2:DescribeSnapshots", NULL };
static const char *const s_snapshot_absent[] = { "InvalidSnapshot.NotFound", NULL };

const struct rt_type rt_snapshot = {
	.name = "snapshot",
	.label = "EBS snapshot",
	.by = RT_BY_ID | RT_BY_ARN | RT_BY_NAME,
	.id_prefixes = s_snapshot_prefixes,
	.arn_service = "ec2",
	.arn_types = s_snapshot_arn,
	.actions = s_snapshot_actions,
	.absent_codes = s_snapshot_absent,
	.plan = s_snapshot_plan,
	.answer = s_snapshot_answer,
	.summary = s_snapshot_summary,
	.console_url = s_snapshot_url,
};

/* ---- launch templates ---------------------------------------------------- */

static int s_lt_fill(struct rt_answer *a, const xmlNode *it, struct res_resource *r,
		     struct si_err *err)
{
	(void)a;
	if (qx_set(&r->created, it, "createTime", err) != 0 ||
	    qx_field(r, "Template name", it, "launchTemplateName", err) != 0 ||
	    qx_field(r, "Default version", it, "defaultVersionNumber", err) != 0 ||
	    qx_field(r, "Latest version", it, "latestVersionNumber", err) != 0 ||
	    qx_field(r, "Created by", it, "createdBy", err) != 0)
		return -1;
	return 0;
}

/* Names: the Name tag and the template's own ("launch-template-name"). */
static const struct rt_ec2_kind s_lt = {
	.type = &rt_launch_template, .action = "DescribeLaunchTemplates",
	.set = "launchTemplates", .id_elem = "launchTemplateId",
	.id_param = "LaunchTemplateId.1", .own_name_elem = "launchTemplateName",
	.own_name_filter = "launch-template-name", .page_size = S_PAGE, .fill = s_lt_fill,
};

static int s_lt_plan(struct rt_plan *p)
{
	return rt_ec2_plan(&s_lt, p);
}

static int s_lt_answer(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	return rt_ec2_answer(&s_lt, a, body, len, err);
}

static void s_lt_summary(const struct res_resource *r, char *out, size_t n)
{
	char def[48], latest[48];
	const char *d = res_field(r, "Default version"), *l = res_field(r, "Latest version");
	const char *parts[2] = { NULL, NULL };

	if (d != NULL && snprintf(def, sizeof(def), "default v%s", d) > 0)
		parts[0] = def;
	if (l != NULL && snprintf(latest, sizeof(latest), "latest v%s", l) > 0)
		parts[1] = latest;
	rt_ec2_summary(out, n, parts, 2);
}

static void s_lt_url(const struct res_resource *r, const char *region, char *out, size_t n)
{
	rt_ec2_console(r, region, "ec2", "LaunchTemplateDetails", "launchTemplateId", out, n);
}

static const char *const s_lt_prefixes[] = { "lt-", NULL };
static const char *const s_lt_arn[] = { "launch-template", NULL };
static const char *const s_lt_actions[] = { "ec2:DescribeLaunchTemplates", NULL };
static const char *const s_lt_absent[] = { "InvalidLaunchTemplateId.NotFound", NULL };

const struct rt_type rt_launch_template = {
	.name = "launch-template",
	.label = "Launch template",
	.by = RT_BY_ID | RT_BY_ARN | RT_BY_NAME,
	.id_prefixes = s_lt_prefixes,
	.arn_service = "ec2",
	.arn_types = s_lt_arn,
	.actions = s_lt_actions,
	.absent_codes = s_lt_absent,
	.plan = s_lt_plan,
	.answer = s_lt_answer,
	.summary = s_lt_summary,
	.console_url = s_lt_url,
};
