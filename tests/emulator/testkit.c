/*
 * testkit.c - helpers shared by the emulator's tests (see testkit.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testkit.h"

#include <azapply/provider.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *tk_at(json_t *o, const char *path)
{
	json_t *cur = o;
	const char *p = path;
	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char *key = az_xstrndup(p, n);
		if (json_is_array(cur))
			cur = json_array_get(cur, strtoul(key, NULL, 10));
		else
			cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
		free(key);
		p += n + (dot ? 1 : 0);
	}
	return cur;
}

const char *tk_str(json_t *o, const char *path)
{
	return json_string_value(tk_at(o, path));
}

char *tk_url(emu *e, const char *host, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *path = az_xvasprintf(fmt, ap);
	va_end(ap);
	char *url = az_xasprintf("https://%s:%d%s", host, emu_port(e), path);
	free(path);
	return url;
}

void tk_send(emu *e, emu_response *r, const char *method, const char *url, const char *token,
	     const char *const *extra, const char *body)
{
	const char *headers[16];
	size_t n = 0;
	char *auth = token ? az_xasprintf("Authorization: Bearer %s", token) : NULL;
	if (auth)
		headers[n++] = auth;
	headers[n++] = "Content-Type: application/json";
	for (size_t i = 0; extra && extra[i] && n < 15; i++)
		headers[n++] = extra[i];
	headers[n] = NULL;
	int rc = emu_http(e, r, method, url, headers, body, body ? strlen(body) : 0);
	free(auth);
	assert_int_equal(rc, 0);
}

static void form_escape(az_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-_.~", *p)) {
			az_buf_putc(b, (char)*p);
		} else {
			az_buf_putc(b, '%');
			az_buf_putc(b, hex[*p >> 4]);
			az_buf_putc(b, hex[*p & 15]);
		}
	}
}

void tk_token_request(emu *e, emu_response *r, const char *tenant, const char *const *fields)
{
	az_buf body = AZ_BUF_INIT;
	for (size_t i = 0; fields[i] && fields[i + 1]; i += 2) {
		if (i)
			az_buf_putc(&body, '&');
		az_buf_puts(&body, fields[i]);
		az_buf_putc(&body, '=');
		form_escape(&body, fields[i + 1]);
	}
	char *url = tk_url(e, "login.localhost", "/%s/oauth2/v2.0/token", tenant);
	const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
	int rc = emu_http(e, r, "POST", url, headers, body.data ? body.data : "", body.len);
	free(url);
	az_buf_free(&body);
	assert_int_equal(rc, 0);
}

void tk_poll_location(emu *e, const char *url, const char *token, emu_response *final)
{
	for (int i = 0; i < 20; i++) {
		tk_send(e, final, "GET", url, token, NULL, NULL);
		if (final->status != 202)
			return;
		emu_response_free(final);
	}
	fail_msg("the operation at %s never ended", url);
}

/* Polls an Azure-AsyncOperation URL (taken; may be NULL) until its
 * operation is no longer InProgress. */
void tk_follow_async(emu *e, const char *arm_token, char *async)
{
	emu_response fin;
	for (int i = 0; async && i < 20; i++) {
		tk_send(e, &fin, "GET", async, arm_token, NULL, NULL);
		assert_int_equal(fin.status, 200);
		bool running = !strcmp(tk_str(fin.json, "status"), "InProgress");
		emu_response_free(&fin);
		if (!running)
			break;
	}
	free(async);
}

void tk_make_workspace(emu *e, const char *arm_token, const char *rg, const char *ws)
{
	tk_make_closed_workspace(e, arm_token, rg, ws);
	tk_allow_all(e, arm_token, rg, ws);
}

void tk_make_closed_workspace(emu *e, const char *arm_token, const char *rg, const char *ws)
{
	emu_response r;
	char *rg_url = tk_url(e, "management.localhost",
			      "/subscriptions/%s/resourceGroups/%s?api-version=2021-04-01",
			      emu_subscription_id(e), rg);
	tk_send(e, &r, "PUT", rg_url, arm_token, NULL, "{\"location\":\"eastus\"}");
	assert_true(r.status == 200 || r.status == 201);
	emu_response_free(&r);
	char *ws_url = tk_url(e, "management.localhost",
			      "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Synapse/"
			      "workspaces/%s?api-version=2021-06-01",
			      emu_subscription_id(e), rg, ws);
	tk_send(e, &r, "PUT", ws_url, arm_token, NULL,
		"{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},"
		"\"properties\":{\"defaultDataLakeStorage\":{\"accountUrl\":"
		"\"https://acct.dfs.core.windows.net\",\"filesystem\":\"fs\"}}}");
	assert_true(r.status == 200 || r.status == 201);
	char *async = emu_response_header(&r, "Azure-AsyncOperation");
	emu_response_free(&r);
	tk_follow_async(e, arm_token, async);
	tk_send(e, &r, "GET", ws_url, arm_token, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(tk_str(r.json, "properties.provisioningState"), "Succeeded");
	emu_response_free(&r);
	free(ws_url);
	free(rg_url);
}

void tk_allow_all(emu *e, const char *arm_token, const char *rg, const char *ws)
{
	emu_response r;
	char *url = tk_url(e, "management.localhost",
			   "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Synapse/"
			   "workspaces/%s/firewallRules/allowAll?api-version=2021-06-01",
			   emu_subscription_id(e), rg, ws);
	tk_send(e, &r, "PUT", url, arm_token, NULL,
		"{\"properties\":{\"startIpAddress\":\"0.0.0.0\","
		"\"endIpAddress\":\"255.255.255.255\"}}");
	assert_true(r.status == 200 || r.status == 201);
	char *async = emu_response_header(&r, "Azure-AsyncOperation");
	emu_response_free(&r);
	tk_follow_async(e, arm_token, async);
	free(url);
}

void tk_give_managed_vnet(emu *e, const char *rg, const char *ws)
{
	char *path = az_xasprintf("arm/subscriptions/%s/resourceGroups/%s/providers/"
				  "Microsoft.Synapse/workspaces/%s",
				  emu_subscription_id(e), rg, ws);
	assert_int_equal(emu_control(e, "PATCH", path,
				     "{\"properties\":{\"managedVirtualNetwork\":\"default\"}}", NULL),
			 200);
	free(path);
}
