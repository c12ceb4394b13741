import { describe, expect, it } from 'vitest';
import {
  CARGO_LOCK,
  CRATES_IO,
  GIT_RESOLVED,
  GO_MOD,
  GO_SUM,
  PACKAGE_LOCK,
  PROXY_WASM_COMMIT,
  PURLS_TXT,
  sha256Hex,
  sha512Hex,
} from '../test/samples.js';
import {
  dependencyFileProblem,
  parseDeclaredDependencies,
  parseDeclaredDependencyFiles,
  parsePurlList,
  type DependencyFile,
} from './dependencies.js';
import type { DeclaredComponent, DeclaredDependencies, DependencyFileError } from './model.js';

function parsed(file: DependencyFile): DeclaredDependencies {
  const result = parseDeclaredDependencies(file);
  if (!result.ok) throw new Error(`expected ${file.filename} to parse: ${JSON.stringify(result.error)}`);
  return result.value;
}

function failure(file: DependencyFile, limits?: { maxBytes: number; maxComponents: number }): DependencyFileError {
  const result = parseDeclaredDependencies(file, limits);
  if (result.ok) throw new Error(`expected ${file.filename} to be refused`);
  return result.error;
}

const byPurl = (d: DeclaredDependencies, purl: string): DeclaredComponent => {
  const found = d.components.find((c) => c.purl === purl);
  if (!found) throw new Error(`no component ${purl}; have ${d.components.map((c) => c.purl).join(', ')}`);
  return found;
};

const PROXY_WASM_PURL = `pkg:cargo/proxy-wasm@0.2.2?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fproxy-wasm%2Fproxy-wasm-rust-sdk%40${PROXY_WASM_COMMIT}`;

describe('Cargo.lock', () => {
  const cargo = parsed({ filename: 'Cargo.lock', content: CARGO_LOCK });

  it('turns crates.io crates into pkg:cargo purls with their SHA-256 checksums, and the git crate into one pinned by vcs_url', () => {
    expect(cargo.files).toEqual(['Cargo.lock']);
    expect(cargo.components.map((c) => c.purl)).toEqual([
      'pkg:cargo/ahash@0.8.11',
      'pkg:cargo/cfg-if@1.0.0',
      'pkg:cargo/hashbrown@0.13.2',
      'pkg:cargo/hashbrown@0.14.5',
      'pkg:cargo/log@0.4.22',
      'pkg:cargo/once_cell@1.19.0',
      PROXY_WASM_PURL,
      'pkg:cargo/version_check@0.9.5',
    ]);
    expect(byPurl(cargo, 'pkg:cargo/log@0.4.22')).toEqual({
      purl: 'pkg:cargo/log@0.4.22',
      group: null,
      name: 'log',
      version: '0.4.22',
      dependsOn: [],
      development: false,
      optional: false,
      indirect: false,
      hashes: [{ alg: 'SHA-256', content: sha256Hex('log-0.4.22.crate') }],
      vcs: null,
    });
    const sdk = byPurl(cargo, PROXY_WASM_PURL);
    expect(sdk.vcs).toBe(`git+https://github.com/proxy-wasm/proxy-wasm-rust-sdk#${PROXY_WASM_COMMIT}`);
    expect(sdk.hashes).toEqual([]);
  });

  it('leaves the workspace and path crates out as the plugin itself, and takes what they use as its direct dependencies', () => {
    expect(cargo.local).toEqual(['header-filter', 'shared-utils']);
    expect(cargo.components.some((c) => c.name === 'header-filter' || c.name === 'shared-utils')).toBe(false);
    expect(cargo.roots).toEqual(['pkg:cargo/hashbrown@0.13.2', 'pkg:cargo/log@0.4.22', PROXY_WASM_PURL]);
  });

  it('resolves "name version" references to the right one of two versions', () => {
    expect(byPurl(cargo, PROXY_WASM_PURL).dependsOn).toEqual(['pkg:cargo/hashbrown@0.14.5', 'pkg:cargo/log@0.4.22']);
    expect(byPurl(cargo, 'pkg:cargo/ahash@0.8.11').dependsOn).toEqual([
      'pkg:cargo/cfg-if@1.0.0',
      'pkg:cargo/once_cell@1.19.0',
      'pkg:cargo/version_check@0.9.5',
    ]);
  });

  it('reads version 4 files, names other registries in repository_url, and roots the graph at its top when no crate is local', () => {
    const v4 = `version = 4

[[package]]
name = "internal-auth"
version = "2.1.0"
source = "sparse+https://crates.acme.example/index/"
checksum = "${sha256Hex('internal-auth')}"
dependencies = ["log"]

[[package]]
name = "log"
version = "0.4.22"
source = "${CRATES_IO}"
`;
    const d = parsed({ filename: 'vendor/Cargo.lock', content: v4 });
    expect(d.components.map((c) => c.purl)).toEqual([
      'pkg:cargo/internal-auth@2.1.0?repository_url=https:%2F%2Fcrates.acme.example%2Findex%2F',
      'pkg:cargo/log@0.4.22',
    ]);
    expect(d.local).toEqual([]);
    expect(d.roots).toEqual(['pkg:cargo/internal-auth@2.1.0?repository_url=https:%2F%2Fcrates.acme.example%2Findex%2F']);
  });

  it('reads version 1 files, whose references name the source and whose checksums sit in [metadata]', () => {
    const v1 = `[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "log 0.4.8 (${CRATES_IO})",
]

[[package]]
name = "log"
version = "0.4.8"
source = "${CRATES_IO}"

[metadata]
"checksum log 0.4.8 (${CRATES_IO})" = "${sha256Hex('log-0.4.8.crate')}"
`;
    const d = parsed({ filename: 'Cargo.lock', content: v1 });
    expect(d.components.map((c) => c.purl)).toEqual(['pkg:cargo/log@0.4.8']);
    expect(d.roots).toEqual(['pkg:cargo/log@0.4.8']);
    expect(d.local).toEqual(['app']);
  });

  it.each([
    ['an unterminated string', 'version = 3\n\n[[package]]\nname = "log\nversion = "0.4.22"\n', 4, 'unterminated string'],
    ['an unsupported lockfile version', 'version = 5\n', 1, 'Cargo.lock version 5 is not supported (1 to 4 are)'],
    ['a package without a version', 'version = 3\n\n[[package]]\nname = "log"\n', 3, '[[package]] has no version'],
    ['an inline table', 'version = 3\n[[package]]\nname = { a = 1 }\n', 3, 'inline tables are not used in Cargo.lock'],
    [
      'a dependency that is not in the file',
      'version = 3\n\n[[package]]\nname = "app"\nversion = "0.1.0"\ndependencies = [\n "serde",\n]\n',
      6,
      'package app 0.1.0 depends on "serde", which is not in the file',
    ],
    [
      'an unknown source kind',
      'version = 3\n\n[[package]]\nname = "x"\nversion = "1.0.0"\nsource = "svn+https://svn.example/x"\n',
      6,
      'source "svn+https://svn.example/x" of x is not a registry, sparse, git or path source',
    ],
    ['a bad checksum', `version = 3\n[[package]]\nname = "x"\nversion = "1.0.0"\nsource = "${CRATES_IO}"\nchecksum = "abc"\n`, 6, 'checksum of x must be 64 lowercase hexadecimal digits (SHA-256)'],
  ])('refuses %s with its line', (_, content, line, message) => {
    expect(failure({ filename: 'Cargo.lock', content })).toEqual({ code: 'invalid_dependency_file', file: 'Cargo.lock', line, message });
  });
});

describe('go.mod and go.sum', () => {
  const goMod = parsed({ filename: 'go.mod', content: GO_MOD });

  it('lowercases module paths in purls but keeps them as Go spells them in names, and marks indirect requirements', () => {
    expect(goMod.components.map((c) => [c.purl, c.name, c.indirect])).toEqual([
      ['pkg:golang/github.com/acme/gjson@v1.17.2-acme.1', 'github.com/acme/gjson', false],
      ['pkg:golang/github.com/masterminds/semver/v3@v3.2.1', 'github.com/Masterminds/semver/v3', true],
      ['pkg:golang/github.com/tetratelabs/proxy-wasm-go-sdk@v0.24.0', 'github.com/tetratelabs/proxy-wasm-go-sdk', false],
      ['pkg:golang/github.com/tidwall/match@v1.1.1', 'github.com/tidwall/match', true],
      ['pkg:golang/github.com/tidwall/pretty@v1.2.1', 'github.com/tidwall/pretty', true],
    ]);
    // The main module requires every one of them; what they require in turn is not in go.mod.
    expect(goMod.roots).toEqual(goMod.components.map((c) => c.purl));
    expect(goMod.components.every((c) => c.dependsOn === null)).toBe(true);
  });

  it('applies replace: a fork replaces the module, a directory makes it the project\'s own code', () => {
    expect(goMod.components.some((c) => c.name === 'github.com/tidwall/gjson')).toBe(false);
    expect(goMod.local).toEqual(['github.com/acme/shared']);
    expect(goMod.components.some((c) => c.name === 'github.com/acme/shared')).toBe(false);
  });

  it('reads go.sum modules whose code was downloaded, once each, skipping lines that only hash a go.mod', () => {
    const sum = parsed({ filename: 'go.sum', content: GO_SUM });
    expect(sum.components.map((c) => c.purl)).toEqual([
      'pkg:golang/github.com/acme/gjson@v1.17.2-acme.1',
      'pkg:golang/github.com/davecgh/go-spew@v1.1.1',
      'pkg:golang/github.com/masterminds/semver/v3@v3.2.1',
      'pkg:golang/github.com/tetratelabs/proxy-wasm-go-sdk@v0.24.0',
      'pkg:golang/github.com/tidwall/match@v1.1.1',
      'pkg:golang/github.com/tidwall/pretty@v1.2.1',
    ]);
    expect(sum.components.some((c) => c.version === 'v1.2.0')).toBe(false);
  });

  it('with go 1.17 or later, go.mod names everything built: go.sum adds nothing', () => {
    const merged = parseDeclaredDependencyFiles([
      { filename: 'go.mod', content: GO_MOD },
      { filename: 'go.sum', content: GO_SUM },
    ]);
    expect(merged.ok && merged.value.components.map((c) => c.purl)).toEqual(goMod.components.map((c) => c.purl));
    expect(merged.ok && merged.value.files).toEqual(['go.mod', 'go.sum']);
  });

  it('before go 1.17, go.sum adds the modules go.mod does not name', () => {
    const merged = parseDeclaredDependencyFiles([
      { filename: 'go.mod', content: GO_MOD.replace('go 1.22', 'go 1.16') },
      { filename: 'go.sum', content: GO_SUM },
    ]);
    expect(merged.ok && merged.value.components.map((c) => c.purl)).toEqual([
      'pkg:golang/github.com/acme/gjson@v1.17.2-acme.1',
      'pkg:golang/github.com/davecgh/go-spew@v1.1.1',
      'pkg:golang/github.com/masterminds/semver/v3@v3.2.1',
      'pkg:golang/github.com/tetratelabs/proxy-wasm-go-sdk@v0.24.0',
      'pkg:golang/github.com/tidwall/match@v1.1.1',
      'pkg:golang/github.com/tidwall/pretty@v1.2.1',
    ]);
  });

  it.each([
    ['go.mod', 'module x\n\ngo 1.22\n\nrequire (\n\tgithub.com/a/b v1.0.0\n', 5, 'the require block opened here is never closed'],
    ['go.mod', 'module x\n\nrequire github.com/a/b 1.0.0\n', 3, 'version "1.0.0" of github.com/a/b must start with "v" and a digit'],
    ['go.mod', 'module x\nreplace github.com/a/b => github.com/c/d\n', 2, 'replacement "github.com/c/d" needs a version, or must be a directory starting with ./ or ../'],
    ['go.mod', 'module x\ngo latest\n', 2, 'go directive "latest" is not a Go version'],
    ['go.sum', 'github.com/a/b v1.0.0 h1:abc=\ngithub.com/a/b v1.0.0\n', 2, 'expected "<module> <version> <hash>"'],
    ['go.sum', 'github.com/a/b v1.0.0 sha256:abc\n', 1, '"sha256:abc" is not a go.sum hash (h1:<base64>)'],
  ])('refuses a bad %s with its line', (filename, content, line, message) => {
    expect(failure({ filename, content })).toEqual({ code: 'invalid_dependency_file', file: filename, line, message });
  });
});

describe('package-lock.json', () => {
  const npm = parsed({ filename: 'package-lock.json', content: PACKAGE_LOCK });
  const gitPurl = 'pkg:npm/as-json@1.0.0?vcs_url=git%2Bssh:%2F%2Fgit%40github.com%2Facme%2Fas-json.git%400123456789abcdef0123456789abcdef01234567';

  it('encodes scopes as %40 in purls and keeps the scope as the group; the same package at two versions is two components', () => {
    expect(npm.components.map((c) => c.purl)).toEqual([
      'pkg:npm/%40solo-io/proxy-runtime@0.1.8',
      'pkg:npm/as-base64@0.2.0',
      gitPurl,
      'pkg:npm/as-string-sink@0.4.2',
      'pkg:npm/as-string-sink@0.5.3',
      'pkg:npm/assemblyscript@0.27.29',
      'pkg:npm/binaryen@116.0.0-nightly.20240114',
      'pkg:npm/long@5.2.3',
    ]);
    const sdk = byPurl(npm, 'pkg:npm/%40solo-io/proxy-runtime@0.1.8');
    expect([sdk.group, sdk.name, sdk.version]).toEqual(['@solo-io', 'proxy-runtime', '0.1.8']);
    expect(sdk.hashes).toEqual([{ alg: 'SHA-512', content: sha512Hex('proxy-runtime-0.1.8.tgz') }]);
  });

  it('resolves each dependency the way Node does: the nested copy for the SDK, the top-level one for the project', () => {
    expect(byPurl(npm, 'pkg:npm/%40solo-io/proxy-runtime@0.1.8').dependsOn).toEqual(['pkg:npm/as-string-sink@0.4.2']);
    expect(npm.roots).toEqual([
      'pkg:npm/%40solo-io/proxy-runtime@0.1.8',
      // from the workspace package @acme/utils, which is the project's own
      'pkg:npm/as-base64@0.2.0',
      gitPurl,
      'pkg:npm/as-string-sink@0.5.3',
      'pkg:npm/assemblyscript@0.27.29',
    ]);
    expect(npm.local).toEqual(['@acme/utils', 'as-header-filter']);
  });

  it('marks the development tree and keeps git dependencies pinned to their commit', () => {
    expect(npm.components.filter((c) => c.development).map((c) => c.name)).toEqual(['assemblyscript', 'binaryen', 'long']);
    expect(byPurl(npm, 'pkg:npm/assemblyscript@0.27.29').dependsOn).toEqual(['pkg:npm/binaryen@116.0.0-nightly.20240114', 'pkg:npm/long@5.2.3']);
    expect(byPurl(npm, gitPurl).vcs).toBe(GIT_RESOLVED);
  });

  it('names the line of the entry that is wrong', () => {
    const lock = JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/a': { version: '1.0.0' }, 'node_modules/b': { resolved: 'x' } } }, null, 2);
    expect(failure({ filename: 'package-lock.json', content: lock })).toEqual({
      code: 'invalid_dependency_file',
      file: 'package-lock.json',
      line: 8,
      message: '"node_modules/b" has no version',
    });
  });

  it.each([
    ['invalid JSON', '{\n  "lockfileVersion": 3,\n  "packages": {,}\n}', 3, /^not valid JSON: /],
    ['lockfileVersion 1', '{\n  "lockfileVersion": 1,\n  "dependencies": {}\n}', 2, /^lockfileVersion 1 is not supported: run `npm install` with npm 7 or later/],
    ['an entry that is not an object', '{"lockfileVersion": 3,\n"packages": {\n"node_modules/a": "1.0.0"}}', 3, /^packages\["node_modules\/a"\] must be an object$/],
    ['a bad integrity', '{"lockfileVersion": 3, "packages": {\n"node_modules/a": {"version": "1.0.0", "integrity": "sha512-AAAA"}}}', 2, /^integrity of a: a sha512 digest has 64 bytes, not 3$/],
  ])('refuses %s', (_, content, line, message) => {
    const error = failure({ filename: 'package-lock.json', content });
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
  });

  it('treats "__proto__" and "constructor" keys as data, never touching Object.prototype', () => {
    const hostile = `{"lockfileVersion": 3, "packages": {
      "": {"dependencies": {"__proto__": "1.0.0", "constructor": "1.0.0"}},
      "__proto__": {"name": "polluted", "polluted": true},
      "node_modules/__proto__": {"version": "1.0.0", "polluted": true},
      "node_modules/constructor": {"version": "2.0.0", "dependencies": {"__proto__": "*"}}
    }}`;
    const d = parsed({ filename: 'package-lock.json', content: hostile });
    expect(d.components.map((c) => c.purl)).toEqual(['pkg:npm/__proto__@1.0.0', 'pkg:npm/constructor@2.0.0']);
    expect(d.roots).toEqual(['pkg:npm/__proto__@1.0.0', 'pkg:npm/constructor@2.0.0']);
    expect(byPurl(d, 'pkg:npm/constructor@2.0.0').dependsOn).toEqual(['pkg:npm/__proto__@1.0.0']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('purl lists', () => {
  it('reads one purl a line, skipping blanks and # comments, and writes each canonically', () => {
    const result = parsePurlList(PURLS_TXT);
    expect(result.ok && result.value.components.map((c) => [c.purl, c.group, c.name, c.version])).toEqual([
      ['pkg:generic/zlib@1.3.1?download_url=https:%2F%2Fzlib.net%2Fzlib-1.3.1.tar.gz', null, 'zlib', '1.3.1'],
      ['pkg:github/nlohmann/json@v3.11.3', 'nlohmann', 'json', 'v3.11.3'],
    ]);
    expect(result.ok && result.value.roots).toHaveLength(2);
    expect(parsed({ filename: 'vendored.purls', content: 'pkg:NPM/%40Types/Node@20.1.0\n' }).components[0]!.purl).toBe('pkg:npm/%40types/node@20.1.0');
  });

  it('names the line and the purl that is not valid', () => {
    const result = parsePurlList('pkg:cargo/log@0.4.22\n\nnpm/left-pad@1.3.0\n');
    expect(result).toEqual({
      ok: false,
      error: { code: 'invalid_dependency_file', file: 'purls.txt', line: 3, message: '"npm/left-pad@1.3.0" is not a valid purl: missing required "pkg" scheme component' },
    });
    expect(failure({ filename: 'deps.purls', content: 'pkg:maven/commons-io@2.6\n' })).toMatchObject({ line: 1, message: expect.stringContaining('maven requires a "namespace" component') });
  });
});

describe('parseDeclaredDependencies', () => {
  it('refuses a file it cannot read, saying which ones it can', () => {
    expect(failure({ filename: 'yarn.lock', content: '' })).toEqual({
      code: 'invalid_dependency_file',
      file: 'yarn.lock',
      line: null,
      message: 'is not a dependency file the registry reads; send Cargo.lock, go.mod, go.sum, package-lock.json, purls.txt or *.purls',
    });
    expect(failure({ filename: '.purls', content: '' }).message).toMatch(/is not a dependency file/);
  });

  it('bounds the size and the number of packages', () => {
    expect(failure({ filename: 'go.sum', content: GO_SUM }, { maxBytes: 100, maxComponents: 20_000 }).message).toBe(
      `is ${Buffer.byteLength(GO_SUM)} bytes; at most 100 are accepted`,
    );
    expect(failure({ filename: 'Cargo.lock', content: CARGO_LOCK }, { maxBytes: 1 << 20, maxComponents: 5 }).message).toBe(
      'declares 8 packages; at most 5 are accepted',
    );
    const merged = parseDeclaredDependencyFiles(
      [
        { filename: 'Cargo.lock', content: CARGO_LOCK },
        { filename: 'package-lock.json', content: PACKAGE_LOCK },
      ],
      { maxBytes: 1 << 20, maxComponents: 10 },
    );
    expect(merged.ok ? null : merged.error.message).toBe('together declare 16 packages; at most 10 are accepted');
  });

  it('accepts at most 2,000 packages by default', () => {
    const purls = (n: number) => ({ filename: 'purls.txt', content: Array.from({ length: n }, (_, i) => `pkg:cargo/crate-${i}@1.0.0`).join('\n') });
    expect(parseDeclaredDependencyFiles([purls(2_000)]).ok).toBe(true);
    expect(failure(purls(2_001)).message).toBe('declares 2001 packages; at most 2000 are accepted');
  });

  it('reads bytes as strict UTF-8, with or without a byte order mark and CRLF line ends', () => {
    const crlf = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(GO_MOD.replace(/\n/g, '\r\n'))]);
    expect(parsed({ filename: 'go.mod', content: crlf }).components).toHaveLength(5);
    expect(failure({ filename: 'go.mod', content: Buffer.from([0x6d, 0xff, 0xfe]) }).message).toBe('is not UTF-8 text');
  });

  it('refuses text PostgreSQL cannot store, raw or escaped, naming the file, the line and the character', () => {
    expect(failure({ filename: 'deps.purls', content: 'pkg:npm/left-pad@1.3.0\npkg:npm/a\u0000b@1\n' })).toMatchObject({
      file: 'deps.purls',
      line: 2,
      message: expect.stringMatching(/^holds U\+0000 \(NUL\) at position 10;/),
    });
    expect(failure({ filename: 'deps.purls', content: 'pkg:npm/ok@1\npkg:npm/a%00b@1\n' }).message).toMatch(/^declares package 1 of 2 with text that holds U\+0000/);
    const lock = JSON.stringify({ lockfileVersion: 3, packages: { '': { dependencies: { 'a\u202e': '1.0.0' } }, 'node_modules/a\u202e': { version: '1.0.0' } } });
    expect(failure({ filename: 'package-lock.json', content: lock.replaceAll('\u202e', '\\u202e') }).message).toMatch(/U\+202E \(a bidirectional control\)/);
    expect(failure({ filename: 'x\u0000.purls', content: 'pkg:npm/ok@1' })).toMatchObject({ file: 'a dependency file name', message: expect.stringMatching(/^holds U\+0000/) });
    expect(failure({ filename: `${'x'.repeat(300)}.purls`, content: 'pkg:npm/ok@1' }).message).toMatch(/at most 255/);
  });

  it('survives deeply nested input with a plain error', () => {
    const deep = `{"lockfileVersion": 3, "packages": {"node_modules/a": ${'['.repeat(200_000)}${']'.repeat(200_000)}}}`;
    expect(failure({ filename: 'package-lock.json', content: deep }).message).toBe('packages["node_modules/a"] must be an object');
    const toml = `version = 3\n[[package]]\nname = "a"\nversion = "1"\ndependencies = ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`;
    expect(failure({ filename: 'Cargo.lock', content: toml })).toMatchObject({ line: 5, message: 'arrays nested too deeply' });
  });

  it('gives the caller one field problem naming file and line', () => {
    const error = failure({ filename: 'Cargo.lock', content: 'version = 9\n' });
    expect(dependencyFileProblem(error)).toEqual({ field: 'dependencies', message: 'Cargo.lock line 1: Cargo.lock version 9 is not supported (1 to 4 are)' });
  });

  it('merges lockfiles of several languages into one declaration', () => {
    const merged = parseDeclaredDependencyFiles([
      { filename: 'Cargo.lock', content: CARGO_LOCK },
      { filename: 'go.mod', content: GO_MOD },
      { filename: 'package-lock.json', content: PACKAGE_LOCK },
      { filename: 'purls.txt', content: PURLS_TXT },
    ]);
    if (!merged.ok) throw new Error(JSON.stringify(merged.error));
    expect(merged.value.files).toEqual(['Cargo.lock', 'go.mod', 'package-lock.json', 'purls.txt']);
    expect(merged.value.components).toHaveLength(8 + 5 + 8 + 2);
    expect(merged.value.roots).toHaveLength(3 + 5 + 5 + 2);
    expect(merged.value.local).toEqual(['@acme/utils', 'as-header-filter', 'github.com/acme/shared', 'header-filter', 'shared-utils']);
    // sorted by purl: cargo, generic, github, golang, npm
    expect(merged.value.components.map((c) => c.purl.split('/')[0])).toEqual([...Array(8).fill('pkg:cargo'), 'pkg:generic', 'pkg:github', ...Array(5).fill('pkg:golang'), ...Array(8).fill('pkg:npm')]);
  });
});
