/*
 * throttle.c - ARM's per-subscription token buckets (azure-notes.md,
 * "Resource Manager"): reads 250 burst refilled at 25/s, writes and deletes
 * 200 burst at 10/s. --throttle-scale multiplies both burst and rate, so
 * 0.01 provokes a storm in a handful of requests and a large factor turns
 * throttling off in practice. Every ARM answer reports what is left in
 * x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}; an empty
 * bucket answers 429 with Retry-After in whole seconds.
 */
#include "emu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	double burst;
	double rate;
} limits[3] = {
	{"reads", 250, 25},
	{"writes", 200, 10},
	{"deletes", 200, 10},
};

static int bucket_index(const char *method)
{
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
		return 0;
	if (!strcmp(method, "DELETE"))
		return 2;
	return 1;
}

static emu_bucket *find_bucket(emu_server *s, const char *subscription, double scale,
			       long long now)
{
	for (size_t i = 0; i < s->nbuckets; i++)
		if (!strcasecmp(s->buckets[i].subscription, subscription))
			return &s->buckets[i];
	s->buckets = az_xrealloc(s->buckets, (s->nbuckets + 1) * sizeof(*s->buckets));
	emu_bucket *b = &s->buckets[s->nbuckets++];
	b->subscription = az_xstrdup(subscription);
	for (int k = 0; k < 3; k++)
		b->tokens[k] = fmax(1.0, limits[k].burst * scale);
	b->last_ms = now;
	return b;
}

bool emu_throttle(emu_server *s, const emu_req *q, emu_resp *r, const char *subscription)
{
	int k = bucket_index(q->method);
	long long now = emu_now_ms();
	bool ok;
	int remaining, retry_after = 0;

	pthread_mutex_lock(&s->lock);
	double scale = s->cfg.throttle_scale > 0 ? s->cfg.throttle_scale : 1.0;
	emu_bucket *b = find_bucket(s, subscription, scale, now);
	double elapsed = (double)(now - b->last_ms) / 1000.0;
	b->last_ms = now;
	for (int i = 0; i < 3; i++) {
		double burst = fmax(1.0, limits[i].burst * scale);
		b->tokens[i] = fmin(burst, b->tokens[i] + elapsed * limits[i].rate * scale);
	}
	ok = b->tokens[k] >= 1.0;
	if (ok)
		b->tokens[k] -= 1.0;
	else
		retry_after = (int)ceil((1.0 - b->tokens[k]) / (limits[k].rate * scale));
	remaining = (int)floor(b->tokens[k]);
	pthread_mutex_unlock(&s->lock);

	char *header = az_xasprintf("x-ms-ratelimit-remaining-subscription-%s", limits[k].name);
	emu_resp_header(r, header, "%d", remaining);
	free(header);
	if (ok)
		return true;
	if (retry_after < 1)
		retry_after = 1;
	emu_resp_header(r, "Retry-After", "%d", retry_after);
	emu_resp_arm_error(r, 429, "SubscriptionRequestsThrottled",
			   "Number of '%s' requests for subscription '%s' exceeded. Please try "
			   "again after '%d' seconds after the time specified in the "
			   "'Retry-After' header.",
			   limits[k].name, subscription, retry_after);
	return false;
}
