import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../domain/index.js';
import { assertDigest, rangeHeader } from './blob-uploads.service.js';
import { versionForTag } from './manifest-push.service.js';

function ociCodeOf(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return (error as RegistryError).extensions.ociCode;
  }
  return null;
}

describe('the rules of a push that need no I/O', () => {
  it('reads a tag as a version, dropping a leading v, and refuses anything else with TAG_INVALID', () => {
    expect(versionForTag('1.2.0')).toBe('1.2.0');
    expect(versionForTag('v1.2.0-rc.1')).toBe('1.2.0-rc.1');
    for (const tag of ['latest', 'v', 'vv1.0.0', '1.2', '01.2.3', '1.2.3+build', 'main', 'V1.2.0']) expect(ociCodeOf(() => versionForTag(tag)), tag).toBe('TAG_INVALID');
  });

  it('takes sha256 digests only, and says so for other algorithms', () => {
    expect(ociCodeOf(() => assertDigest(`sha256:${'a'.repeat(64)}`))).toBeNull();
    for (const digest of [`sha512:${'a'.repeat(128)}`, `sha256:${'A'.repeat(64)}`, 'sha256:abc', 'plain']) expect(ociCodeOf(() => assertDigest(digest)), digest).toBe('DIGEST_INVALID');
    try {
      assertDigest(`sha512:${'a'.repeat(128)}`);
    } catch (error) {
      expect((error as RegistryError).detail).toContain('sha256 digests only');
    }
  });

  it('states what an upload holds as the inclusive range 0-<last byte>', () => {
    expect(rangeHeader(0)).toBe('0-0');
    expect(rangeHeader(1)).toBe('0-0');
    expect(rangeHeader(1024)).toBe('0-1023');
  });
});
