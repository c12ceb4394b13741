import { describe, expect, it } from 'vitest';
import { COMPATIBILITY_TABLE, deriveCompatibility } from './host-compatibility.js';
import { cppHostImport, HOST_FUNCTIONS, WASI_FUNCTIONS } from './proxy-wasm-abi.js';
import type { ImportEntry } from './report.js';

const fn = (module: string, name: string): ImportEntry => ({ module, name, kind: 'function' });

describe('the compatibility table', () => {
  it('cites a source for every row and marks what is not confirmed', () => {
    for (const row of COMPATIBILITY_TABLE) {
      expect(row.source.length, `${row.host} ${row.abi}`).toBeGreaterThan(10);
      if (row.versions === 'unconfirmed') expect(row.confirmed).toBe(false);
    }
    expect(COMPATIBILITY_TABLE.map((r) => `${r.host} ${r.abi} ${r.versions}`)).toEqual([
      'envoy 0.1.0 >=1.17',
      'envoy 0.2.0 >=1.17',
      'envoy 0.2.1 >=1.17',
      'istio 0.1.0 >=1.5',
      'istio 0.2.0 >=1.7',
      'istio 0.2.1 >=1.8',
      'mosn 0.1.0 unconfirmed',
      'mosn proxy_abi_mosn_version_0_2_0 unconfirmed',
    ]);
  });
});

describe('deriveCompatibility', () => {
  const base = { functionExports: ['proxy_abi_version_0_2_1', 'proxy_on_memory_allocate'], cppHostLoads: true } as const;

  it('gives Envoy and Istio rows for a module the C++ host loads', () => {
    const rows = deriveCompatibility({ ...base, abiVersion: '0.2.1', imports: [fn('env', 'proxy_log')] });
    expect(rows.map((r) => `${r.host} ${r.versions}`)).toEqual(['envoy >=1.17', 'istio >=1.8']);
  });

  it('gives nothing for a module the C++ host refuses', () => {
    expect(deriveCompatibility({ ...base, abiVersion: '0.2.1', imports: [fn('env', 'foo')], cppHostLoads: false })).toEqual([]);
  });

  it('adds MOSN for a 0.1.0 module whose imports its v1 host links and that exports malloc', () => {
    const rows = deriveCompatibility({
      abiVersion: '0.1.0',
      functionExports: ['proxy_abi_version_0_1_0', 'malloc'],
      imports: [fn('env', 'proxy_log'), fn('wasi_unstable', 'fd_write')],
      cppHostLoads: true,
    });
    expect(rows.map((r) => `${r.host} ${r.versions}`)).toEqual(['envoy >=1.17', 'istio >=1.5', 'mosn unconfirmed']);
  });

  it('leaves MOSN out when an import is missing from its host', () => {
    const rows = deriveCompatibility({
      abiVersion: '0.1.0',
      functionExports: ['proxy_abi_version_0_1_0', 'malloc'],
      imports: [fn('env', 'proxy_get_configuration')],
      cppHostLoads: true,
    });
    expect(rows.map((r) => r.host)).toEqual(['envoy', 'istio']);
  });
});

describe('cppHostImport', () => {
  it('links the same WASI set under both module names', () => {
    expect(WASI_FUNCTIONS.size).toBe(45);
    for (const name of WASI_FUNCTIONS.keys()) {
      expect(cppHostImport(fn('wasi_unstable', name), '0.2.1').status).toBe('provided');
      expect(cppHostImport(fn('wasi_snapshot_preview1', name), '0.2.1').status).toBe('provided');
    }
  });

  it('links the two extra env functions whatever the version', () => {
    for (const version of ['0.1.0', '0.2.0', '0.2.1'] as const) {
      expect(cppHostImport(fn('env', 'pthread_equal'), version).status).toBe('provided');
      expect(cppHostImport(fn('env', 'emscripten_notify_memory_growth'), version).status).toBe('provided');
    }
  });

  it('follows the ABI-specific branch of registerCallbacks', () => {
    expect(HOST_FUNCTIONS['0.2.0'].has('proxy_get_log_level')).toBe(false);
    expect(HOST_FUNCTIONS['0.2.1'].has('proxy_get_log_level')).toBe(true);
    expect(HOST_FUNCTIONS['0.1.0'].has('proxy_continue_stream')).toBe(false);
    expect(HOST_FUNCTIONS['0.1.0'].has('proxy_continue_request')).toBe(true);
    expect([...HOST_FUNCTIONS['0.2.1']].length).toBe(39);
    expect(cppHostImport(fn('env', 'proxy_get_log_level'), '0.2.0')).toEqual({
      status: 'unknown',
      reason: 'env.proxy_get_log_level is a Proxy-Wasm 0.2.1 host function, and the host provides it only to modules declaring that version, not to this 0.2.0 module',
    });
  });
});
