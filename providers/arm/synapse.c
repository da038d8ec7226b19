/*
 * synapse.c - Synapse workspaces and their Spark and SQL pools
 * (SynapseWorkspace, SparkPool, SqlPool): one change at a time.
 *
 * A workspace takes one operation at a time on itself and its pools: a
 * write that arrives while another is running answers 409
 * AnotherOperationInProgress (ARM's code for it), which asks the caller to
 * come back once the other has ended. apply writes a workspace's pools side
 * by side, so it meets this whenever a stack has two pools; it tries again
 * with the waits doubling from 2 s (capped at 30 s), for about five
 * minutes: as long as a pool takes to create. The planner orders nothing
 * for it, and needs not.
 */
#include "arm/arm.h"

static const char *const in_progress[] = {"AnotherOperationInProgress", NULL};

/* 2 + 4 + 8 + 16 + 30 * 9 s: about five minutes. */
#define IN_PROGRESS_TRIES 13

const arm_kind_ops az_arm_synapse_workspace_ops = {
	.kind = "SynapseWorkspace",
	.retry_codes = in_progress,
	.retry_max = IN_PROGRESS_TRIES,
};

const arm_kind_ops az_arm_spark_pool_ops = {
	.kind = "SparkPool",
	.retry_codes = in_progress,
	.retry_max = IN_PROGRESS_TRIES,
};

const arm_kind_ops az_arm_sql_pool_ops = {
	.kind = "SqlPool",
	.retry_codes = in_progress,
	.retry_max = IN_PROGRESS_TRIES,
};
