// auth-gate: a Proxy-Wasm ABI 0.2.1 HTTP filter in plain C (clang --target=wasm32-wasi -mexec-model=reactor),
// with the host functions declared by hand as no C SDK is packaged for Debian.
//
// Configuration (JSON): {"upstream": "<cluster>", "public_prefix": "<path prefix>"}; no "upstream" → refused.
// - Paths under /admin: local response 403. No Authorization header: 401, unless the path is public.
// - An Authorization header: the request is paused, the header is removed and sent to the upstream
//   (POST /check); the answer arrives on the root context, which makes the request's context effective; a 200 adds x-auth-user (from the answer's x-auth-user) and resumes the request;
//   any other answer (or a failed call) ends it with a local 403 (503 when the call failed).
// - Responses: cache-control replaced by "no-store", server removed.
// - Metrics, shared data (a request count), a 1 s tick, logs at every level from trace to error.
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOST(name) __attribute__((import_module("env"), import_name(#name)))
#define CALLBACK(name) __attribute__((export_name(#name)))

typedef uint32_t WasmResult;

enum { OK = 0, NOT_FOUND = 1 };
enum { LOG_TRACE = 0, LOG_DEBUG = 1, LOG_INFO = 2, LOG_WARN = 3, LOG_ERROR = 4 };
enum { REQUEST_HEADERS = 0, RESPONSE_HEADERS = 2, HTTP_CALL_RESPONSE_HEADERS = 6 };
enum { HTTP_CALL_RESPONSE_BODY = 4, PLUGIN_CONFIGURATION = 7 };
enum { COUNTER = 0, GAUGE = 1, HISTOGRAM = 2 };
enum { STREAM_REQUEST = 0 };
enum { CONTINUE = 0, PAUSE = 1 };

HOST(proxy_log) WasmResult proxy_log(uint32_t level, const char *message, size_t size);
HOST(proxy_get_buffer_bytes) WasmResult proxy_get_buffer_bytes(uint32_t type, uint32_t start, uint32_t max, char **data, size_t *size);
HOST(proxy_get_header_map_value) WasmResult proxy_get_header_map_value(uint32_t map, const char *key, size_t key_size, char **value, size_t *value_size);
HOST(proxy_add_header_map_value) WasmResult proxy_add_header_map_value(uint32_t map, const char *key, size_t key_size, const char *value, size_t value_size);
HOST(proxy_replace_header_map_value) WasmResult proxy_replace_header_map_value(uint32_t map, const char *key, size_t key_size, const char *value, size_t value_size);
HOST(proxy_remove_header_map_value) WasmResult proxy_remove_header_map_value(uint32_t map, const char *key, size_t key_size);
HOST(proxy_get_property) WasmResult proxy_get_property(const char *path, size_t path_size, char **value, size_t *value_size);
HOST(proxy_send_local_response) WasmResult proxy_send_local_response(uint32_t status, const char *details, size_t details_size, const char *body, size_t body_size, const char *headers, size_t headers_size, int32_t grpc_status);
HOST(proxy_http_call) WasmResult proxy_http_call(const char *upstream, size_t upstream_size, const char *headers, size_t headers_size, const char *body, size_t body_size, const char *trailers, size_t trailers_size, uint32_t timeout_ms, uint32_t *token);
HOST(proxy_continue_stream) WasmResult proxy_continue_stream(uint32_t stream);
HOST(proxy_set_effective_context) WasmResult proxy_set_effective_context(uint32_t context);
HOST(proxy_define_metric) WasmResult proxy_define_metric(uint32_t type, const char *name, size_t name_size, uint32_t *id);
HOST(proxy_increment_metric) WasmResult proxy_increment_metric(uint32_t id, int64_t offset);
HOST(proxy_record_metric) WasmResult proxy_record_metric(uint32_t id, uint64_t value);
HOST(proxy_get_metric) WasmResult proxy_get_metric(uint32_t id, uint64_t *value);
HOST(proxy_set_shared_data) WasmResult proxy_set_shared_data(const char *key, size_t key_size, const char *value, size_t value_size, uint32_t cas);
HOST(proxy_get_shared_data) WasmResult proxy_get_shared_data(const char *key, size_t key_size, char **value, size_t *value_size, uint32_t *cas);
HOST(proxy_set_tick_period_milliseconds) WasmResult proxy_set_tick_period_milliseconds(uint32_t ms);

// The host allocates what it returns (header values, buffers, properties) through this export.
CALLBACK(proxy_on_memory_allocate) void *proxy_on_memory_allocate(size_t size) { return malloc(size); }
CALLBACK(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}

__attribute__((format(printf, 2, 3)))
static void logf_at(uint32_t level, const char *format, ...) {
  char line[256];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(line, sizeof line, format, args);
  va_end(args);
  proxy_log(level, line, n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

// A host string copied into a NUL-terminated malloc'd one (NULL when absent).
static char *take(WasmResult result, char *data, size_t size) {
  if (result != OK) return NULL;
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = 0;
  free(data);
  return text;
}

static char *header(uint32_t map, const char *name) {
  char *data = NULL;
  size_t size = 0;
  return take(proxy_get_header_map_value(map, name, strlen(name), &data, &size), data, size);
}

static char *property(const char *path, size_t path_size) {
  char *data = NULL;
  size_t size = 0;
  return take(proxy_get_property(path, path_size, &data, &size), data, size);
}

// Header pairs as the ABI marshals them: count, (name size, value size) each, then "name\0value\0" each.
static char *serialize_pairs(const char *pairs[][2], uint32_t count, size_t *out_size) {
  size_t size = 4 + 8 * count;
  for (uint32_t i = 0; i < count; i++) size += strlen(pairs[i][0]) + strlen(pairs[i][1]) + 2;
  char *buffer = malloc(size);
  uint32_t *sizes = (uint32_t *)buffer;
  sizes[0] = count;
  char *text = buffer + 4 + 8 * count;
  for (uint32_t i = 0; i < count; i++) {
    for (int j = 0; j < 2; j++) {
      uint32_t length = strlen(pairs[i][j]);
      sizes[1 + 2 * i + j] = length;
      memcpy(text, pairs[i][j], length + 1);
      text += length + 1;
    }
  }
  *out_size = size;
  return buffer;
}

static void local_response(uint32_t status, const char *details, const char *body, const char *pairs[][2], uint32_t count) {
  size_t headers_size = 0;
  char *headers = serialize_pairs(pairs, count, &headers_size);
  proxy_send_local_response(status, details, strlen(details), body, strlen(body), headers, headers_size, -1);
  free(headers);
}

// Reads "key": "value" from flat JSON text; enough for this plugin's own configuration.
static char *json_string(const char *json, const char *key) {
  char quoted[64];
  snprintf(quoted, sizeof quoted, "\"%s\"", key);
  const char *at = strstr(json, quoted);
  if (!at) return NULL;
  at = strchr(at + strlen(quoted), ':');
  if (!at) return NULL;
  at = strchr(at, '"');
  if (!at) return NULL;
  const char *end = strchr(at + 1, '"');
  if (!end) return NULL;
  return strndup(at + 1, end - at - 1);
}

#define MAX_ROOTS 8
#define MAX_STREAMS 64

static struct {
  uint32_t id;
  char *upstream;
  char *public_prefix;
} roots[MAX_ROOTS];

static struct {
  uint32_t id;
  uint32_t root;
  uint32_t token;
} streams[MAX_STREAMS];

static uint32_t requests_metric, denied_metric, token_length_metric, seen_at_tick_metric, ticks_metric;
static unsigned ticks;

static int root_slot(uint32_t id) {
  for (int i = 0; i < MAX_ROOTS; i++) if (roots[i].id == id) return i;
  return -1;
}

static int stream_slot(uint32_t id) {
  for (int i = 0; i < MAX_STREAMS; i++) if (streams[i].id == id) return i;
  return -1;
}

static int stream_waiting_for(uint32_t token) {
  for (int i = 0; i < MAX_STREAMS; i++) if (streams[i].id != 0 && streams[i].token == token) return i;
  return -1;
}

static void define(uint32_t type, const char *name, uint32_t *id) {
  proxy_define_metric(type, name, strlen(name), id);
}

CALLBACK(proxy_on_context_create) void proxy_on_context_create(uint32_t id, uint32_t parent) {
  if (parent == 0) {
    int slot = root_slot(0);
    if (slot >= 0) roots[slot].id = id;
    return;
  }
  int slot = stream_slot(0);
  if (slot >= 0) {
    streams[slot].id = id;
    streams[slot].root = parent;
    streams[slot].token = 0;
  }
}

CALLBACK(proxy_on_vm_start) uint32_t proxy_on_vm_start(uint32_t root, uint32_t vm_configuration_size) {
  logf_at(LOG_INFO, "auth-gate VM started (vm configuration: %u bytes)", vm_configuration_size);
  define(COUNTER, "auth_gate.requests", &requests_metric);
  define(COUNTER, "auth_gate.denied", &denied_metric);
  define(HISTOGRAM, "auth_gate.token_length", &token_length_metric);
  define(GAUGE, "auth_gate.requests_at_tick", &seen_at_tick_metric);
  define(COUNTER, "auth_gate.ticks", &ticks_metric);
  return 1;
}

CALLBACK(proxy_on_configure) uint32_t proxy_on_configure(uint32_t root, uint32_t size) {
  int slot = root_slot(root);
  if (slot < 0) return 0;
  char *data = NULL;
  size_t data_size = 0;
  char *json = size == 0 ? NULL : take(proxy_get_buffer_bytes(PLUGIN_CONFIGURATION, 0, size, &data, &data_size), data, data_size);
  char *upstream = json ? json_string(json, "upstream") : NULL;
  if (!upstream) {
    logf_at(LOG_ERROR, "configuration refused: expected {\"upstream\": \"<cluster>\"}, got %u bytes", size);
    free(json);
    return 0;
  }
  roots[slot].upstream = upstream;
  roots[slot].public_prefix = json_string(json, "public_prefix");
  free(json);
  char *name = property("plugin_name", strlen("plugin_name"));
  logf_at(LOG_INFO, "plugin %s configured: upstream %s, public prefix %s", name ? name : "(none)", upstream,
          roots[slot].public_prefix ? roots[slot].public_prefix : "(none)");
  free(name);
  proxy_set_tick_period_milliseconds(1000);
  return 1;
}

CALLBACK(proxy_on_request_headers) uint32_t proxy_on_request_headers(uint32_t id, uint32_t count, uint32_t end_of_stream) {
  int stream = stream_slot(id);
  int root = stream >= 0 ? root_slot(streams[stream].root) : -1;
  if (root < 0 || !roots[root].upstream) return CONTINUE;
  proxy_increment_metric(requests_metric, 1);
  static const char path_property[] = "request\0path";
  char *path = property(path_property, sizeof path_property - 1);
  logf_at(LOG_DEBUG, "request headers: %u headers, path %s", count, path ? path : "(none)");
  uint32_t action = CONTINUE;
  char *authorization = header(REQUEST_HEADERS, "authorization");
  if (path && strncmp(path, "/admin", 6) == 0) {
    const char *pairs[][2] = {{"x-denied-by", "auth-gate"}};
    local_response(403, "auth_gate_admin_path", "admin is internal\n", pairs, 1);
    proxy_increment_metric(denied_metric, 1);
    logf_at(LOG_WARN, "denied %s: admin path", path);
    action = PAUSE;
  } else if (!authorization) {
    const char *prefix = roots[root].public_prefix;
    if (prefix && path && strncmp(path, prefix, strlen(prefix)) == 0) {
      proxy_add_header_map_value(REQUEST_HEADERS, "x-auth-gate", 11, "public", 6);
    } else {
      const char *pairs[][2] = {{"www-authenticate", "Bearer realm=\"plugins\""}, {"x-denied-by", "auth-gate"}};
      local_response(401, "auth_gate_missing_authorization", "missing credentials\n", pairs, 2);
      proxy_increment_metric(denied_metric, 1);
      logf_at(LOG_WARN, "denied %s: no authorization header", path ? path : "(none)");
      action = PAUSE;
    }
  } else {
    proxy_record_metric(token_length_metric, strlen(authorization));
    const char *upstream = roots[root].upstream;
    const char *pairs[][2] = {{":method", "POST"}, {":path", "/check"}, {":authority", upstream}, {"authorization", authorization}};
    size_t headers_size = 0;
    char *headers = serialize_pairs(pairs, 4, &headers_size);
    char body[160];
    int body_size = snprintf(body, sizeof body, "{\"path\":\"%s\"}", path ? path : "");
    uint32_t token = 0;
    WasmResult result = proxy_http_call(upstream, strlen(upstream), headers, headers_size, body, body_size, NULL, 0, 500, &token);
    free(headers);
    if (result == OK) {
      streams[stream].token = token;
      proxy_remove_header_map_value(REQUEST_HEADERS, "authorization", 13);
      logf_at(LOG_INFO, "checking credentials with %s (call %u)", upstream, token);
      action = PAUSE;
    } else {
      logf_at(LOG_ERROR, "http call to %s failed: result %u", upstream, result);
      local_response(503, "auth_gate_call_failed", "auth unavailable\n", NULL, 0);
      action = PAUSE;
    }
  }
  free(authorization);
  free(path);
  return action;
}

// The host calls out from the root context (cpp-host's http_call uses root_context()), so the answer
// arrives there: the stream it belongs to is found by token and made the effective context.
CALLBACK(proxy_on_http_call_response) void proxy_on_http_call_response(uint32_t root, uint32_t token, uint32_t headers, uint32_t body_size, uint32_t trailers) {
  int stream = stream_waiting_for(token);
  if (stream < 0) {
    logf_at(LOG_ERROR, "answer %u on context %u for no waiting request", token, root);
    return;
  }
  proxy_set_effective_context(streams[stream].id);
  streams[stream].token = 0;
  char *status = headers > 0 ? header(HTTP_CALL_RESPONSE_HEADERS, ":status") : NULL;
  logf_at(LOG_INFO, "call %u answered: status %s, %u headers, %u body bytes", token, status ? status : "(failed)", headers, body_size);
  if (status && strcmp(status, "200") == 0) {
    char *user = header(HTTP_CALL_RESPONSE_HEADERS, "x-auth-user");
    char *data = NULL;
    size_t data_size = 0;
    char *body = take(proxy_get_buffer_bytes(HTTP_CALL_RESPONSE_BODY, 0, body_size, &data, &data_size), data, data_size);
    logf_at(LOG_TRACE, "auth body: %s", body ? body : "(none)");
    proxy_add_header_map_value(REQUEST_HEADERS, "x-auth-user", 11, user ? user : "", user ? strlen(user) : 0);
    proxy_continue_stream(STREAM_REQUEST);
    free(user);
    free(body);
  } else {
    const char *pairs[][2] = {{"x-denied-by", "auth-gate"}};
    if (status) local_response(403, "auth_gate_denied", "denied by auth upstream\n", pairs, 1);
    else local_response(503, "auth_gate_upstream_unavailable", "auth unavailable\n", pairs, 1);
    proxy_increment_metric(denied_metric, 1);
  }
  free(status);
}

CALLBACK(proxy_on_response_headers) uint32_t proxy_on_response_headers(uint32_t id, uint32_t count, uint32_t end_of_stream) {
  proxy_replace_header_map_value(RESPONSE_HEADERS, "cache-control", 13, "no-store", 8);
  proxy_remove_header_map_value(RESPONSE_HEADERS, "server", 6);
  return CONTINUE;
}

// Counts finished requests in shared data, with compare-and-swap as plugins sharing a VM must.
CALLBACK(proxy_on_log) void proxy_on_log(uint32_t id) {
  static const char key[] = "auth_gate.logged";
  char *data = NULL;
  size_t size = 0;
  uint32_t cas = 0;
  char *value = take(proxy_get_shared_data(key, sizeof key - 1, &data, &size, &cas), data, size);
  char next[24];
  int next_size = snprintf(next, sizeof next, "%d", value ? atoi(value) + 1 : 1);
  WasmResult result = proxy_set_shared_data(key, sizeof key - 1, next, next_size, cas);
  logf_at(LOG_TRACE, "logged request %s (cas %u, result %u)", next, cas, result);
  free(value);
}

CALLBACK(proxy_on_done) uint32_t proxy_on_done(uint32_t id) { return 1; }

CALLBACK(proxy_on_delete) void proxy_on_delete(uint32_t id) {
  int stream = stream_slot(id);
  if (stream >= 0) streams[stream].id = 0;
}

CALLBACK(proxy_on_tick) void proxy_on_tick(uint32_t root) {
  uint64_t requests = 0;
  proxy_get_metric(requests_metric, &requests);
  proxy_record_metric(seen_at_tick_metric, requests);
  proxy_increment_metric(ticks_metric, 1);
  ticks++;
  char value[24];
  int size = snprintf(value, sizeof value, "%u", ticks);
  proxy_set_shared_data("auth_gate.ticks", 15, value, size, 0);
  logf_at(LOG_DEBUG, "tick %u on root %u: %llu requests so far", ticks, root, (unsigned long long)requests);
}
