import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { describeRequestInputRules, requestInputProblems } from './request-input.js';

const fields = (request: { params?: unknown; query?: unknown; body?: unknown }) => requestInputProblems(request as never).map((p) => p.field);

describe('the input every request passes', () => {
  it('lets ordinary parameters and bodies through', () => {
    expect(fields({ params: { namespace: 'acme' }, query: { q: 'jwt auth', limit: '5' }, body: { description: 'Line one\nline two', keywords: ['jwt'] } })).toEqual([]);
  });

  it('refuses a repeated query parameter, naming it', () => {
    const problems = requestInputProblems({ params: {}, query: { q: ['a', 'b'], sort: 'name' }, body: undefined } as never);
    expect(problems).toEqual([{ field: 'query.q', message: 'is given 2 times; give it once' }]);
  });

  it('refuses forbidden characters in path and query parameters and in parameter names', () => {
    expect(fields({ params: { name: 'x\u0000' }, query: { q: '\u202e', ['bad\u0001']: '1' } })).toEqual(['path.name', 'query.q', 'query']);
  });

  it('walks every string and key of a JSON body, however deep', () => {
    let deep: unknown = 'deep\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(fields({ body: deep })).toEqual([`body${'[0]'.repeat(100_000)}`]);
    expect(fields({ body: { a: { b: ['ok', 'lone \ud800'] }, ['k\u0000']: 1 } })).toEqual(['body', 'body.a.b[1]']);
    expect(fields({ body: 'text\u0000' })).toEqual(['body']);
  });

  it('leaves streamed bodies (modules, /v2 pushes) to their handlers', () => {
    expect(fields({ body: Readable.from([Buffer.from('\u0000')]) })).toEqual([]);
    expect(fields({ body: Buffer.from([0]) })).toEqual([]);
  });

  it('reports at most ten problems', () => {
    expect(fields({ body: Array.from({ length: 50 }, () => '\u0000') })).toHaveLength(10);
  });

  it('says in the OpenAPI document that every query parameter is given once', () => {
    const document = {
      info: { title: 't', version: '1', description: 'API.' },
      paths: { '/x': { get: { parameters: [{ in: 'query', name: 'q', description: 'Text.' }, { in: 'path', name: 'id' }, { in: 'query', name: 'n' }] } } },
    };
    describeRequestInputRules(document as never);
    const [q, id, n] = document.paths['/x'].get.parameters as { description?: string }[];
    expect(q!.description).toMatch(/^Text\. Given at most once/);
    expect(n!.description).toMatch(/^Given at most once/);
    expect(id!.description).toBeUndefined();
    expect(document.info.description).toContain('U+0000');
  });
});
