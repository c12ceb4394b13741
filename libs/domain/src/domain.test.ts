import { describe, expect, it } from 'vitest';
import { CATEGORY_SLUGS } from './categories.js';
import { digestProblem } from './digest.js';
import { nameProblem } from './names.js';
import { parsePluginMetadata } from './plugin-metadata.js';
import { RegistryError } from './registry-error.js';
import { versionProblem } from './versions.js';

describe('names', () => {
  it.each(['a', 'acme', 'jwt-auth', 'a1', '0day', 'x'.repeat(64)])('accepts %s', (name) => {
    expect(nameProblem('path.name', name)).toBeNull();
  });
  it.each(['', '-lead', 'UPPER', 'under_score', 'dot.ted', 'x'.repeat(65), 'sp ace', '../etc', 'é'])('refuses %j', (name) => {
    expect(nameProblem('path.name', name)?.field).toBe('path.name');
  });
});

describe('versions', () => {
  it.each(['1.0.0', '0.0.1', '10.20.30', '1.0.0-rc.1', '1.0.0-alpha.beta.1'])('accepts %s', (version) => {
    expect(versionProblem('path.version', version)).toBeNull();
  });
  it.each(['1.0', 'v1.0.0', '1.0.0+build.5', '01.0.0', '1.0.0-', 'latest', ' 1.0.0', `1.0.0-${'a'.repeat(130)}`])('refuses %j', (version) => {
    const problem = versionProblem('path.version', version);
    expect(problem?.message).toContain('semantic version');
  });
});

describe('digests', () => {
  it('accepts sha256 with 64 lowercase hex digits only', () => {
    expect(digestProblem('d', `sha256:${'a'.repeat(64)}`)).toBeNull();
    expect(digestProblem('d', `sha256:${'A'.repeat(64)}`)).not.toBeNull();
    expect(digestProblem('d', `sha512:${'a'.repeat(64)}`)).not.toBeNull();
    expect(digestProblem('d', 'a'.repeat(64))).not.toBeNull();
  });
});

describe('plugin metadata', () => {
  it('accepts a full document and fills defaults', () => {
    expect(
      parsePluginMetadata({
        description: 'Checks JWTs',
        license: 'MIT OR Apache-2.0',
        homepage: 'https://example.com',
        repository: 'https://github.com/acme/jwt',
        keywords: ['jwt', 'auth', 'jwt'],
        categories: ['security'],
      }),
    ).toEqual({
      description: 'Checks JWTs',
      license: 'MIT OR Apache-2.0',
      homepage: 'https://example.com',
      repository: 'https://github.com/acme/jwt',
      keywords: ['jwt', 'auth'],
      categories: ['security'],
    });
    expect(parsePluginMetadata({})).toEqual({ description: '', license: null, homepage: null, repository: null, keywords: [], categories: [] });
  });

  it('reports every bad field with what is allowed', () => {
    let error: unknown;
    try {
      parsePluginMetadata({ license: 'Apache 2', homepage: 'ftp://x', keywords: ['Bad Word'], categories: ['waf'], colour: 'red' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RegistryError);
    const { status, extensions } = error as RegistryError;
    expect(status).toBe(400);
    const fields = (extensions.errors as { field: string; message: string }[]).map((e) => e.field);
    expect(fields).toEqual(['body.colour', 'body.license', 'body.homepage', 'body.keywords[0]', 'body.categories[0]']);
    const categoryMessage = (extensions.errors as { field: string; message: string }[]).find((e) => e.field === 'body.categories[0]')!.message;
    for (const slug of CATEGORY_SLUGS) expect(categoryMessage).toContain(slug);
  });

  it('names the fields under the prefix it is given (a manifest carries metadata under body.manifest)', () => {
    let error: unknown;
    try {
      parsePluginMetadata({ license: 'Apache 2', keywords: ['Bad Word'] }, 'body.manifest');
    } catch (e) {
      error = e;
    }
    const fields = ((error as RegistryError).extensions.errors as { field: string }[]).map((e) => e.field);
    expect(fields).toEqual(['body.manifest.license', 'body.manifest.keywords[0]']);
  });

  it('refuses text PostgreSQL cannot store or pages should not show, keeping line breaks in the description', () => {
    const problems = (input: object) => {
      try {
        parsePluginMetadata(input);
        return [];
      } catch (e) {
        return ((e as RegistryError).extensions.errors as { field: string; message: string }[]).map((p) => `${p.field}: ${/^holds (U\+[0-9A-F]{4})/.exec(p.message)?.[1]}`);
      }
    };
    expect(problems({ description: 'Validates\nJWTs.\r\n\tIndented.' })).toEqual([]);
    expect(problems({ description: 'a\u0000b', license: 'MIT\n', homepage: 'https://example.com/\ud800', repository: 'https://example.com/\u202e' })).toEqual([
      'body.description: U+0000',
      'body.license: U+000A',
      'body.homepage: U+D800',
      'body.repository: U+202E',
    ]);
  });
});
