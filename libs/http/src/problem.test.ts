import { describe, expect, it } from 'vitest';
import { StorageNotFoundError } from '../../storage/index.js';
import { toProblem } from './problem.js';

describe('toProblem', () => {
  it('turns a module missing from storage into a 404 blob_not_found (BLOB_UNKNOWN on /v2), never a 500', () => {
    const problem = toProblem(new StorageNotFoundError('blobs/sha256/abc'), '/api/v1/verify');
    expect(problem).toMatchObject({ status: 404, code: 'blob_not_found', ociCode: 'BLOB_UNKNOWN', instance: '/api/v1/verify' });
    // The storage key is the server's business.
    expect(JSON.stringify(problem)).not.toContain('blobs/sha256');
  });
});
