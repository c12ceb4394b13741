import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../domain/index.js';
import { parseConfigurationText } from './configuration-text.js';
import { CONTRACT_LIMITS } from './contract-limits.js';

function refusal(text: string, mediaType: 'json' | 'yaml'): unknown {
  try {
    parseConfigurationText(text, mediaType, 'body');
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return (error as RegistryError).extensions.errors;
  }
  throw new Error('expected a 400');
}

describe('parseConfigurationText', () => {
  it('reads a configuration as JSON or as YAML, as the proxy would receive it', () => {
    expect(parseConfigurationText('{"issuer": "https://a.example/", "audiences": ["x"]}', 'json', 'body')).toEqual({ issuer: 'https://a.example/', audiences: ['x'] });
    expect(parseConfigurationText('issuer: https://a.example/\naudiences: [x]\nclockSkewSeconds: 30\n', 'yaml', 'body')).toEqual({
      issuer: 'https://a.example/',
      audiences: ['x'],
      clockSkewSeconds: 30,
    });
  });

  it('refuses, naming the field: bad syntax, too large, too deep, values JSON cannot hold', () => {
    expect(refusal('{"a": }', 'json')).toEqual([{ field: 'body', message: expect.stringMatching(/^is not valid JSON: /) }]);
    expect(refusal('a: [1,', 'yaml')).toEqual([{ field: 'body', message: expect.stringMatching(/^is not valid YAML: /) }]);
    const large = JSON.stringify({ a: 'x'.repeat(CONTRACT_LIMITS.configurationBytes) });
    expect(refusal(large, 'json')).toEqual([{ field: 'body', message: `must be at most ${CONTRACT_LIMITS.configurationBytes} bytes (got ${large.length})` }]);
    expect(refusal(`${'['.repeat(65)}${']'.repeat(65)}`, 'json')).toEqual([{ field: 'body', message: 'nests objects and arrays deeper than 64 levels' }]);
    expect(parseConfigurationText(`${'['.repeat(64)}${']'.repeat(64)}`, 'json', 'body')).toBeInstanceOf(Array);
    expect(refusal(`${'['.repeat(10_000)}${']'.repeat(10_000)}`, 'yaml')).toEqual([{ field: 'body', message: expect.stringMatching(/^nests /) }]);
    expect(refusal('limit: .inf', 'yaml')).toEqual([{ field: 'body', message: 'holds a number JSON cannot represent (.inf or .nan)' }]);
  });
});
