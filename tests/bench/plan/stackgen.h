/*
 * stackgen.h - generates manifest trees of a given size for benchmarks:
 * the shape of a large Synapse + ML platform, many workspaces with pools,
 * firewall rules and artifacts, written as real files azapply loads,
 * either one file per workspace or one component instantiated per
 * workspace.
 */
#ifndef AZAPPLY_BENCH_STACKGEN_H
#define AZAPPLY_BENCH_STACKGEN_H

#include <stddef.h>

typedef struct stackgen {
	const char *stack;       /* stack name */
	const char *rg;          /* resource group; created by the stack when own_rg */
	int own_rg;
	int workspaces;          /* Synapse workspaces */
	int pools;               /* Spark pools per workspace */
	int rules;               /* firewall rules per workspace */
	int pipelines;           /* pipelines per workspace */
	int notebooks;           /* notebooks per workspace */
	int linked_services;     /* linked services per workspace */
	int scripts;             /* SQL scripts per workspace */
	const char *ws_prefix;   /* workspace name prefix */
	int components;          /* the workspace shape as one component, instantiated
				  * once per workspace (forEach) */
} stackgen;

/* Writes the stack into `dir` (which must exist); returns the number of
 * resources, or -1 on a write error. */
int stackgen_write(const stackgen *g, const char *dir);
/* Writes `count` pipeline manifests for workspace manifest `ws` into dir. */
int stackgen_write_pipelines(const char *dir, const char *ws, int count, const char *file);

#endif
