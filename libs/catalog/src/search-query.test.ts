import { describe, expect, it } from 'vitest';
import { RegistryError, latestOf } from '../../domain/index.js';
import { encodeSearchCursor, parseSearchQuery } from './search-query.js';

function problemsOf(params: Record<string, string>): { field: string; message: string }[] {
  try {
    parseSearchQuery(params);
  } catch (error) {
    if (error instanceof RegistryError) return (error.extensions as { errors: { field: string; message: string }[] }).errors;
    throw error;
  }
  throw new Error('expected the query to be refused');
}

describe('parseSearchQuery', () => {
  it('sorts by relevance with a text query and by downloads without one', () => {
    expect(parseSearchQuery({ q: '  JWT Auth ' })).toMatchObject({ text: 'jwt auth', words: ['jwt', 'auth'], sort: 'relevance', limit: 20 });
    expect(parseSearchQuery({})).toMatchObject({ text: null, words: [], sort: 'downloads' });
    expect(parseSearchQuery({ q: '' })).toMatchObject({ text: null, sort: 'downloads' });
  });

  it('keeps only letters and digits as words, so nothing reaches to_tsquery unescaped', () => {
    expect(parseSearchQuery({ q: "rate-limiter & !(x) | 'y':*" }).words).toEqual(['rate', 'limiter', 'x', 'y']);
    expect(parseSearchQuery({ q: 'données über' }).words).toEqual(['données', 'über']);
  });

  it('parses every filter', () => {
    expect(
      parseSearchQuery({ category: 'security', namespace: 'acme', abi: '0.2.0', host: 'istio', kind: 'component', language: 'Rust', signed: 'false', sort: 'name', limit: '100' }),
    ).toMatchObject({ category: 'security', namespace: 'acme', abi: '0.2.0', host: 'istio', kind: 'component', language: 'rust', signed: false, sort: 'name', limit: 100 });
  });

  it('reports every bad parameter at once, naming the field and what is allowed', () => {
    const problems = problemsOf({ category: 'waf', host: 'nginx', limit: '0', language: 'a b', namespace: 'Acme' });
    expect(problems.map((p) => p.field)).toEqual(['query.category', 'query.namespace', 'query.host', 'query.language', 'query.limit']);
    expect(problems[0]!.message).toContain('traffic-management');
    expect(problems[2]!.message).toContain('envoy, istio, mosn');
    expect(problems[4]!.message).toContain('1 to 100');
  });

  it('refuses relevance without q', () => {
    expect(problemsOf({ sort: 'relevance' })[0]).toMatchObject({ field: 'query.sort' });
  });

  it('round-trips cursors and refuses one made for another sort or tampered with', () => {
    const cursor = encodeSearchCursor({ sort: 'downloads', downloads: '42', id: '0192f0c4-1d2e-7a3b-8c4d-5e6f7a8b9c0d' });
    expect(parseSearchQuery({ cursor }).cursor).toEqual({ sort: 'downloads', downloads: '42', id: '0192f0c4-1d2e-7a3b-8c4d-5e6f7a8b9c0d' });
    expect(problemsOf({ cursor, sort: 'recent' })[0]).toMatchObject({ field: 'query.cursor' });
    const injected = encodeSearchCursor({ sort: 'downloads', downloads: '1; DROP TABLE plugins', id: 'x' } as never);
    expect(problemsOf({ cursor: injected })[0]).toMatchObject({ field: 'query.cursor' });
    expect(problemsOf({ cursor: '%%%' })[0]).toMatchObject({ field: 'query.cursor' });
  });
});

describe('latestOf', () => {
  const v = (...versions: string[]) => versions.map((version) => ({ version }));

  it('is the highest release by semantic-version precedence, not by string order', () => {
    expect(latestOf(v('1.9.0', '1.10.0', '1.2.0'))?.version).toBe('1.10.0');
  });

  it('prefers a release to a higher pre-release, and takes a pre-release when there is no release', () => {
    expect(latestOf(v('1.0.0', '2.0.0-rc.1'))?.version).toBe('1.0.0');
    expect(latestOf(v('2.0.0-rc.1', '2.0.0-beta.3'))?.version).toBe('2.0.0-rc.1');
    expect(latestOf([])).toBeNull();
  });
});
