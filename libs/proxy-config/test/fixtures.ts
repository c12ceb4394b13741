import { createHash } from 'node:crypto';
import type { AbiSummary, ProxyConfigInput } from '../src/proxy-config.js';

/** Test support: builder inputs for a made-up version, with distinct module and manifest digests. */

export const MODULE_SHA256 = createHash('sha256').update('the module bytes').digest('hex');
export const MANIFEST_DIGEST = `sha256:${createHash('sha256').update('the OCI manifest').digest('hex')}`;

export const HTTP_ABI: AbiSummary = {
  abiVersion: '0.2.1',
  filterTypes: ['http'],
  callbacks: { http: ['proxy_on_request_headers'], tcp: [] },
  envoy: { loads: true, reasons: [] },
  compatibility: [
    { host: 'envoy', versions: '>=1.17', reason: 'ABI 0.2.1' },
    { host: 'istio', versions: '>=1.8', reason: 'ABI 0.2.1, inferred' },
  ],
  warnings: [],
  // A module whose analysis could not list every import and export: no restriction is written.
  allowedCapabilities: null,
};

/** The HTTP module above as the analysis lists it whole: imports proxy_log, exports two callbacks. */
export const RESTRICTED_HTTP_ABI: AbiSummary = {
  ...HTTP_ABI,
  allowedCapabilities: ['proxy_log', 'proxy_on_context_create', 'proxy_on_request_headers'],
};

export const NETWORK_ABI: AbiSummary = {
  ...HTTP_ABI,
  filterTypes: ['network'],
  callbacks: { http: [], tcp: ['proxy_on_new_connection', 'proxy_on_downstream_data'] },
};

export function sampleInput(publicUrl = 'https://registry.example.com', overrides: Partial<ProxyConfigInput> = {}): ProxyConfigInput {
  const host = new URL(publicUrl).host;
  return {
    coordinates: { namespace: 'acme', plugin: 'jwt-auth', version: '1.0.0' },
    module: { url: `${publicUrl}/api/v1/blobs/sha256:${MODULE_SHA256}`, sha256: MODULE_SHA256 },
    oci: { reference: `${host}/acme/jwt-auth:1.0.0`, manifestDigest: MANIFEST_DIGEST },
    abi: HTTP_ABI,
    yanked: null,
    ...overrides,
  };
}
