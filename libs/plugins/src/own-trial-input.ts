import { CONTRACT_LIMITS } from '../../contract/index.js';
import { invalidInput, type FieldProblem } from '../../domain/index.js';
import { DEFAULT_REQUESTS, TRACE_BOUNDS, type StubbedAnswer, type SyntheticRequest } from '../../sandbox/index.js';

/** What one may ask of an own trial, beside the sandbox's OWN_TRIAL_LIMITS: enough for a dry run, not for a load test. */
export const OWN_TRIAL_INPUT_LIMITS = {
  configurationBytes: CONTRACT_LIMITS.configurationBytes,
  requests: TRACE_BOUNDS.requests,
  headersPerRequest: 32,
  headerNameBytes: TRACE_BOUNDS.headerNameBytes,
  headerValueBytes: TRACE_BOUNDS.headerValueBytes,
  pathBytes: 2048,
  bodyBytes: 16 * 1024,
  upstreams: 16,
  upstreamNameBytes: 256,
} as const;

/** The upstream's answer to each request of an own trial (its requests name only what goes in): the default requests' one. */
const UPSTREAM_RESPONSE = DEFAULT_REQUESTS[0]!.response;

/** Where an own trial's configuration comes from: the text itself, or one of the version's examples. */
export type OwnTrialConfiguration = { text: string } | { example: string };

/** An own trial as asked: its configuration, and the requests and upstream answers that replace the defaults. */
export interface OwnTrialInput {
  configuration: OwnTrialConfiguration;
  /** Undefined: the sandbox's default requests. */
  requests?: SyntheticRequest[];
  upstreams?: Record<string, StubbedAnswer>;
}

const HEADER_NAME = /^:?[a-z0-9!#$%&'*+.^_`|~-]+$/;
const METHOD = /^[A-Z]{1,16}$/;

/**
 * Reads the body of POST …/trial: `configuration` (any JSON value, given to the plugin as its JSON
 * text, as the registry's Envoy configuration embeds it), or `configurationText` (given byte for
 * byte: YAML, plain text …), or `example` (one of the version's); none of them: an empty
 * configuration. Optional `requests` and `upstreams`. Every problem is named by its field.
 */
export function readOwnTrialInput(body: unknown): OwnTrialInput {
  const problems: FieldProblem[] = [];
  if (body === undefined || body === null || body === '') body = {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidInput([{ field: 'body', message: 'must be a JSON object' }]);
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!['configuration', 'configurationText', 'example', 'requests', 'upstreams'].includes(key)) {
      problems.push({ field: `body.${key}`, message: 'is not a field of a trial (configuration, configurationText, example, requests, upstreams)' });
    }
  }
  const given = ['configuration', 'configurationText', 'example'].filter((key) => fields[key] !== undefined);
  let configuration: OwnTrialConfiguration = { text: '' };
  if (given.length > 1) {
    problems.push({ field: `body.${given[1]}`, message: `give one of configuration, configurationText and example, not ${given.join(' and ')}` });
  } else if (fields.example !== undefined) {
    if (typeof fields.example !== 'string' || fields.example === '') problems.push({ field: 'body.example', message: 'must be the name of one of the version\'s examples' });
    else configuration = { example: fields.example };
  } else if (fields.configurationText !== undefined) {
    if (typeof fields.configurationText !== 'string') problems.push({ field: 'body.configurationText', message: 'must be a string (the text the plugin receives)' });
    else configuration = { text: fields.configurationText };
  } else if (fields.configuration !== undefined) {
    configuration = { text: JSON.stringify(fields.configuration) };
  }
  if ('text' in configuration) {
    const bytes = Buffer.byteLength(configuration.text);
    if (bytes > OWN_TRIAL_INPUT_LIMITS.configurationBytes) {
      problems.push({ field: `body.${given[0] ?? 'configuration'}`, message: `must be at most ${OWN_TRIAL_INPUT_LIMITS.configurationBytes} bytes (got ${bytes})` });
    }
  }
  const requests = fields.requests === undefined ? undefined : readRequests(fields.requests, problems);
  const upstreams = fields.upstreams === undefined ? undefined : readUpstreams(fields.upstreams, problems);
  if (problems.length > 0) throw invalidInput(problems);
  return { configuration, ...(requests ? { requests } : {}), ...(upstreams ? { upstreams } : {}) };
}

function readRequests(value: unknown, problems: FieldProblem[]): SyntheticRequest[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > OWN_TRIAL_INPUT_LIMITS.requests) {
    problems.push({ field: 'body.requests', message: `must be a list of 1 to ${OWN_TRIAL_INPUT_LIMITS.requests} requests` });
    return undefined;
  }
  return value.map((item: unknown, index): SyntheticRequest => {
    const field = `body.requests[${index}]`;
    const request = (typeof item === 'object' && item !== null && !Array.isArray(item) ? item : {}) as Record<string, unknown>;
    if (request !== item) problems.push({ field, message: 'must be an object with method and path' });
    const method = typeof request.method === 'string' ? request.method : 'GET';
    if (request.method !== undefined && !(typeof request.method === 'string' && METHOD.test(request.method))) {
      problems.push({ field: `${field}.method`, message: 'must be an HTTP method in capitals, e.g. GET' });
    }
    const path = typeof request.path === 'string' ? request.path : '/';
    if (request.path !== undefined && !(typeof request.path === 'string' && path.startsWith('/') && Buffer.byteLength(path) <= OWN_TRIAL_INPUT_LIMITS.pathBytes && !/[\s\u0000-\u001f]/.test(path))) {
      problems.push({ field: `${field}.path`, message: `must start with "/", contain no spaces or control characters and be at most ${OWN_TRIAL_INPUT_LIMITS.pathBytes} bytes` });
    }
    return {
      name: `${method} ${path}`,
      method,
      path,
      headers: readHeaders(request.headers, `${field}.headers`, problems),
      body: readBody(request.body, `${field}.body`, problems),
      trailers: [],
      response: UPSTREAM_RESPONSE,
    };
  });
}

function readUpstreams(value: unknown, problems: FieldProblem[]): Record<string, StubbedAnswer> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ field: 'body.upstreams', message: 'must be an object: upstream (cluster) name → { status, headers, body }' });
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length > OWN_TRIAL_INPUT_LIMITS.upstreams) {
    problems.push({ field: 'body.upstreams', message: `must name at most ${OWN_TRIAL_INPUT_LIMITS.upstreams} upstreams` });
    return undefined;
  }
  const upstreams: Record<string, StubbedAnswer> = Object.create(null) as Record<string, StubbedAnswer>;
  for (const [name, item] of entries) {
    const field = `body.upstreams.${name}`;
    if (name === '' || Buffer.byteLength(name) > OWN_TRIAL_INPUT_LIMITS.upstreamNameBytes) {
      problems.push({ field, message: `an upstream name must be 1 to ${OWN_TRIAL_INPUT_LIMITS.upstreamNameBytes} bytes` });
      continue;
    }
    if (item === 'failure') {
      upstreams[name] = { kind: 'failure', status: 0, headers: [], body: '' };
      continue;
    }
    const answer = (typeof item === 'object' && item !== null && !Array.isArray(item) ? item : null) as Record<string, unknown> | null;
    if (answer === null) {
      problems.push({ field, message: 'must be "failure" or { status, headers, body }' });
      continue;
    }
    const status = answer.status ?? 200;
    if (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 599) problems.push({ field: `${field}.status`, message: 'must be an HTTP status from 100 to 599' });
    upstreams[name] = { kind: 'answer', status: status as number, headers: readHeaders(answer.headers, `${field}.headers`, problems), body: readBody(answer.body, `${field}.body`, problems) };
  }
  return upstreams;
}

/** Headers as an object (name → value) or a list of [name, value] pairs; names lowercase, as HTTP/2 and Envoy have them. */
function readHeaders(value: unknown, field: string, problems: FieldProblem[]): [string, string][] {
  if (value === undefined) return [];
  const pairs: unknown[] = Array.isArray(value) ? value : typeof value === 'object' && value !== null ? Object.entries(value) : [];
  if (pairs.length === 0 && !(typeof value === 'object' && value !== null)) {
    problems.push({ field, message: 'must be an object of name → value, or a list of [name, value]' });
    return [];
  }
  if (pairs.length > OWN_TRIAL_INPUT_LIMITS.headersPerRequest) {
    problems.push({ field, message: `must have at most ${OWN_TRIAL_INPUT_LIMITS.headersPerRequest} headers` });
    return [];
  }
  const headers: [string, string][] = [];
  pairs.forEach((pair, index) => {
    const [name, headerValue] = Array.isArray(pair) && pair.length === 2 ? pair : [undefined, undefined];
    if (typeof name !== 'string' || !HEADER_NAME.test(name) || Buffer.byteLength(name) > OWN_TRIAL_INPUT_LIMITS.headerNameBytes) {
      problems.push({ field: `${field}[${index}]`, message: `a header name must be a lowercase token of at most ${OWN_TRIAL_INPUT_LIMITS.headerNameBytes} bytes` });
    } else if (typeof headerValue !== 'string' || Buffer.byteLength(headerValue) > OWN_TRIAL_INPUT_LIMITS.headerValueBytes || /[\r\n\u0000]/.test(headerValue)) {
      problems.push({ field: `${field}.${name}`, message: `a header value must be a string of at most ${OWN_TRIAL_INPUT_LIMITS.headerValueBytes} bytes, on one line` });
    } else {
      headers.push([name, headerValue]);
    }
  });
  return headers;
}

function readBody(value: unknown, field: string, problems: FieldProblem[]): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') {
    problems.push({ field, message: 'must be a string' });
    return '';
  }
  if (Buffer.byteLength(value) > OWN_TRIAL_INPUT_LIMITS.bodyBytes) problems.push({ field, message: `must be at most ${OWN_TRIAL_INPUT_LIMITS.bodyBytes} bytes` });
  return value;
}
