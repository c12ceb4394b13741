import { DIGEST_PATTERN, NAME_PATTERN } from '../../../libs/domain/index.js';
import { usageError } from './cli-error.js';

/** ns/name, ns/name@1.2.0 or ns/name@sha256:<64 hex>, as every command takes them. */
export interface PluginReference {
  namespace: string;
  name: string;
  version: string | null;
  digest: string | null;
}


export function parseReference(raw: string, options: { versionRequired?: boolean } = {}): PluginReference {
  const at = raw.indexOf('@');
  const path = at === -1 ? raw : raw.slice(0, at);
  const pin = at === -1 ? null : raw.slice(at + 1);
  const [namespace, name, ...rest] = path.split('/');
  const example = options.versionRequired ? 'acme/jwt-auth@1.2.0' : 'acme/jwt-auth, acme/jwt-auth@1.2.0 or acme/jwt-auth@sha256:…';
  if (!namespace || !name || rest.length > 0 || !NAME_PATTERN.test(namespace) || !NAME_PATTERN.test(name)) {
    throw usageError(`${JSON.stringify(raw)} is not a plugin reference`, `write namespace/name (lower-case letters, digits, dashes), e.g. ${example}`);
  }
  if (pin === '') throw usageError(`${JSON.stringify(raw)} ends with @ but names no version`, `e.g. ${example}`);
  const digest = pin !== null && pin.startsWith('sha256:') ? pin : null;
  if (digest !== null && !DIGEST_PATTERN.test(digest)) throw usageError(`${JSON.stringify(pin)} is not a sha256 digest`, 'a digest is sha256: and 64 lower-case hex digits');
  const version = pin !== null && digest === null ? pin : null;
  if (options.versionRequired && version === null) throw usageError(`${JSON.stringify(raw)} names no version`, `e.g. ${example}`);
  return { namespace, name, version, digest };
}

export const pluginPath = (ref: { namespace: string; name: string }): string => `/api/v1/plugins/${ref.namespace}/${ref.name}`;
export const versionPath = (ref: { namespace: string; name: string }, version: string): string => `${pluginPath(ref)}/versions/${encodeURIComponent(version)}`;
