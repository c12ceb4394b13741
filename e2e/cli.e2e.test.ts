import { spawn } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parseDocument } from 'yaml';
import { encodeUnsignedLeb128 } from '../libs/analysis/index.js';
import { createKeylessSigner, identityTokenFromFile, signModule, signingKeyFromPem } from '../libs/signing/index.js';
import { CLI_ENTRY, runCli, type CliRun } from '../testing/cli-process.js';
import { freePort } from '../testing/free-port.js';
import { openApiValidator } from '../testing/openapi-schemas.js';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { fakeIdentityToken, startMockSigstore, type MockSigstore } from '../testing/sigstore-mock-servers.js';
import { EMPTY_MODULE } from '../testing/hostile-modules.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, type Json } from './support.js';

/**
 * Issue 17: the built `wpr` CLI against a registry started here, as an author
 * and an operator would run it: off a terminal (CI) for the outputs and exit
 * codes, and under `script` (a real pseudo-terminal) for the progress display.
 */

const CARGO_LOCK = `version = 3

[[package]]
name = "greeter"
version = "1.0.0"
dependencies = ["proxy-wasm"]

[[package]]
name = "proxy-wasm"
version = "0.2.2"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "${'0'.repeat(64)}"
`;

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const expectCode = (run: CliRun, code: number): void => expect({ code: run.code, stderr: run.stderr }).toEqual({ code, stderr: expect.any(String) });

describe('wpr against a running registry', () => {
  let registry: RunningRegistry;
  let home: string;
  let env: Record<string, string>;
  let plugin: string;
  let module: Buffer;
  const validate = openApiValidator();
  const wpr = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) => runCli(args, { env: { ...env, ...options.env }, input: options.input, cwd: home });
  /** Output with what differs from run to run (digests, ports, timings, dates, paths) replaced by placeholders. */
  const normalize = (text: string): string =>
    text
      .replaceAll(registry.url, '<registry>')
      .replaceAll(registry.url.replace('http://', ''), '<host>')
      .replaceAll(home, '<home>')
      .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<hex>')
      .replace(/sha256:[0-9a-f]{12}…/g, 'sha256:<hex12>…')
      .replace(/\d+ µs/g, '<n> µs')
      .replace(/[A-Za-z0-9+/]{43}=/g, '<key-id>')
      .replace(/\d{4}-\d{2}-\d{2}/g, '<date>');

  beforeAll(async () => {
    registry = await startRegistry();
    home = await mkdtemp(join(tmpdir(), 'wpr-e2e-'));
    env = { HOME: home, WPR_CONFIG_DIR: join(home, 'config') };
    plugin = join(home, 'greeter');
    module = await proxyWasmFilter('cli');
  });
  afterAll(async () => {
    await registry?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('logs in with the token on standard input, stores it 0600, never prints it, and refuses a wrong one', async () => {
    const login = await wpr(['login', '--registry', registry.url], { input: `${registry.adminToken}\n` });
    expectCode(login, 0);
    expect(login.stdout).toContain(`Logged in to ${registry.url} as REGISTRY_ADMIN_TOKEN.`);
    const credentials = join(home, 'config', 'credentials.json');
    expect((await stat(credentials)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(credentials, 'utf8')).tokens[registry.url]).toBe(registry.adminToken);

    const whoami = await wpr(['whoami']);
    expectCode(whoami, 0);
    expect(whoami.stdout).toContain('May publish to: every namespace (admin)');
    const json = JSON.parse((await wpr(['whoami', '--json'])).stdout) as Json;
    expect(validate('CurrentTokenView', json.token)).toEqual([]);
    expect(json).toMatchObject({ registry: registry.url, tokenSource: 'credentials file', token: { admin: true } });

    const wrong = await wpr(['login', '--registry', registry.url, '--token', 'wpr_not-a-token-at-all'], { env: { WPR_CONFIG_DIR: join(home, 'other-config') } });
    expectCode(wrong, 3);
    expect(wrong.stderr).toMatch(/error: .*\(401 unauthenticated\)/);
    expect(wrong.stderr).toContain('hint: log in again');
    await expect(stat(join(home, 'other-config', 'credentials.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    for (const run of [login, whoami, wrong]) expect(run.stdout + run.stderr).not.toContain(registry.adminToken);
  });

  it('writes a manifest, schema and README with init, which publish --dry-run checks locally', async () => {
    const init = await wpr(['init', plugin, '--name', 'acme/greeter', '--description', 'Says hello.', '--license', 'MIT', '--category', 'observability', '--yes']);
    expectCode(init, 0);
    expect(init.stdout).toContain('Wrote wasm-plugin.yaml, config.schema.json, README.md');
    const manifest = parseDocument(await readFile(join(plugin, 'wasm-plugin.yaml'), 'utf8'));
    expect(manifest.toJS()).toMatchObject({ manifest: 1, name: 'acme/greeter', version: '0.1.0', license: 'MIT', module: 'greeter.wasm', configSchema: 'config.schema.json' });
    expectCode(await wpr(['init', plugin, '--name', 'acme/greeter', '--yes']), 2);

    // The author fills in the stubs: a schema with one field, an example, the built module and its lockfile.
    manifest.set('version', '1.0.0');
    manifest.setIn(['examples', 0, 'configuration'], { greeting: 'hello' });
    await writeFile(join(plugin, 'wasm-plugin.yaml'), manifest.toString());
    const schema = JSON.parse(await readFile(join(plugin, 'config.schema.json'), 'utf8')) as Json;
    schema.properties = { greeting: { type: 'string', maxLength: 40 } };
    await writeFile(join(plugin, 'config.schema.json'), JSON.stringify(schema, null, 2));
    await writeFile(join(plugin, 'greeter.wasm'), module);
    await writeFile(join(plugin, 'Cargo.lock'), CARGO_LOCK);

    const dryRun = await wpr(['publish', plugin, '--dry-run']);
    expectCode(dryRun, 0);
    expect(normalize(dryRun.stdout)).toMatchSnapshot();

    // An example the schema refuses, and bytes that are no module: each named, and nothing uploaded.
    const broken = join(home, 'broken');
    await rm(broken, { recursive: true, force: true });
    await wpr(['init', broken, '--name', 'acme/broken', '--yes']);
    const brokenManifest = parseDocument(await readFile(join(broken, 'wasm-plugin.yaml'), 'utf8'));
    brokenManifest.setIn(['examples', 0, 'configuration'], { unexpected: 1 });
    await writeFile(join(broken, 'wasm-plugin.yaml'), brokenManifest.toString());
    await writeFile(join(broken, 'broken.wasm'), 'this is not wasm');
    const refused = await wpr(['publish', broken, '--dry-run', '--json']);
    expectCode(refused, 1);
    const report = JSON.parse(refused.stdout) as Json;
    expect(report.ok).toBe(false);
    expect(report.problems.map((p: Json) => p.field)).toEqual(expect.arrayContaining(['module', expect.stringMatching(/examples/)]));
    expect(report.problems.find((p: Json) => p.field === 'module').message).toContain('WebAssembly magic bytes');
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/broken')).status).toBe(404);
  });

  it('publishes the module with its manifest, README, schema, examples and Cargo.lock, waits for the pipeline and prints the outcome', async () => {
    const published = await wpr(['publish', plugin]);
    expectCode(published, 0);
    expect(normalize(published.stdout)).toMatchSnapshot();
    expect(published.stderr).toContain('Pipeline finished: ready');

    const version = (await api(registry.url, 'GET', '/api/v1/plugins/acme/greeter/versions/1.0.0')).json;
    expect(version).toMatchObject({ status: 'ready', digest: sha256(module), contract: { source: 'manifest', examples: { names: ['default'] } } });
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/greeter/versions/1.0.0/readme')).text).toContain('Says hello.');
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/greeter/versions/1.0.0/schema')).json.properties.greeting.type).toBe('string');
    const sbom = (await api(registry.url, 'GET', '/api/v1/plugins/acme/greeter/versions/1.0.0/sbom')).json;
    expect(sbom.components.map((c: Json) => c.purl)).toContain('pkg:cargo/proxy-wasm@0.2.2');

    const again = await wpr(['publish', plugin]);
    expectCode(again, 0);
    expect(again.stdout).toContain('acme/greeter@1.0.0 was already published with these bytes.');

    const overridden = JSON.parse((await wpr(['publish', plugin, '--version', '1.1.0', '--json'])).stdout) as Json;
    expect(overridden.created).toBe(true);
    expect(validate('VersionView', overridden.version)).toEqual([]);
    expect(overridden.version).toMatchObject({ version: '1.1.0', status: 'ready' });
  });

  it('prints every finding of a rejected version and exits 1', async () => {
    await writeFile(join(home, 'empty.wasm'), EMPTY_MODULE);
    const rejected = await wpr(['publish', join(home, 'empty.wasm'), '--name', 'acme/empty', '--version', '1.0.0']);
    expectCode(rejected, 1);
    expect(rejected.stdout).toContain('acme/empty@1.0.0: rejected');
    const findings = rejected.stdout.split('\n').filter((line) => line.startsWith('  ✖ '));
    const analysis = (await api(registry.url, 'GET', '/api/v1/plugins/acme/empty/versions/1.0.0/analysis')).json;
    expect(findings).toEqual(analysis.rejections.map((f: Json) => `  ✖ ${f.code}: ${f.message}`));
    expect(findings.length).toBeGreaterThan(0);
    expect(rejected.stderr).toContain('error: acme/empty@1.0.0 was rejected');
  });

  it('shows plugins and versions as tables, and as the JSON openapi.yaml describes', async () => {
    const info = await wpr(['info', 'acme/greeter']);
    expectCode(info, 0);
    expect(normalize(info.stdout)).toMatchSnapshot();
    const one = await wpr(['info', 'acme/greeter@1.0.0']);
    expect(normalize(one.stdout)).toMatchSnapshot();

    expect(validate('PluginDetailView', JSON.parse((await wpr(['info', 'acme/greeter', '--json'])).stdout))).toEqual([]);
    const byDigest = JSON.parse((await wpr(['info', `acme/greeter@${sha256(module)}`, '--json'])).stdout) as Json;
    expect(validate('VersionView', byDigest)).toEqual([]);
    expect(byDigest.version).toMatch(/^1\.[01]\.0$/);
    expect(validate('VersionListView', JSON.parse((await wpr(['versions', 'acme/greeter', '--json'])).stdout))).toEqual([]);
    const search = await wpr(['search', 'greeter', '--json']);
    const page = JSON.parse(search.stdout) as Json;
    expect(validate('CatalogPage', page)).toEqual([]);
    expect(page.items.map((p: Json) => `${p.namespace}/${p.name}`)).toEqual(['acme/greeter']);
    expect(normalize((await wpr(['search', 'greeter'])).stdout)).toMatchSnapshot();
  });

  it('prints Istio and Envoy configuration from an example, checking --set against the schema first', async () => {
    const istio = await wpr(['config', 'acme/greeter@1.0.0', '--host', 'istio', '--example', 'default', '--set', 'greeting=hey there']);
    expectCode(istio, 0);
    const [http] = parseAllDocuments(istio.stdout).map((d) => d.toJS() as Json);
    expect(http!.spec).toMatchObject({ sha256: sha256(module).slice(7), pluginConfig: { greeting: 'hey there' } });
    const envoy = await wpr(['config', 'acme/greeter@1.0.0', '--host', 'envoy', '--example', 'default']);
    expectCode(envoy, 0);
    expect(envoy.stdout).toContain('envoy.filters.http.wasm');
    expect(envoy.stdout).toContain('hello');

    const invalid = await wpr(['config', 'acme/greeter@1.0.0', '--host', 'envoy', '--set', 'greeting=5']);
    expectCode(invalid, 1);
    expect(invalid.stderr).toContain('error: /greeting: ');
    expect(invalid.stderr).toContain('does not satisfy the schema of acme/greeter@1.0.0');
    expect(invalid.stdout).toBe('');
    const noExample = await wpr(['config', 'acme/greeter@1.0.0', '--host', 'istio', '--example', 'nope', '--set', 'greeting=x']);
    expectCode(noExample, 2);
    expect(noExample.stderr).toContain('hint: its examples: default');
  });

  it('pulls a module only when its sha256 and, with --verify, its signature check out', async () => {
    const out = join(home, 'pulled.wasm');
    const pulled = await wpr(['pull', 'acme/greeter@1.0.0', '--verify', '-o', out]);
    expectCode(pulled, 0);
    expect(sha256(await readFile(out))).toBe(sha256(module));
    expect(normalize(pulled.stdout)).toMatchSnapshot();
    const byDigest = JSON.parse((await wpr(['pull', `acme/greeter@${sha256(module)}`, '-o', join(home, 'by-digest.wasm'), '--json'])).stdout) as Json;
    expect(byDigest.sha256).toBe(sha256(module));

    // A key the registry never signed with: refused, and nothing written, not even a partial file.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    await writeFile(join(home, 'other.pem'), other);
    const refused = await wpr(['pull', 'acme/greeter@1.0.0', '--verify', '--key', join(home, 'other.pem'), '-o', join(home, 'refused.wasm')]);
    expectCode(refused, 1);
    expect(refused.stderr).toContain('error: the signature of acme/greeter@1.0.0 does not verify');
    expect(refused.stdout).toMatch(/signing_key: +✖ public-key hint .* matches none of the 1 trusted keys/);
    expect((await readdir(home)).filter((f) => f.startsWith('refused'))).toEqual([]);
  });

  it('scans deployed configuration, and fails CI at --fail-on once the deployed version is yanked', async () => {
    const istio = (await wpr(['config', 'acme/greeter@1.0.0', '--host', 'istio', '--example', 'default'])).stdout.split('\n---')[0]!;
    await writeFile(join(home, 'istio.yaml'), istio);
    const clean = await wpr(['scan', join(home, 'istio.yaml'), '--fail-on', 'warning']);
    expectCode(clean, 0);
    expect(clean.stdout).toMatch(/^1 reference: 0 critical, 0 warning, \d info/m);

    expectCode(await wpr(['yank', 'acme/greeter@1.0.0', '--reason', 'greets too loudly']), 0);
    const yanked = await wpr(['scan', join(home, 'istio.yaml'), '--fail-on', 'warning']);
    expectCode(yanked, 1);
    expect(normalize(yanked.stdout)).toMatchSnapshot();
    expect(yanked.stderr).toContain('error: a module reference is at warning or worse');
    const json = JSON.parse((await wpr(['scan', join(home, 'istio.yaml'), '--json'])).stdout) as Json;
    expect(validate('ScanReportView', json)).toEqual([]);
    const sarif = await wpr(['scan', join(home, 'istio.yaml'), '--sarif', '--fail-on', 'critical']);
    expectCode(sarif, 0);
    const log = JSON.parse(sarif.stdout) as Json;
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0].results.map((r: Json) => r.ruleId)).toContain('version_yanked');
    expectCode(await wpr(['unyank', 'acme/greeter@1.0.0']), 0);
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/greeter/versions/1.0.0')).json.yanked).toBe(false);
  });

  it('deprecates a plugin and publishes an advisory for it', async () => {
    expectCode(await wpr(['deprecate', 'acme/greeter', '--message', 'use acme/greeter2']), 0);
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/greeter')).json.deprecation.message).toBe('use acme/greeter2');
    const advisory = await wpr(['advisory', 'publish', 'acme/greeter', '--summary', 'Greets everyone', '--severity', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N', '--fixed', '1.1.0', '--json']);
    expectCode(advisory, 0);
    const record = JSON.parse(advisory.stdout) as Json;
    expect(validate('OsvRecordView', record)).toEqual([]);
    expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/greeter/versions/1.0.0')).json.advisories.map((a: Json) => a.id)).toEqual([record.id]);
    const list = await wpr(['advisory', 'list', 'acme/greeter']);
    expect(list.stdout).toContain(`${record.id}    medium 5.3    introduced 0, fixed 1.1.0    Greets everyone`);
    expectCode(await wpr(['deprecate', 'acme/greeter', '--undo']), 0);
  });

  it('exits 2 for a wrong command line, 3 for a refusal and 4 when the registry cannot be reached, saying what to do', async () => {
    const unknown = await wpr(['publsh']);
    expectCode(unknown, 2);
    expect(unknown.stderr).toContain('hint: wpr <command> --help');
    expectCode(await wpr(['info', 'acme/greeter@']), 2);
    const missing = await wpr(['info', 'acme/nothing-here']);
    expectCode(missing, 3);
    expect(missing.stderr).toContain('error: Not found (404 plugin_not_found)');
    const closed = await wpr(['info', 'acme/greeter', '--registry', `http://127.0.0.1:${await freePort()}`, '--retries', '0']);
    expectCode(closed, 4);
    expect(closed.stderr).toMatch(/error: cannot reach the registry at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    const anonymous = await wpr(['publish', plugin], { env: { WPR_CONFIG_DIR: join(home, 'nobody'), WPR_REGISTRY: registry.url } });
    expectCode(anonymous, 2);
    expect(anonymous.stderr).toContain(`error: not logged in to ${registry.url}`);
    const help = await wpr(['pull', '--help']);
    expectCode(help, 0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('Exit codes:');
  });

  it('uploads a large module in chunks, and resumes an interrupted upload when the same command runs again', async () => {
    // A valid module grown past the chunk size by a custom section.
    const name = Buffer.from('padding');
    const payload = Buffer.concat([Buffer.from(encodeUnsignedLeb128(name.length)), name, Buffer.alloc(1_500_000, 0x61)]);
    const large = Buffer.concat([await proxyWasmFilter('large'), Buffer.from([0]), Buffer.from(encodeUnsignedLeb128(payload.length)), payload]);
    await writeFile(join(home, 'large.wasm'), large);

    // A forward proxy on the way (HTTP_PROXY): it logs every request, and can cut every one after the second chunk.
    const seen: string[] = [];
    let cutAfterPatches: number | null = 2;
    let patches = 0;
    const proxy = createServer((request, response) => {
      const path = new URL(request.url!).pathname;
      if (request.method === 'PATCH') patches++;
      if (cutAfterPatches !== null && request.method !== 'POST' && path.includes('/blobs/uploads/') && patches > cutAfterPatches) {
        request.socket.destroy();
        return;
      }
      seen.push(`${request.method} ${path.replace(/uploads\/[0-9a-f-]+/, 'uploads/<session>')}`);
      const upstream = httpRequest(request.url!, { method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(response);
      });
      request.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const viaProxy = { HTTP_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };
    const publish = ['publish', join(home, 'large.wasm'), '--name', 'acme/large', '--version', '1.0.0', '--chunk-size', '0.25', '--retries', '1'];
    try {
      const cut = await wpr(publish, { env: viaProxy });
      expectCode(cut, 4);
      expect(cut.stderr).toContain(`error: the upload stopped at byte ${2 * 262_144} of ${large.length}`);
      expect(cut.stderr).toContain('hint: run the same command again to resume it');
      expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/large/versions/1.0.0')).status).toBe(404);

      cutAfterPatches = null;
      seen.length = 0;
      const resumed = await wpr(publish, { env: viaProxy });
      expectCode(resumed, 0);
      expect(resumed.stderr).toContain(`resuming the upload of large.wasm at byte ${2 * 262_144} of ${large.length}`);
      const remaining = Math.ceil((large.length - 2 * 262_144) / 262_144);
      expect(seen.filter((r) => r.includes('/blobs/uploads'))).toEqual([
        'GET /v2/acme/large/blobs/uploads/<session>',
        ...Array.from({ length: remaining }, () => 'PATCH /v2/acme/large/blobs/uploads/<session>'),
        'PUT /v2/acme/large/blobs/uploads/<session>',
      ]);
      // The publish itself names the pushed blob: the module is not sent twice.
      expect(seen).toContain('PUT /api/v1/plugins/acme/large/versions/1.0.0');
      const version = (await api(registry.url, 'GET', '/api/v1/plugins/acme/large/versions/1.0.0?wait=30')).json;
      expect(version).toMatchObject({ status: 'ready', digest: sha256(large), size: large.length });
      expect(sha256((await api(registry.url, 'GET', '/api/v1/plugins/acme/large/versions/1.0.0/module.wasm')).bytes)).toBe(sha256(large));
      expect(await readdir(join(home, 'config', 'uploads'))).toEqual([]);
    } finally {
      proxy.close();
    }
  });

  it('refuses a publish naming a blob that was never pushed to the plugin', async () => {
    const form = new FormData();
    form.append('moduleDigest', sha256(Buffer.from('never pushed')));
    const response = await fetch(`${registry.url}/api/v1/plugins/acme/greeter/versions/9.0.0`, { method: 'PUT', body: form, headers: { authorization: `Bearer ${registry.adminToken}` } });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as Json;
    expect(problem.errors).toEqual([{ field: 'body.moduleDigest', message: expect.stringMatching(/^no blob sha256:[0-9a-f]{64} was pushed to acme\/greeter: upload it first/) }]);

    // A blob pushed to another plugin's repository is that repository's, not this one's.
    const elsewhere = await proxyWasmFilter('elsewhere');
    const pushed = await api(registry.url, 'POST', `/v2/acme/other/blobs/uploads/?digest=${sha256(elsewhere)}`, { body: elsewhere, contentType: 'application/octet-stream', token: registry.adminToken });
    expect(pushed.status).toBe(201);
    const borrowed = new FormData();
    borrowed.append('moduleDigest', sha256(elsewhere));
    const refused = await fetch(`${registry.url}/api/v1/plugins/acme/greeter/versions/9.0.0`, { method: 'PUT', body: borrowed, headers: { authorization: `Bearer ${registry.adminToken}` } });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as Json).errors[0].message).toContain(`no blob ${sha256(elsewhere)} was pushed to acme/greeter`);
  });

  it('asks for what init needs when it runs in a terminal', async () => {
    const dir = join(home, 'asked');
    const child = spawn('script', ['-qec', `${process.execPath} ${CLI_ENTRY} init ${dir}`, '/dev/null'], { env: { PATH: process.env.PATH ?? '', ...env, TERM: 'xterm' } });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Answers are typed once each question is on the screen, as a person would.
    const answer = async (question: string, keys: string) => {
      const deadline = Date.now() + 20_000;
      while (!screen.includes(question)) {
        if (Date.now() > deadline) throw new Error(`no question ${JSON.stringify(question)} on the screen: ${screen}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      child.stdin.write(keys);
    };
    await answer('Plugin name (namespace/name):', 'acme/asked\r');
    await answer('Description (one sentence):', 'Asked, not told.\r');
    await answer('License (SPDX id):', '\r');
    await answer('Categories:', ' \r');
    expect(await exited).toBe(0);
    const manifest = parseDocument(await readFile(join(dir, 'wasm-plugin.yaml'), 'utf8')).toJS() as Json;
    expect(manifest).toMatchObject({ name: 'acme/asked', description: 'Asked, not told.', license: 'Apache-2.0', categories: [expect.any(String)] });
  });

  it('completes commands and flags in the shell', async () => {
    const script = await wpr(['completion']);
    expectCode(script, 0);
    expect(script.stdout).toContain('--get-yargs-completions');
    const commands = await wpr(['--get-yargs-completions', 'wpr', 'pu']);
    expect(commands.stdout.split('\n')).toEqual(expect.arrayContaining(['publish', 'pull']));
    const flags = await wpr(['--get-yargs-completions', 'wpr', 'publish', '--dry']);
    expect(flags.stdout.split('\n')).toContain('--dry-run');
  });

  it('shows the upload progress with its speed, then a spinner, in a real terminal', async () => {
    // script(1) gives the CLI a pseudo-terminal on stdin, stdout and stderr, and copies the screen to its stdout.
    const inTerminal = (command: string, extra: Record<string, string> = {}) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH ?? '', ...env, TERM: 'xterm', ...extra } });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`script exited ${code}: ${output}`))));
      });
    const screen = await inTerminal(`${process.execPath} ${CLI_ENTRY} publish ${plugin} --version 1.2.0`);
    const frames = screen.split(/\r|\u001b\[1G/).map((frame) => frame.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, ''));
    const bars = frames.filter((frame) => frame.startsWith('Uploading '));
    expect(bars.length).toBeGreaterThanOrEqual(2);
    expect(bars[0]).toMatch(/^Uploading [░█]+ 0% \| 0 B\/[\d.]+ KiB \| 0 B\/s/);
    expect(bars.at(-1)).toMatch(/^Uploading █+ 100% \| ([\d.]+ KiB)\/\1 \| [\d.]+ [KM]?i?B\/s/);
    expect(frames.some((frame) => /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for the pipeline/.test(frame))).toBe(true);
    expect(screen).toContain('acme/greeter@1.2.0: \u001b[32mready\u001b[39m');
    const plain = await inTerminal(`${process.execPath} ${CLI_ENTRY} info acme/greeter@1.2.0`, { NO_COLOR: '1' });
    expect(plain).toContain('acme/greeter@1.2.0  ready');
    expect(plain).not.toMatch(/\u001b\[3\dm/);
  });
});

describe('wpr verify, offline', () => {
  let dir: string;
  let sigstore: MockSigstore;
  let module: Buffer;
  const offline = { WPR_CONFIG_DIR: '/nonexistent/wpr' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wpr-verify-'));
    module = await proxyWasmFilter('verify');
    await writeFile(join(dir, 'module.wasm'), module);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = signingKeyFromPem(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'test key');
    await writeFile(join(dir, 'key.pem'), publicKey.export({ format: 'pem', type: 'spki' }).toString());
    await writeFile(join(dir, 'key.bundle.json'), JSON.stringify(await signModule(module, key)));

    sigstore = await startMockSigstore();
    await writeFile(join(dir, 'token'), fakeIdentityToken({ iss: 'https://token.example.test', sub: 'https://github.com/acme/greeter/.github/workflows/release.yml@refs/heads/main' }));
    const signer = createKeylessSigner({ fulcioUrl: sigstore.fulcioUrl, rekorUrl: sigstore.rekorUrl, identityToken: identityTokenFromFile(join(dir, 'token')), retries: 0 });
    await writeFile(join(dir, 'keyless.bundle.json'), JSON.stringify(await signer.signModule(module)));
    await writeFile(join(dir, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
    // The same root, but its certificate authority stopped being valid before the signature was made.
    const expired = structuredClone(sigstore.trustedRoot) as Json;
    const start = expired.certificateAuthorities[0].validFor.start as string;
    expired.certificateAuthorities[0].validFor = { start, end: new Date(Date.parse(start) + 1000).toISOString() };
    await writeFile(join(dir, 'expired_root.json'), JSON.stringify(expired));
  });
  afterAll(async () => {
    await sigstore?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const verify = (args: string[], moduleFile = 'module.wasm') => runCli(['verify', join(dir, moduleFile), ...args], { env: offline });
  const keyless = (identity: string, issuer: string, root = 'trusted_root.json') =>
    verify(['--bundle', join(dir, 'keyless.bundle.json'), '--certificate-identity', identity, '--certificate-oidc-issuer', issuer, '--trusted-root', join(dir, root)]);
  const IDENTITY = 'https://github.com/acme/greeter/.github/workflows/release.yml@refs/heads/main';
  const ISSUER = 'https://token.example.test';

  it('verifies with a key file and no registry at all', async () => {
    const run = await verify(['--bundle', join(dir, 'key.bundle.json'), '--key', join(dir, 'key.pem')]);
    expectCode(run, 0);
    expect(run.stdout).toContain('Verified OK');
    expect(run.stdout).toMatch(/signature: +✔/);
  });

  it('refuses a tampered module, a tampered bundle and the wrong key, each saying which check failed', async () => {
    const tampered = Buffer.from(module);
    tampered[tampered.length - 1] ^= 0x01;
    await writeFile(join(dir, 'tampered.wasm'), tampered);
    const badModule = await verify(['--bundle', join(dir, 'key.bundle.json'), '--key', join(dir, 'key.pem')], 'tampered.wasm');
    expectCode(badModule, 1);
    expect(badModule.stderr).toMatch(/error: the bundle does not verify the module: signature: /);
    expect(badModule.stdout).toMatch(/artifact_digest: +✖ messageDigest sha256:[0-9a-f]{64} differs from the artifact's sha256/);

    const bundle = JSON.parse(await readFile(join(dir, 'key.bundle.json'), 'utf8')) as Json;
    const signature = Buffer.from(bundle.messageSignature.signature, 'base64');
    signature[signature.length - 1] ^= 0x01;
    bundle.messageSignature.signature = signature.toString('base64');
    await writeFile(join(dir, 'tampered.bundle.json'), JSON.stringify(bundle));
    const badBundle = await verify(['--bundle', join(dir, 'tampered.bundle.json'), '--key', join(dir, 'key.pem')]);
    expectCode(badBundle, 1);
    expect(badBundle.stdout).toMatch(/signature: +✖/);

    await writeFile(join(dir, 'other.pem'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }).toString());
    const wrongKey = await verify(['--bundle', join(dir, 'key.bundle.json'), '--key', join(dir, 'other.pem')]);
    expectCode(wrongKey, 1);
    expect(wrongKey.stderr).toContain('signing_key: public-key hint');

    await writeFile(join(dir, 'garbage.json'), '{"not": "a bundle"');
    const garbage = await verify(['--bundle', join(dir, 'garbage.json'), '--key', join(dir, 'key.pem')]);
    expectCode(garbage, 1);
    expect(garbage.stderr).toContain('bundle: the bundle is not JSON');
  });

  it('verifies a keyless signature against an identity and a trusted root, and refuses another identity or an expired authority', async () => {
    const good = await keyless(IDENTITY, ISSUER);
    expectCode(good, 0);
    expect(good.stdout).toMatch(/identity: +✔/);

    const otherSubject = await keyless('https://github.com/evil/fork/.github/workflows/release.yml@refs/heads/main', ISSUER);
    expectCode(otherSubject, 1);
    expect(otherSubject.stdout).toMatch(/identity: +✖/);
    const otherIssuer = await keyless(IDENTITY, 'https://accounts.example.test');
    expectCode(otherIssuer, 1);
    expect(otherIssuer.stdout).toMatch(/identity: +✖/);

    const expired = await keyless(IDENTITY, ISSUER, 'expired_root.json');
    expectCode(expired, 1);
    expect(expired.stdout).toMatch(/signing_key: +✖/);

    const halfIdentity = await verify(['--bundle', join(dir, 'keyless.bundle.json'), '--certificate-identity', IDENTITY, '--trusted-root', join(dir, 'trusted_root.json')]);
    expectCode(halfIdentity, 2);
    expect(halfIdentity.stderr).toContain('needs both --certificate-identity and --certificate-oidc-issuer');
  });
});
