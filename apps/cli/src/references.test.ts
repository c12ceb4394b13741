import { describe, expect, it } from 'vitest';
import { CliError } from './cli-error.js';
import { applySet } from './commands/config.js';
import { EXIT } from './exit-codes.js';
import { parseReference } from './references.js';

describe('parseReference', () => {
  it('reads a plugin, a version and a digest', () => {
    expect(parseReference('acme/jwt')).toEqual({ namespace: 'acme', name: 'jwt', version: null, digest: null });
    expect(parseReference('acme/jwt@1.2.0-rc.1')).toEqual({ namespace: 'acme', name: 'jwt', version: '1.2.0-rc.1', digest: null });
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(parseReference(`acme/jwt@${digest}`)).toEqual({ namespace: 'acme', name: 'jwt', version: null, digest });
  });

  it('refuses what is not a reference, as a usage error with an example', () => {
    for (const raw of ['acme', 'acme/jwt/x', 'Acme/jwt', 'acme/jwt@', `acme/jwt@sha256:${'a'.repeat(63)}`, '/jwt']) {
      const error = (() => {
        try {
          parseReference(raw);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(error, raw).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(EXIT.usage);
      expect((error as CliError).hint, raw).toMatch(/acme\/jwt-auth|sha256/);
    }
    expect(() => parseReference('acme/jwt', { versionRequired: true })).toThrow(/names no version/);
  });
});

describe('config --set', () => {
  it('sets nested keys, parses JSON values and keeps the rest of the example', () => {
    const example = { issuer: 'a', rules: [{ limit: 1 }] };
    const changed = applySet(applySet(applySet(example, 'issuer=https://auth.example.com'), 'rules.0.limit=100'), 'audiences=["x","y"]');
    expect(changed).toEqual({ issuer: 'https://auth.example.com', rules: [{ limit: 100 }], audiences: ['x', 'y'] });
    expect(example.rules[0]!.limit).toBe(1);
    expect(applySet({}, 'a.b.c=true')).toEqual({ a: { b: { c: true } } });
    expect(applySet({}, 'list.1=x')).toEqual({ list: [undefined, 'x'] });
  });

  it('refuses an assignment without a key, or a key that would reach a prototype', () => {
    expect(() => applySet({}, 'novalue')).toThrow(/not key=value/);
    expect(() => applySet({}, '=1')).toThrow(/not key=value/);
    expect(() => applySet({}, '__proto__.polluted=1')).toThrow(/reserved/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
