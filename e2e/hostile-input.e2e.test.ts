import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry, errorLogLines } from '../testing/registry-process.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { settledVersion, storedFiles } from './support.js';
import {
  baseValue,
  CORPUS,
  fieldName,
  PATH_CORPUS,
  propertiesOf,
  RAW_URL_PARTS,
  routesOf,
  stringFields,
  urlEncode,
  withField,
  type Hostile,
  type OpenApi,
  type Route,
} from './hostile-input.js';

/**
 * A hostile client against every route of openapi.yaml (and the web pages),
 * anonymously and with an admin token, against a registry holding a
 * namespace, a plugin, a ready version and a token. For every request: no 5xx;
 * every refusal in the format of its surface (problem+json on /api, OCI errors
 * on /v2, the HTML page for browsers); text the rule forbids is a 400 naming
 * the field; a repeated query parameter is a 400 naming it. Nothing stored
 * changes unless a write succeeded. The server logs no ERROR.
 */

interface Sent {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** A field the answer must refuse with 400, by name (query.q, path.name, body.description; `body*`: any field of the body). */
  refuses?: string;
}

interface Answer {
  status: number;
  type: string;
  text: string;
}

/** The web pages are not in openapi.yaml (they are HTML, not API): their routes and query parameters. */
const PAGES: { path: string; query: string[] }[] = [
  { path: '/', query: [] },
  { path: '/search', query: ['q', 'category', 'abi', 'host', 'kind', 'language', 'signed', 'sort', 'cursor'] },
  { path: '/categories/{slug}', query: ['q', 'sort', 'cursor'] },
  { path: '/namespaces/{namespace}', query: ['q', 'sort', 'cursor'] },
  { path: '/plugins/{namespace}/{name}', query: [] },
  { path: '/plugins/{namespace}/{name}/{version}', query: [] },
];

/** Header values the code reads (Accept, Range, conditionals, Authorization). */
const HEADER_CASES: Record<string, string>[] = [
  { accept: 'application/vnd.cyclonedx+xml, application/json;q=0.1' },
  { accept: `text/html${', */*'.repeat(1000)}` },
  { accept: '\u00ff\u00fe' },
  { range: 'bytes=99999999999999999999999-' },
  { range: 'bytes=-99999999999999999999999' },
  { range: 'bytes=5-1' },
  { range: 'bytes=0-0,1-1' },
  { 'if-none-match': '*' },
  { 'if-none-match': ` , "sha256:${'0'.repeat(64)}", W/"x` },
  { 'if-range': '"nope"', range: 'bytes=0-1' },
  { authorization: `Bearer ${'x'.repeat(4000)}` },
  { authorization: 'Basic YWRtaW46YWRtaW4=' },
  { authorization: 'Bearer' },
];

const WRITE_PATH_LABELS = ['NUL inside', 'right-to-left override', 'newline', 'overlong 300', 'SQL quote', 'path traversal', 'zero', 'URL delimiters', 'raw %00', 'raw lone surrogate (CESU-8)'];

/**
 * Keys dropped from the state fingerprint: downloads are counted (and a version's first download recorded) on reads by
 * design, tokens note when they were used.
 */
const VOLATILE = new Set(['downloads', 'recentDownloads', 'windowDownloads', 'firstDownloadedAt', 'lastUsedAt']);

describe('hostile input on every route', () => {
  let registry: RunningRegistry;
  let admin: string;
  let document: OpenApi;
  let routes: Route[];
  let module: Buffer;
  const known: Record<string, string> = {};
  const bodyKnown: Record<string, unknown> = {};
  const failures: string[] = [];
  /** Path parameters with neither a seeded value nor an example: their routes could not be exercised. */
  let unexercisable: string[] = [];
  let sent = 0;

  const fail = (request: Sent, what: string, answer?: Answer): void => {
    if (failures.length < 60) failures.push(`${request.method} ${request.url.slice(0, 160)}${request.refuses ? ` [${request.refuses}]` : ''}: ${what}${answer ? ` — ${answer.status} ${answer.type} ${answer.text.slice(0, 200)}` : ''}`);
  };

  async function send(request: Sent): Promise<Answer> {
    sent++;
    const response = await fetch(`${registry.url}${request.url}`, {
      method: request.method,
      headers: request.headers,
      body: request.body as BodyInit | undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type') ?? '', text };
  }

  const names = (request: Sent, field: string): boolean => (request.refuses!.endsWith('*') ? field.startsWith(request.refuses!.slice(0, -1)) : field === request.refuses);

  /** The checks every answer must pass; failures are collected so that one run shows them all. */
  function check(request: Sent, answer: Answer): void {
    if (answer.status >= 500) return fail(request, 'a server error', answer);
    if (answer.status < 400) {
      if (request.refuses) fail(request, 'accepted what it must refuse', answer);
      return;
    }
    const path = request.url.split('?')[0]!;
    const head = request.method === 'HEAD';
    if (path.startsWith('/v2')) {
      if (!answer.type.startsWith('application/json')) return fail(request, 'not an OCI error', answer);
      if (head) return;
      const errors = (JSON.parse(answer.text) as { errors?: { code?: unknown; detail?: { errors?: { field: string }[] } }[] }).errors;
      if (typeof errors?.[0]?.code !== 'string') return fail(request, 'not an OCI error body', answer);
      if (request.refuses && !(answer.status === 400 && errors[0]!.detail?.errors?.some((e) => names(request, e.field)))) fail(request, 'not a 400 naming the field', answer);
    } else if (request.headers?.accept === 'text/html' && !/^\/(api|health)(\/|$)/.test(path)) {
      if (!answer.type.startsWith('text/html')) return fail(request, 'not an HTML page', answer);
      if (request.refuses && !(answer.status === 400 && answer.text.includes(request.refuses))) fail(request, 'not a 400 page naming the field', answer);
    } else {
      if (!answer.type.startsWith('application/problem+json')) return fail(request, 'not problem+json', answer);
      if (head) return;
      const problem = JSON.parse(answer.text) as { status?: unknown; code?: unknown; detail?: unknown; errors?: { field: string }[] };
      if (problem.status !== answer.status || typeof problem.code !== 'string' || typeof problem.detail !== 'string') fail(request, 'an incomplete problem document', answer);
      if (/\s+at\s+\S+\s+\(|node_modules/.test(answer.text)) fail(request, 'a stack trace in the answer', answer);
      if (request.refuses && !(answer.status === 400 && problem.errors?.some((e) => names(request, e.field)))) fail(request, 'not a 400 naming the field', answer);
    }
  }

  /** Sends reads a few at a time; they must change nothing. */
  async function reads(requests: Sent[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const request = requests[next++]!;
        check(request, await send(request));
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
  }

  /**
   * Sends writes one at a time, in batches (a route's parameters, one body field). After each request a quick
   * fingerprint: a refused write must leave it as it was, a successful one may change it. Around each batch the full
   * fingerprint: a batch that was refused throughout must leave that unchanged too.
   */
  async function writes(batches: Sent[][]): Promise<void> {
    for (const batch of batches.filter((b) => b.length > 0)) {
      const fullBefore = await fingerprint('full');
      let before = await fingerprint('quick');
      let succeeded = false;
      for (const request of batch) {
        const answer = await send(request);
        check(request, answer);
        const after = await fingerprint('quick');
        if (answer.status >= 300 && after !== before) fail(request, `was refused but changed what is stored: ${difference(before, after)}`);
        succeeded ||= answer.status < 300;
        before = after;
      }
      const fullAfter = await fingerprint('full');
      if (!succeeded && fullAfter !== fullBefore) fail(batch[0]!, `this batch of ${batch.length} was refused throughout but changed what is stored: ${difference(fullBefore, fullAfter)}`);
    }
  }

  /**
   * What is stored, as the API and the storage directory show it. `full`: the whole audit log (every change of state
   * writes an event), every namespace and plugin it names with their versions, search, tokens, every stored object.
   * `quick`, after each write: the newest audit event, the seeded plugin, search, tokens, stored objects.
   */
  async function fingerprint(kind: 'full' | 'quick'): Promise<string> {
    const get = async (path: string): Promise<unknown> => {
      const response = await fetch(`${registry.url}${path}`, { headers: { authorization: `Bearer ${admin}`, accept: 'application/json' } });
      return { status: response.status, body: await response.json() };
    };
    const storage = join(registry.dataDir, 'storage');
    const stored = async () => Promise.all((await storedFiles(storage)).map(async (f) => `${f} ${(await stat(join(storage, f))).size}`));
    let state: unknown;
    if (kind === 'quick') {
      const [newest, plugin, search, tokens, files] = await Promise.all([
        get('/api/v1/audit?limit=1'),
        get('/api/v1/plugins/acme/jwt-auth'),
        get('/api/v1/plugins?sort=name&limit=100'),
        get('/api/v1/tokens'),
        stored(),
      ]);
      state = { newest, plugin, search, tokens, files };
    } else {
      const events: { namespace: string | null; plugin: string | null }[] = [];
      for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
        const page = (await get(`/api/v1/audit?limit=200${cursor ? `&cursor=${cursor}` : ''}`)) as { body: { items: typeof events; nextCursor: string | null } };
        events.push(...page.body.items);
        cursor = page.body.nextCursor;
      }
      const namespaces = [...new Set(events.map((e) => e.namespace).filter((n): n is string => n !== null))].sort();
      const plugins = [...new Set(events.filter((e) => e.namespace && e.plugin).map((e) => `${e.namespace}/${e.plugin}`))].sort();
      state = {
        events,
        namespaces: await Promise.all(namespaces.map((n) => get(`/api/v1/namespaces/${n}`))),
        plugins: await Promise.all(plugins.map((p) => get(`/api/v1/plugins/${p}`))),
        search: await get('/api/v1/plugins?sort=name&limit=100'),
        tokens: await get('/api/v1/tokens'),
        files: await stored(),
      };
    }
    return JSON.stringify(state, (key, value: unknown) => (VOLATILE.has(key) ? undefined : value));
  }

  const difference = (a: string, b: string): string => {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    return `…${a.slice(Math.max(0, i - 80), i + 80)}… became …${b.slice(Math.max(0, i - 80), i + 80)}…`;
  };

  /** A route's URL with its path parameters filled in, `override` replacing one of them (already encoded). */
  function urlOf(template: string, values: Record<string, string>, override?: [string, string], query = ''): string {
    const path = template.replace(/\{([^}]+)\}/g, (_m, name: string) => (override?.[0] === name ? override[1] : encodeURIComponent(values[name]!)));
    return `${path}${query}`;
  }

  const authFor = (route: Route, anonymous = false): Record<string, string> => (route.secured && !anonymous ? { authorization: `Bearer ${admin}` } : {});

  /** A body the route accepts the shape of, so that only the part under test is hostile. */
  function defaultBody(route: Route): Pick<Sent, 'body' | 'headers'> {
    if (route.consumes.includes('application/json')) {
      const schema = route.bodies['application/json']?.[0];
      return { body: JSON.stringify(schema ? baseValue(document, schema, bodyKnown) : {}), headers: { 'content-type': 'application/json' } };
    }
    // A module that is not WebAssembly: a path that happens to be valid still publishes nothing.
    if (route.consumes.includes('application/wasm')) return { body: Buffer.from('not a module'), headers: { 'content-type': 'application/wasm' } };
    if (route.consumes.length > 0) return { body: 'x', headers: { 'content-type': route.consumes[0]! } };
    return {};
  }

  /** In a URL a lone surrogate cannot arrive (it travels as invalid UTF-8), and line breaks are forbidden in single-line text. */
  const refusedInUrl = (h: Hostile): boolean => (h.forbidden === true && h.value.isWellFormed()) || h.lineBreak === true;

  function parameterRequests(
    route: Route,
    values: Record<string, string>,
    query: string[],
    corpus: readonly Hostile[],
    headers: Record<string, string>,
    pathCorpus: readonly Hostile[] = [...PATH_CORPUS, ...RAW_URL_PARTS],
  ): Sent[] {
    const requests: Sent[] = [];
    const base = { method: route.method, ...defaultBody(route) };
    const withHeaders = (extra: Record<string, string> | undefined) => ({ ...extra, ...headers });
    for (const name of route.pathParams) {
      for (const h of pathCorpus) {
        const raw = RAW_URL_PARTS.includes(h);
        const refuses = h.value !== '' && (raw ? h.forbidden === true : refusedInUrl(h)) ? `path.${name}` : undefined;
        requests.push({ ...base, headers: withHeaders(base.headers), url: urlOf(route.path, values, [name, raw ? h.value : urlEncode(h.value)]), ...(refuses ? { refuses } : {}) });
      }
    }
    for (const name of query) {
      for (const h of [...corpus, ...RAW_URL_PARTS]) {
        const raw = RAW_URL_PARTS.includes(h);
        const refuses = (raw ? h.forbidden === true : refusedInUrl(h)) ? `query.${name}` : undefined;
        requests.push({ ...base, headers: withHeaders(base.headers), url: urlOf(route.path, values, undefined, `?${name}=${raw ? h.value : urlEncode(h.value)}`), ...(refuses ? { refuses } : {}) });
      }
      const repeated = urlOf(route.path, values, undefined, `?${name}=a&${name}=b`);
      requests.push({ ...base, headers: withHeaders(base.headers), url: repeated, ...(route.repeatable.includes(name) ? {} : { refuses: `query.${name}` }) });
    }
    return requests;
  }

  /** Batches: one per string field, then wrong types, malformed bodies, multipart. */
  function bodyRequests(route: Route): Sent[][] {
    const batches: Sent[][] = [];
    let requests: Sent[] = [];
    const batch = () => {
      batches.push(requests);
      requests = [];
    };
    const url = urlOf(route.path, known);
    const headers = authFor(route);
    for (const schema of route.bodies['application/json'] ?? []) {
      const base = baseValue(document, schema, bodyKnown);
      const json = { ...headers, 'content-type': 'application/json' };
      for (const field of stringFields(document, schema)) {
        for (const h of CORPUS) {
          requests.push({ method: route.method, url, headers: json, body: JSON.stringify(withField(base, field, h.value)), ...(h.forbidden ? { refuses: fieldName(field) } : {}) });
        }
        batch();
      }
      for (const property of propertiesOf(document, schema)) {
        for (const wrong of [12345678901234567890, -1.5, true, null, {}, [], [[]], { $gt: '' }, 'x'.repeat(100_000)]) {
          requests.push({ method: route.method, url, headers: json, body: JSON.stringify(withField(base, [property], wrong)) });
        }
      }
      batch();
      for (const body of ['[]', '"text"', 'null', '42', '{', '{"a":', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, '{"__proto__":{"admin":true}}', JSON.stringify({ ...(base as object), 'k\u0000': 1 })]) {
        requests.push({ method: route.method, url, headers: json, body });
      }
      batch();
    }
    for (const schema of route.bodies['multipart/form-data'] ?? []) {
      const required = (schema.required ?? []).filter((name) => !stringFields(document, schema).some((f) => f[0] === name));
      const fileParts = required.map((name) => ({ name, file: module }));
      for (const field of stringFields(document, schema).filter((f) => f.length === 1)) {
        // Parts travel as UTF-8, where a lone surrogate cannot; which field a handler names for a part is its own (a purls part is a dependency file).
        for (const h of CORPUS) requests.push({ method: route.method, url, ...multipart([...fileParts, { name: field[0]!, text: h.value }], headers), ...(h.forbidden && h.value.isWellFormed() ? { refuses: 'body*' } : {}) });
      }
      for (const malformed of MALFORMED_MULTIPART) requests.push({ method: route.method, url, headers: { ...headers, 'content-type': malformed.type }, body: malformed.body });
      requests.push({ method: route.method, url, ...multipart([{ name: 'bad\u0001name', text: 'x' }, ...fileParts], headers) });
      requests.push({ method: route.method, url, ...multipart([{ name: 'module', file: module, filename: 'a\u202e.wasm' }], headers) });
      batch();
    }
    return batches;
  }

  beforeAll(async () => {
    // Hundreds of anonymous verifies and own trials come from one address: their rate limits (tested in slow-clients and trial) would answer 429.
    registry = await startRegistry({ VERIFY_RATE_LIMIT_MAX: '0', OWN_TRIAL_RATE_LIMIT_MAX: '0' });
    admin = registry.adminToken;
    document = parse(await readFile(new URL('../openapi.yaml', import.meta.url), 'utf8')) as OpenApi;
    routes = routesOf(document);
    module = await proxyWasmFilter('hostile');
    const call = async (method: string, path: string, body?: unknown, type = 'application/json') => {
      const response = await fetch(`${registry.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, ...(body !== undefined ? { 'content-type': type } : {}) },
        body: body === undefined ? undefined : Buffer.isBuffer(body) ? (body as BodyInit) : JSON.stringify(body),
      });
      expect(response.status, `${method} ${path}`).toBeLessThan(300);
      return response.json() as Promise<Record<string, any>>;
    };
    await call('PUT', '/api/v1/namespaces/acme');
    await call('PUT', '/api/v1/plugins/acme/jwt-auth', { description: 'Validates JWTs.', license: 'Apache-2.0', keywords: ['jwt'], categories: ['security'] });
    await call('PUT', '/api/v1/plugins/acme/jwt-auth/versions/1.0.0', module, 'application/wasm');
    const version = await settledVersion(registry.url, 'acme', 'jwt-auth', '1.0.0');
    expect(version.status).toBe('ready');
    const token = await call('POST', '/api/v1/tokens', { name: 'ci', namespaces: ['acme'] });
    const bundle = await call('GET', '/api/v1/plugins/acme/jwt-auth/versions/1.0.0/signature');
    Object.assign(known, { namespace: 'acme', name: 'jwt-auth', version: '1.0.0', reference: '1.0.0', digest: version.digest, id: token.id, slug: 'security' });
    Object.assign(bodyKnown, { bundle, digest: version.digest, namespaces: ['acme'], categories: ['security'] });
    unexercisable = routes.flatMap((r) => r.pathParams.filter((p) => known[p] === undefined && r.examples[p] === undefined).map((p) => `${r.method} ${r.path}: {${p}}`));
    for (const route of routes) for (const p of route.pathParams) known[p] ??= route.examples[p]!;
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
  });

  it('can exercise every route of openapi.yaml: each path parameter has a real value or an example', () => {
    expect(routes.length).toBeGreaterThan(30);
    expect(unexercisable, 'give these path parameters a value in the test or an example in @ApiParam').toEqual([]);
    const bodies = routes.filter((r) => r.consumes.includes('application/json') || r.consumes.includes('multipart/form-data'));
    expect(bodies.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['PUT /api/v1/plugins/{namespace}/{name}', 'POST /api/v1/tokens', 'POST /api/v1/verify']));
  });

  it('answers each attack the issue names with a 400 naming the field, in the format of its surface', async () => {
    failures.length = 0;
    const json = (body: unknown) => ({ headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const version = '/api/v1/plugins/acme/jwt-auth/versions/1.0.0';
    const purls = multipart([{ name: 'module', file: module }, { name: 'dependencies', file: Buffer.from('pkg:npm/left-pad@1.3.0\npkg:npm/a\u0000b@1\n'), filename: 'deps.purls' }], { authorization: `Bearer ${admin}` });
    const attacks: Sent[] = [
      { method: 'GET', url: '/api/v1/plugins?q=%00', refuses: 'query.q' },
      { method: 'GET', url: '/api/v1/plugins?q=a&q=b', refuses: 'query.q' },
      { method: 'GET', url: '/api/v1/plugins?language=a&language=b', refuses: 'query.language' },
      { method: 'GET', url: '/search?q=%00', headers: { accept: 'text/html' }, refuses: 'query.q' },
      { method: 'GET', url: '/categories/x?q=%00', headers: { accept: 'text/html' }, refuses: 'query.q' },
      { method: 'GET', url: '/namespaces/x?q=%00', headers: { accept: 'text/html' }, refuses: 'query.q' },
      { method: 'GET', url: '/v2/acme/jwt-auth/tags/list?n=1&n=2', refuses: 'query.n' },
      { method: 'PUT', url: '/api/v1/plugins/acme/jwt-auth', ...json({ description: 'a\u0000b' }), refuses: 'body.description' },
      { method: 'PUT', url: '/api/v1/plugins/acme/jwt-auth', ...json({ description: 'a\ud800b' }), refuses: 'body.description' },
      { method: 'PUT', url: `${version}/yank`, ...json({ reason: 'CVE\u0000' }), refuses: 'body.reason' },
      { method: 'PUT', url: '/api/v1/plugins/acme/jwt-auth/deprecation', ...json({ message: '\udc00old' }), refuses: 'body.message' },
      { method: 'POST', url: '/api/v1/tokens', ...json({ name: 'ci\u0000', namespaces: ['acme'] }), refuses: 'body.name' },
      { method: 'POST', url: '/api/v1/tokens', ...json({ name: 'ci\nforged log line', namespaces: ['acme'] }), refuses: 'body.name' },
      { method: 'PUT', url: version, ...purls, refuses: 'body.dependencies' },
      { method: 'PUT', url: version, headers: { authorization: `Bearer ${admin}`, 'content-type': 'multipart/form-data' }, body: 'x', refuses: 'body' },
      { method: 'POST', url: '/api/v1/verify', headers: { 'content-type': 'multipart/form-data' }, body: 'x', refuses: 'body' },
    ];
    await writes([attacks]);
    expect(failures).toEqual([]);
  });

  it('reads: every path and query parameter, repeated parameters and odd headers, anonymously and with a token', async () => {
    failures.length = 0;
    const before = await fingerprint('full');
    const requests: Sent[] = [];
    for (const route of routes.filter((r) => r.method === 'GET' || r.method === 'HEAD')) {
      requests.push(...parameterRequests(route, known, route.query, CORPUS, authFor(route)));
      if (route.secured) requests.push(...parameterRequests(route, known, route.query, CORPUS.slice(0, 3), authFor(route, true)).slice(0, 10));
      if (route.method === 'GET') for (const headers of HEADER_CASES) requests.push({ method: 'GET', url: urlOf(route.path, known), headers: { ...authFor(route), ...headers } });
    }
    await reads(requests);
    expect(failures).toEqual([]);
    const after = await fingerprint('full');
    if (after !== before) expect.fail(`reads changed what is stored: ${difference(before, after)}`);
  }, 180_000);

  it('writes: every path parameter, every string of every JSON and multipart body, wrong types and malformed bodies', async () => {
    failures.length = 0;
    // Path parameters meet the same checks on reads, with the whole corpus; here a few, to see that nothing is stored.
    const pathCorpus = [...PATH_CORPUS.filter((h) => WRITE_PATH_LABELS.includes(h.label)), ...RAW_URL_PARTS.filter((h) => WRITE_PATH_LABELS.includes(h.label))];
    const batches: Sent[][] = [];
    for (const route of routes.filter((r) => r.method !== 'GET' && r.method !== 'HEAD')) {
      batches.push(parameterRequests(route, known, route.query, CORPUS, authFor(route), pathCorpus));
      if (route.secured) batches.push(parameterRequests(route, known, [], CORPUS, {}, pathCorpus).slice(0, 3));
      batches.push(...bodyRequests(route));
    }
    await writes(batches);
    expect(failures).toEqual([]);
  }, 300_000);

  it('pages: every query parameter and path segment of the web catalog answers a page, 400 naming a refused field', async () => {
    failures.length = 0;
    const before = await fingerprint('full');
    const requests: Sent[] = [];
    for (const page of PAGES) {
      const route: Route = { method: 'GET', path: page.path, pathParams: [...page.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!), query: page.query, repeatable: [], examples: {}, secured: false, consumes: [], bodies: {} };
      requests.push(...parameterRequests(route, known, page.query, CORPUS, { accept: 'text/html' }));
    }
    await reads(requests);
    expect(failures).toEqual([]);
    const after = await fingerprint('full');
    if (after !== before) expect.fail(`pages changed what is stored: ${difference(before, after)}`);
  }, 180_000);

  it('logged no ERROR (and no stack trace) for any of it', () => {
    expect(sent).toBeGreaterThan(3000);
    const errors = errorLogLines(registry.output());
    expect(errors.slice(0, 10)).toEqual([]);
  });
});

const BOUNDARY = 'hostile-boundary';

/** Malformed multipart bodies: no boundary, garbage, cut short, a broken part header. */
const MALFORMED_MULTIPART: { type: string; body: string }[] = [
  { type: 'multipart/form-data', body: 'no boundary at all' },
  { type: `multipart/form-data; boundary=${BOUNDARY}`, body: 'not multipart' },
  { type: `multipart/form-data; boundary=${BOUNDARY}`, body: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="module"; filename="m.wasm"\r\n\r\n\u0000asm` },
  { type: `multipart/form-data; boundary=${BOUNDARY}`, body: `--${BOUNDARY}\r\nbroken header\r\n\r\nx\r\n--${BOUNDARY}--\r\n` },
  { type: `multipart/form-data; boundary=${BOUNDARY}`, body: `--${BOUNDARY}--\r\n` },
  { type: `multipart/form-data; boundary="${'b'.repeat(200)}"`, body: 'x' },
];

function multipart(parts: { name: string; text?: string; file?: Buffer; filename?: string }[], headers: Record<string, string>): Pick<Sent, 'body' | 'headers'> {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = part.file ? `form-data; name="${part.name}"; filename="${part.filename ?? `${part.name}.bin`}"` : `form-data; name="${part.name}"`;
    chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n\r\n`), part.file ?? Buffer.from(part.text ?? '', 'utf8'), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return { body: Buffer.concat(chunks), headers: { ...headers, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } };
}
