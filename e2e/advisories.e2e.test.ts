import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OSV_SCHEMA } from '../libs/advisories/test/osv-schema.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, expectProblem, settledVersion, type Json } from './support.js';

const validateOsv = new Ajv2020({ allErrors: true, strict: true }).compile(OSV_SCHEMA);
/** Every OSV record the registry serves passes the schema written from the spec. */
function expectOsv(record: Json): void {
  const valid = validateOsv(record);
  expect(validateOsv.errors ?? [], JSON.stringify(record)).toEqual([]);
  expect(valid).toBe(true);
}

const CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const MEDIUM_V4 = 'CVSS:4.0/AV:N/AC:H/AT:P/PR:L/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N';

let registry: RunningRegistry;
let admin: string;
let publisher: string;
let outsider: string;

async function publish(plugin: string, version: string, module: Buffer, token = admin): Promise<Json> {
  const response = await api(registry.url, 'PUT', `/api/v1/plugins/shield/${plugin}/versions/${version}`, { body: module, token });
  expect(response.status, response.text).toBe(202);
  return settledVersion(registry.url, 'shield', plugin, version);
}

describe('advisories: published on version ranges, served as OSV, shown where versions are', () => {
  let module: Buffer;

  beforeAll(async () => {
    registry = await startRegistry();
    admin = registry.adminToken;
    module = await proxyWasmFilter('advisories');
    // Publishing creates the namespace; tokens name existing ones.
    expect((await publish('rate-cap', '1.0.0', module)).status).toBe('ready');
    expect((await api(registry.url, 'PUT', '/api/v1/namespaces/other', { token: admin })).status).toBeLessThan(300);
    const issue = async (name: string, namespace: string): Promise<string> => {
      const response = await api(registry.url, 'POST', '/api/v1/tokens', { token: admin, json: { name, namespaces: [namespace] } });
      expect(response.status, response.text).toBe(201);
      return response.json.token as string;
    };
    publisher = await issue('shield-ci', 'shield');
    outsider = await issue('other-ci', 'other');
    for (const version of ['1.0.0', '1.1.0', '1.2.0-rc.1', '1.2.0']) expect((await publish('jwt-guard', version, module, publisher)).status).toBe('ready');
  });
  afterAll(async () => {
    await registry?.stop();
  });

  let advisoryId: string;

  it('publishes an advisory: the registry assigns the id, scores the vector and lists the versions in range, pre-releases included', async () => {
    const response = await api(registry.url, 'POST', '/api/v1/plugins/shield/jwt-guard/advisories', {
      token: publisher,
      json: {
        summary: 'Signature check skipped for tokens without "kid"',
        details: 'Tokens without a `kid` header were accepted unsigned.\n\nUpgrade to 1.2.0.',
        severity: CRITICAL,
        affected: [{ introduced: '1.0.0', fixed: '1.2.0' }],
        aliases: ['CVE-2026-40001'],
        references: [{ type: 'FIX', url: 'https://github.com/shield/jwt-guard/commit/abc123' }, { url: 'https://example.com/post' }],
        credits: [{ name: 'Ann Finder', contact: ['https://example.com/ann'], type: 'FINDER' }],
      },
    });
    expect(response.status, response.text).toBe(201);
    const osv = response.json;
    expectOsv(osv);
    advisoryId = osv.id;
    expect(osv.id).toMatch(/^WPR(-[23456789cfghjmpqrvwx]{4}){3}$/);
    expect(osv).toMatchObject({
      schema_version: '1.6.0',
      aliases: ['CVE-2026-40001'],
      severity: [{ type: 'CVSS_V3', score: CRITICAL }],
      affected: [
        {
          package: { ecosystem: `Wasm Plugin Registry:${registry.url}`, name: 'shield/jwt-guard' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0' }, { fixed: '1.2.0' }] }],
          versions: ['1.0.0', '1.1.0', '1.2.0-rc.1'],
        },
      ],
      references: [
        { type: 'FIX', url: 'https://github.com/shield/jwt-guard/commit/abc123' },
        { type: 'WEB', url: 'https://example.com/post' },
      ],
      credits: [{ name: 'Ann Finder', contact: ['https://example.com/ann'], type: 'FINDER' }],
      database_specific: { severity: 'critical', score: 9.8 },
    });
    expect(osv.modified).toBe(osv.published);
    expect(osv.withdrawn).toBeUndefined();

    const one = await api(registry.url, 'GET', `/api/v1/advisories/${advisoryId}`);
    expect(one.status).toBe(200);
    expect(one.json).toEqual(osv);
    const ofPlugin = await api(registry.url, 'GET', '/api/v1/plugins/shield/jwt-guard/advisories');
    expect(ofPlugin.json.advisories).toEqual([osv]);
  });

  it('shows the advisory on the affected versions with the fix, not on the fixed one', async () => {
    const affected = await api(registry.url, 'GET', '/api/v1/plugins/shield/jwt-guard/versions/1.2.0-rc.1');
    expect(affected.json.advisories).toEqual([{ id: advisoryId, summary: 'Signature check skipped for tokens without "kid"', severity: 'critical', score: 9.8, fixedIn: '1.2.0' }]);
    const fixed = await api(registry.url, 'GET', '/api/v1/plugins/shield/jwt-guard/versions/1.2.0');
    expect(fixed.json.advisories).toEqual([]);
    const plugin = await api(registry.url, 'GET', '/api/v1/plugins/shield/jwt-guard');
    expect(Object.fromEntries(plugin.json.versions.map((v: Json) => [v.version, v.advisories.length]))).toEqual({ '1.2.0': 0, '1.2.0-rc.1': 1, '1.1.0': 1, '1.0.0': 1 });
  });

  it('matches a version published later into the range', async () => {
    await publish('jwt-guard', '1.1.5', module, publisher);
    const version = await api(registry.url, 'GET', '/api/v1/plugins/shield/jwt-guard/versions/1.1.5');
    expect(version.json.advisories.map((a: Json) => a.id)).toEqual([advisoryId]);
    expect((await api(registry.url, 'GET', `/api/v1/advisories/${advisoryId}`)).json.affected[0].versions).toEqual(['1.0.0', '1.1.0', '1.1.5', '1.2.0-rc.1']);
  });

  it('badges search results by the latest version, and filters by it', async () => {
    // The latest of jwt-guard is 1.2.0 (fixed): advise 1.2.0 too with a medium one, on 4.0.
    const second = await api(registry.url, 'POST', '/api/v1/plugins/shield/jwt-guard/advisories', {
      token: admin,
      json: { summary: 'Verbose errors leak the issuer list', severity: MEDIUM_V4, affected: [{ introduced: '1.2.0', lastAffected: '1.2.0' }] },
    });
    expect(second.status, second.text).toBe(201);
    expectOsv(second.json);
    expect(second.json.severity).toEqual([{ type: 'CVSS_V4', score: MEDIUM_V4 }]);
    const rating = second.json.database_specific.severity as string;
    expect(['low', 'medium']).toContain(rating);

    const search = async (query: string): Promise<Json[]> => (await api(registry.url, 'GET', `/api/v1/plugins?namespace=shield${query}`)).json.items;
    const all = await search('');
    expect(Object.fromEntries(all.map((e: Json) => [e.name, e.advisories]))).toEqual({
      'jwt-guard': { count: 1, severity: rating, score: second.json.database_specific.score },
      'rate-cap': null,
    });
    expect((await search('&advisory=any')).map((e) => e.name)).toEqual(['jwt-guard']);
    expect((await search('&advisory=none')).map((e) => e.name)).toEqual(['rate-cap']);
    expect(await search('&advisory=critical')).toEqual([]);
    expectProblem(await api(registry.url, 'GET', '/api/v1/plugins?advisory=severe'), 400, 'invalid_input');
  });

  it('updates an advisory: modified moves, versions follow the new range, the audit log has it', async () => {
    const updated = await api(registry.url, 'PATCH', `/api/v1/advisories/${advisoryId}`, { token: publisher, json: { affected: [{ introduced: '1.1.0', fixed: '1.2.0' }] } });
    expect(updated.status, updated.text).toBe(200);
    expectOsv(updated.json);
    expect(updated.json.affected[0].versions).toEqual(['1.1.0', '1.1.5', '1.2.0-rc.1']);
    expect(updated.json.summary).toBe('Signature check skipped for tokens without "kid"');
    expect(Date.parse(updated.json.modified)).toBeGreaterThan(Date.parse(updated.json.published));
    expect((await api(registry.url, 'GET', '/api/v1/plugins/shield/jwt-guard/versions/1.0.0')).json.advisories).toEqual([]);

    const audit = await api(registry.url, 'GET', '/api/v1/audit?namespace=shield&plugin=jwt-guard', { token: admin });
    const actions = audit.json.items.filter((e: Json) => e.action.startsWith('advisory.')).map((e: Json) => [e.action, e.actor, e.details.advisory]);
    expect(actions).toContainEqual(['advisory.updated', 'shield-ci', advisoryId]);
    expect(actions).toContainEqual(['advisory.published', 'shield-ci', advisoryId]);
  });

  it('links a yank to the plugin\'s advisory, and refuses another plugin\'s', async () => {
    const other = await api(registry.url, 'POST', '/api/v1/plugins/shield/rate-cap/advisories', { token: admin, json: { summary: 'x', severity: CRITICAL, affected: [{ introduced: '0' }] } });
    expect(other.status).toBe(201);
    const refused = await api(registry.url, 'PUT', '/api/v1/plugins/shield/jwt-guard/versions/1.1.0/yank', { token: publisher, json: { reason: 'see advisory', advisory: other.json.id } });
    expectProblem(refused, 400, 'invalid_input');
    expect(refused.json.errors[0].field).toBe('body.advisory');
    const yanked = await api(registry.url, 'PUT', '/api/v1/plugins/shield/jwt-guard/versions/1.1.0/yank', { token: publisher, json: { reason: 'see advisory', advisory: advisoryId } });
    expect(yanked.status, yanked.text).toBe(200);
    expect(yanked.json).toMatchObject({ yanked: true, yankReason: 'see advisory', yankAdvisory: advisoryId });
    const audit = await api(registry.url, 'GET', '/api/v1/audit?action=version.yanked&namespace=shield', { token: admin });
    expect(audit.json.items[0].details).toMatchObject({ reason: 'see advisory', advisory: advisoryId });
  });

  it('serves the whole feed in order of change, paged, with modifiedSince', async () => {
    const first = await api(registry.url, 'GET', '/api/v1/advisories?limit=2');
    expect(first.status).toBe(200);
    expect(first.json.advisories).toHaveLength(2);
    const second = await api(registry.url, 'GET', `/api/v1/advisories?limit=2&cursor=${first.json.nextCursor}`);
    const records = [...first.json.advisories, ...second.json.advisories];
    expect(second.json.nextCursor).toBeNull();
    expect(records).toHaveLength(3);
    for (const record of records) expectOsv(record);
    const modified = records.map((r: Json) => Date.parse(r.modified));
    expect([...modified].sort((a, b) => a - b)).toEqual(modified);
    // The updated advisory changed after the second one was published: it comes after it.
    expect(records.map((r: Json) => r.id).indexOf(advisoryId)).toBeGreaterThan(0);
    const since = await api(registry.url, 'GET', `/api/v1/advisories?modifiedSince=${encodeURIComponent(records[2].modified)}`);
    expect(since.json.advisories.map((r: Json) => r.id)).toEqual([records[2].id]);
    expectProblem(await api(registry.url, 'GET', '/api/v1/advisories?modifiedSince=yesterday'), 400, 'invalid_input');
    expectProblem(await api(registry.url, 'GET', '/api/v1/advisories?cursor=bm9wZQ'), 400, 'invalid_input');
  });

  it('withdraws for good: still served with withdrawn set, no version affected any more', async () => {
    const withdrawn = await api(registry.url, 'PUT', `/api/v1/advisories/${advisoryId}/withdrawal`, { token: publisher, json: { reason: 'Not exploitable: the check runs later.' } });
    expect(withdrawn.status, withdrawn.text).toBe(200);
    expectOsv(withdrawn.json);
    expect(withdrawn.json.withdrawn).toBe(withdrawn.json.modified);
    expect(withdrawn.json.affected[0].versions).toEqual([]);
    expect(withdrawn.json.database_specific.withdrawn_reason).toBe('Not exploitable: the check runs later.');
    expect((await api(registry.url, 'GET', '/api/v1/plugins/shield/jwt-guard/versions/1.1.5')).json.advisories).toEqual([]);
    expectProblem(await api(registry.url, 'PATCH', `/api/v1/advisories/${advisoryId}`, { token: publisher, json: { summary: 'again' } }), 409, 'advisory_withdrawn');
    expectProblem(await api(registry.url, 'PUT', `/api/v1/advisories/${advisoryId}/withdrawal`, { token: publisher, json: { reason: 'twice' } }), 409, 'advisory_withdrawn');
    const audit = await api(registry.url, 'GET', '/api/v1/audit?action=advisory.withdrawn', { token: admin });
    expect(audit.json.items[0].details).toMatchObject({ advisory: advisoryId, reason: 'Not exploitable: the check runs later.' });
  });

  it('refuses what is not allowed: other namespaces, anonymous callers, bad bodies and unknown ids', async () => {
    const body = { summary: 'x', severity: CRITICAL, affected: [{ introduced: '0' }] };
    expectProblem(await api(registry.url, 'POST', '/api/v1/plugins/shield/jwt-guard/advisories', { token: outsider, json: body }), 403, 'forbidden');
    expectProblem(await api(registry.url, 'POST', '/api/v1/plugins/shield/jwt-guard/advisories', { json: body }), 401, 'unauthenticated');
    expectProblem(await api(registry.url, 'POST', '/api/v1/plugins/shield/nothing/advisories', { token: admin, json: body }), 404, 'plugin_not_found');
    const bad = await api(registry.url, 'POST', '/api/v1/plugins/shield/jwt-guard/advisories', { token: admin, json: { ...body, severity: 'CVSS:3.1/AV:N' } });
    expectProblem(bad, 400, 'invalid_input');
    expect(bad.json.errors).toEqual([{ field: 'body.severity', message: expect.stringContaining('lacks the base metrics') }]);
    expectProblem(await api(registry.url, 'GET', '/api/v1/advisories/WPR-2222-2222-2222'), 404, 'advisory_not_found');
    expectProblem(await api(registry.url, 'GET', '/api/v1/advisories/CVE-1'), 400, 'invalid_input');
    const secondId = (await api(registry.url, 'GET', '/api/v1/plugins/shield/jwt-guard/advisories')).json.advisories.find((a: Json) => a.id !== advisoryId).id;
    expectProblem(await api(registry.url, 'PATCH', `/api/v1/advisories/${secondId}`, { token: outsider, json: { summary: 'mine now' } }), 403, 'forbidden');
    expect((await api(registry.url, 'GET', `/api/v1/advisories/${secondId}`)).json.summary).toBe('Verbose errors leak the issuer list');
  });
});
