import { describe, expect, it } from 'vitest';
import type { ModuleReference } from './module-references.js';
import { findingsOf, type ReferenceFacts } from './scan-findings.js';
import type { KnownVersion } from './scans.repository.js';

const MODULE = 'a'.repeat(64);
const MANIFEST = 'b'.repeat(64);
const version: KnownVersion = {
  id: 'v1', pluginId: 'p1', namespace: 'ops', plugin: 'jwt', version: '1.0.0', digest: `sha256:${MODULE}`, manifestDigest: `sha256:${MANIFEST}`,
  status: 'ready', statusReason: null, yankedAt: null, yankReason: null, yankAdvisoryId: null, deprecationMessage: null, compatibility: [{ host: 'envoy', versions: '>=1.17' }], signatureKinds: [],
};
const reference = (source: ModuleReference['source'], sha256: string | null): ModuleReference => ({
  file: 'f', document: 0, line: 1, path: '/spec/url', host: 'istio', name: 'jwt', source, sha256, configuration: { present: false }, rootId: null, vmId: null,
});
const facts = (ref: ModuleReference, extra: Partial<ReferenceFacts> = {}): ReferenceFacts => ({
  reference: ref, known: { version, by: 'sha256' }, advisories: [], newer: null, signature: { verified: true, detail: '' }, attestation: { verified: true, detail: '' }, proxy: { envoy: null, istio: null }, configuration: null, ...extra,
});
const oci = { kind: 'oci' as const, url: 'oci://r/ops/jwt:1.0.0', registryHost: 'r', repository: 'ops/jwt', tag: '1.0.0', digest: null };
const http = { kind: 'http' as const, url: 'https://r/m.wasm' };
const codes = (f: ReferenceFacts) => findingsOf(f).map((x) => `${x.level} ${x.code}`);

describe('what a scan says of one reference', () => {
  it('names the digest each URL kind needs, and nothing when it is the right one', () => {
    expect(codes(facts(reference(oci, MODULE)))).toContain('critical sha256_module_digest_with_oci');
    expect(codes(facts(reference(http, MANIFEST)))).toContain('critical sha256_manifest_digest_with_http');
    expect(codes(facts(reference(http, 'c'.repeat(64))))).toContain('critical sha256_mismatch');
    expect(codes(facts(reference(oci, MANIFEST))).filter((c) => c.includes('sha256'))).toEqual([]);
    expect(codes(facts(reference(http, MODULE))).filter((c) => c.includes('sha256'))).toEqual([]);
  });

  it('says when provenance was not verified because of the per-scan bound, instead of calling it unsigned or invalid', () => {
    expect(codes(facts(reference(http, MODULE), { signature: 'not_checked', attestation: 'not_checked' }))).toEqual(['ok known_version', 'info provenance_not_checked']);
    expect(codes(facts(reference(http, MODULE), { signature: null, attestation: null }))).toEqual(['ok known_version', 'warning not_signed', 'info no_attestation']);
  });
});
