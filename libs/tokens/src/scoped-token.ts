import { createHmac } from 'node:crypto';
import { jwtVerify, SignJWT, decodeJwt } from 'jose';

/**
 * What a short-lived /v2 token grants, as the Docker token protocol names it
 * (the `access` claim): actions on one repository.
 */
export interface RepositoryAccess {
  type: 'repository';
  /** `<namespace>/<plugin>` */
  name: string;
  actions: ('pull' | 'push')[];
}

export interface ScopedToken {
  token: string;
  expiresInSeconds: number;
  issuedAt: Date;
}

/** Long enough for a large push to finish its requests; clients ask again when it runs out. */
export const SCOPED_TOKEN_TTL_SECONDS = 300;
const ISSUER = 'wasm-plugin-registry';
const AUDIENCE = 'wasm-plugin-registry/v2';
const ANONYMOUS_KEY = createHmac('sha256', 'anonymous').update('oci-scoped-token-v1').digest();

/**
 * The signing key of the scoped tokens of one API token: derived from its stored hash, so every API
 * process can check a token without a shared secret, and a revoked API token's scoped tokens die with it
 * (the holder is looked up on each use).
 */
export function scopedTokenKey(tokenHash: string): Uint8Array {
  return createHmac('sha256', Buffer.from(tokenHash, 'hex')).update('oci-scoped-token-v1').digest();
}

/** Signs a token for `subject` (an API token's id; null for anonymous pulls) granting `access`. */
export async function signScopedToken(subject: string | null, key: Uint8Array | null, access: RepositoryAccess[], service: string, now: Date): Promise<ScopedToken> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const jwt = new SignJWT({ access })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience([AUDIENCE, service])
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt - 5)
    .setExpirationTime(issuedAt + SCOPED_TOKEN_TTL_SECONDS);
  if (subject !== null) jwt.setSubject(subject);
  return { token: await jwt.sign(key ?? ANONYMOUS_KEY), expiresInSeconds: SCOPED_TOKEN_TTL_SECONDS, issuedAt: new Date(issuedAt * 1000) };
}

/** The subject a token claims, read before its signature is checked (to find the key); null when it has none. */
export function claimedSubject(token: string): string | null | undefined {
  try {
    const { sub } = decodeJwt(token);
    return typeof sub === 'string' ? sub : null;
  } catch {
    return undefined;
  }
}

/** The access a token grants, once its signature, issuer, audience and time are checked; null otherwise. */
export async function verifiedAccess(token: string, key: Uint8Array | null, now: Date): Promise<RepositoryAccess[] | null> {
  try {
    const { payload } = await jwtVerify(token, key ?? ANONYMOUS_KEY, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], currentDate: now });
    return Array.isArray(payload.access) ? payload.access.filter(isRepositoryAccess) : [];
  } catch {
    return null;
  }
}

function isRepositoryAccess(value: unknown): value is RepositoryAccess {
  const v = value as RepositoryAccess;
  return typeof v === 'object' && v !== null && v.type === 'repository' && typeof v.name === 'string' && Array.isArray(v.actions) && v.actions.every((a) => a === 'pull' || a === 'push');
}
