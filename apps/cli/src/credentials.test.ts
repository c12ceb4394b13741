import { mkdtemp, readFile, rm, stat, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialStore, configDirectory, normalizeRegistryUrl, resolveSession } from './credentials.js';

describe('the credentials file', () => {
  let dir: string;
  let warnings: string[];
  let store: CredentialStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wpr-credentials-'));
    warnings = [];
    store = new CredentialStore(join(dir, 'wpr'), (m) => warnings.push(m));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is written 0600 in a 0700 directory, and remembers the last registry', async () => {
    await store.save('https://a.example', 'wpr_aaaa');
    await store.save('https://b.example', 'wpr_bbbb');
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'wpr'))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(store.path, 'utf8'))).toEqual({ current: 'https://b.example', tokens: { 'https://a.example': 'wpr_aaaa', 'https://b.example': 'wpr_bbbb' } });
    expect(await resolveSession(store, undefined, {})).toEqual({ registry: 'https://b.example', token: 'wpr_bbbb', tokenSource: 'credentials file' });
    expect(await store.remove('https://b.example')).toBe(true);
    expect(await resolveSession(store, undefined, {})).toEqual({ registry: 'https://a.example', token: 'wpr_aaaa', tokenSource: 'credentials file' });
    expect(warnings).toEqual([]);
  });

  it('warns when others can read it, without printing the token', async () => {
    await store.save('https://a.example', 'wpr_secret');
    await chmod(store.path, 0o644);
    await store.read();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/can be read by other users \(mode 644\); run: chmod 600/);
    expect(warnings[0]).not.toContain('wpr_secret');
  });

  it('prefers --registry, then WPR_REGISTRY; WPR_TOKEN over the file', async () => {
    await store.save('https://a.example', 'wpr_file');
    expect(await resolveSession(store, 'https://flag.example/', { WPR_REGISTRY: 'https://env.example' })).toMatchObject({ registry: 'https://flag.example', token: null });
    expect(await resolveSession(store, undefined, { WPR_REGISTRY: 'https://a.example', WPR_TOKEN: 'wpr_env' })).toEqual({ registry: 'https://a.example', token: 'wpr_env', tokenSource: 'environment' });
    await rm(store.path);
    await expect(resolveSession(store, undefined, {})).rejects.toMatchObject({ message: 'no registry given', hint: expect.stringContaining('wpr login') });
  });

  it('refuses registry URLs it cannot use, saying why', () => {
    expect(normalizeRegistryUrl('https://plugins.example.com/registry/')).toBe('https://plugins.example.com/registry');
    expect(() => normalizeRegistryUrl('plugins.example.com')).toThrow(/is not a URL/);
    expect(() => normalizeRegistryUrl('ftp://plugins.example.com')).toThrow(/must be http or https/);
    expect(() => normalizeRegistryUrl('https://u:p@plugins.example.com')).toThrow(/must not carry a user/);
  });

  it('lives in WPR_CONFIG_DIR, else XDG_CONFIG_HOME/wpr, else ~/.config/wpr', () => {
    expect(configDirectory({ WPR_CONFIG_DIR: '/x' })).toBe('/x');
    expect(configDirectory({ XDG_CONFIG_HOME: '/y' })).toBe('/y/wpr');
    expect(configDirectory({})).toMatch(/\.config\/wpr$/);
  });
});
