import { createHash } from 'node:crypto';
import semver from 'semver';

/**
 * Contracts written by hand for some demo plugins: what their READMEs say,
 * the configuration they accept (per version), named examples and host
 * hints. contracts.ts turns them into the files an author would publish
 * (our manifest, a Higress spec.yaml or a Kong <filter>.meta.json).
 * Everything here is made up, like the catalog.
 */

export type ContractFormat = 'manifest' | 'higress' | 'kong';
export type SchemaDialect = 'draft-07' | '2020-12';
type IstioPhase = 'UNSPECIFIED_PHASE' | 'AUTHN' | 'AUTHZ' | 'STATS';
type JsonSchema = Record<string, unknown>;

export interface DemoExample {
  name: string;
  description: string;
  configuration: Record<string, unknown>;
}

export interface DemoHostHints {
  filterType: 'http' | 'network';
  rootId: string;
  istio?: { phase: IstioPhase; priority?: number };
  minVersions: { envoy?: string; istio?: string; higress?: string };
}

export interface AuthoredContract {
  /** The file the manifest part carries. Higress and Kong files hold their schema inline and draft-07. */
  format: ContractFormat;
  dialect: SchemaDialect;
  /** Our manifest only: the schema travels as its own part (config.schema.json) instead of inline. */
  schemaFile?: boolean;
  title: string;
  /** Paragraphs after the catalog's one-line description. */
  about: string[];
  behaviour: string[];
  /** The Envoy and Istio section, paragraph by paragraph (the host hints are appended). */
  hosts: string[];
  limitations: string[];
  /** One line per version, in release order. */
  changes: Record<string, string>;
  host: DemoHostHints;
  /** The configuration schema of a version, without `$schema` (the format decides it). */
  schema(version: string): JsonSchema;
  examples(version: string): DemoExample[];
  /** Higress's info.category (auth, flow-control …). */
  higressCategory?: string;
  /** The Kong filter name: the file is <filter>.meta.json and the root_id. */
  kongFilter?: string;
  /** The version whose schema refuses configurations of the version before it. */
  breaksAt?: string;
}

const since = (version: string, first: string): boolean => semver.gte(version, first);
/** Object entries present only from a version on. */
const from = <T extends object>(version: string, first: string, entries: T): T | Record<string, never> => (since(version, first) ? entries : {});
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const HEADER_NAME = '^[a-z0-9][a-z0-9-]{0,63}$';
const PATH_PREFIX = '^/[A-Za-z0-9._~%/-]*$';
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const BASE64URL = '^[A-Za-z0-9_-]+$';

// RFC 7517's example keys: public, and the right shape.
const RSA_MODULUS =
  '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
const RSA_KEY = { kty: 'RSA', kid: 'acme-2024-rsa', alg: 'RS256', n: RSA_MODULUS, e: 'AQAB' };
const EC_KEY = { kty: 'EC', kid: 'acme-2025-ec', alg: 'ES256', crv: 'P-256', x: 'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4', y: '4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM' };
const TEST_SECRET = { kty: 'oct', kid: 'tests', alg: 'HS256', k: 'c2VjcmV0LWZvci10ZXN0cy1vbmx5' };

const jwtAuth: AuthoredContract = {
  format: 'manifest',
  dialect: 'draft-07',
  schemaFile: true,
  title: 'JWT authentication',
  about: [
    'The filter reads a bearer token, checks its signature against keys you list in the configuration, then checks the issuer, the audience and the validity period. A request without a valid token never reaches the upstream: it is answered 401 with a `WWW-Authenticate: Bearer` header that says what was wrong.',
    'Keys are static: the filter makes no outgoing calls, which keeps it small and predictable. Rotate keys by publishing the new key next to the old one, then removing the old one once no token signed with it can still be valid.',
  ],
  behaviour: [
    'The token is taken from the configured header (`authorization` by default, with the `Bearer ` prefix removed). Requests without it are refused.',
    'The key is chosen by the token\'s `kid`; a token without `kid` is tried against every key whose algorithm matches.',
    'Only the algorithms listed in `algorithms` are accepted, whatever the token header claims, so a token cannot downgrade itself to HS256.',
    '`exp` and `nbf` are checked with `clockSkewSeconds` of leeway; a token without `exp` is refused.',
    'From 1.1.0, chosen claims are copied into request headers for the upstream; those headers are removed from the incoming request first so a client cannot forge them.',
  ],
  hosts: [
    'Built with the 2020 C++ SDK (ABI 0.1.0), which every Envoy since 1.17 still loads. In Istio, run it in the `AUTHN` phase so that authorization filters see the verified claims.',
    'Generate a ready configuration with `GET …/versions/{version}/config/istio?example=single-issuer` (or `/config/envoy`): the registry embeds the example and refuses a configuration that breaks the schema.',
  ],
  limitations: [
    'No JWKS fetching: keys must be in the configuration (use acme/oidc-gateway to refresh keys from an identity provider).',
    'Nested claims cannot be copied to headers, only top-level string and number claims.',
    'Encrypted tokens (JWE) are not supported.',
  ],
  changes: {
    '0.9.0': 'First public release: one `audience`, RS256, ES256 and HS256.',
    '1.0.0':
      '**Breaking:** `audience` is replaced by `audiences` (a list, now required), and `clockSkewSeconds` is at most 300. A 0.9 configuration must move its `audience` into `audiences` before upgrading.',
    '1.0.1': 'Fixed: a token expiring in the very second it was checked was accepted. No configuration change.',
    '1.1.0': 'New `claimsToHeaders` and `forwardPayloadHeader`; PS256 keys and tokens.',
  },
  host: { filterType: 'http', rootId: 'jwt_auth', istio: { phase: 'AUTHN', priority: 1000 }, minVersions: { envoy: '1.17', istio: '1.12' } },
  breaksAt: '1.0.0',
  schema(version) {
    const algorithms = since(version, '1.1.0') ? ['RS256', 'PS256', 'ES256', 'HS256'] : ['RS256', 'ES256', 'HS256'];
    const stable = since(version, '1.0.0');
    return {
      title: 'JWT authentication',
      description: 'Verifies a JSON Web Token on every request before it reaches the upstream.',
      type: 'object',
      required: stable ? ['issuer', 'audiences', 'jwks'] : ['issuer', 'jwks'],
      additionalProperties: false,
      properties: {
        issuer: { type: 'string', format: 'uri', description: 'The `iss` claim every token must carry, exactly.' },
        ...(stable
          ? {
              audiences: {
                type: 'array',
                minItems: 1,
                maxItems: 16,
                uniqueItems: true,
                items: { type: 'string', minLength: 1, maxLength: 256 },
                description: 'The token\'s `aud` must contain at least one of these.',
              },
            }
          : { audience: { type: 'string', minLength: 1, maxLength: 256, description: 'The `aud` the token must contain; any audience when absent.' } }),
        jwks: {
          type: 'object',
          required: ['keys'],
          additionalProperties: false,
          description: 'The verification keys, as a JSON Web Key Set.',
          properties: { keys: { type: 'array', minItems: 1, maxItems: 16, items: { $ref: '#/definitions/jwk' } } },
        },
        algorithms: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { enum: algorithms },
          default: ['RS256', 'ES256'],
          description: 'Signature algorithms accepted, whatever the token header says.',
        },
        clockSkewSeconds: { type: 'integer', minimum: 0, maximum: stable ? 300 : 600, default: 60, description: 'Leeway when checking `exp` and `nbf`.' },
        header: { type: 'string', pattern: HEADER_NAME, default: 'authorization', description: 'The request header the token is read from.' },
        ...from(version, '1.1.0', {
          claimsToHeaders: {
            type: 'object',
            maxProperties: 16,
            propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$' },
            additionalProperties: { type: 'string', pattern: '^x-[a-z0-9-]{1,62}$' },
            default: {},
            description: 'Claims copied into request headers, e.g. `sub: x-user-id`. Header names start with `x-`.',
          },
          forwardPayloadHeader: { type: 'string', pattern: '^x-[a-z0-9-]{1,62}$', description: 'When set, the verified payload (base64url JSON) is sent upstream in this header.' },
        }),
      },
      definitions: {
        jwk: {
          type: 'object',
          required: ['kty', 'kid'],
          description: 'One key (RFC 7517). Private members are never needed and should not be given.',
          properties: {
            kty: { enum: ['RSA', 'EC', 'oct'], description: 'Key type.' },
            kid: { type: 'string', minLength: 1, maxLength: 128, description: 'Key id, matched against the token\'s `kid`.' },
            alg: { enum: algorithms, description: 'The one algorithm this key verifies.' },
            n: { type: 'string', pattern: BASE64URL, minLength: 256, description: 'RSA modulus (base64url).' },
            e: { type: 'string', pattern: BASE64URL, description: 'RSA exponent (base64url).' },
            crv: { const: 'P-256', description: 'EC curve.' },
            x: { type: 'string', pattern: BASE64URL },
            y: { type: 'string', pattern: BASE64URL },
            k: { type: 'string', pattern: BASE64URL, minLength: 16, description: 'HMAC secret (base64url); for tests, not production.' },
          },
          allOf: [
            { if: { properties: { kty: { const: 'RSA' } } }, then: { required: ['n', 'e'] } },
            { if: { properties: { kty: { const: 'EC' } } }, then: { required: ['crv', 'x', 'y'] } },
            { if: { properties: { kty: { const: 'oct' } } }, then: { required: ['k'] } },
          ],
        },
      },
    };
  },
  examples(version) {
    if (!since(version, '1.0.0')) {
      return [
        { name: 'single-issuer', description: 'Tokens from one identity provider, for one API.', configuration: { issuer: 'https://login.acme.example/', audience: 'orders-api', jwks: { keys: [EC_KEY] } } },
        {
          name: 'shared-secret-tests',
          description: 'HS256 with a shared secret on a test rig whose clocks drift.',
          configuration: { issuer: 'https://test.acme.example/', algorithms: ['HS256'], jwks: { keys: [TEST_SECRET] }, clockSkewSeconds: 450 },
        },
      ];
    }
    const examples: DemoExample[] = [
      { name: 'single-issuer', description: 'Tokens from one identity provider, for one API.', configuration: { issuer: 'https://login.acme.example/', audiences: ['orders-api'], jwks: { keys: [EC_KEY] } } },
      {
        name: 'key-rotation',
        description: 'Two keys during a rotation: the old RSA key and the new EC key, for two APIs.',
        configuration: { issuer: 'https://login.acme.example/', audiences: ['orders-api', 'billing-api'], jwks: { keys: [RSA_KEY, EC_KEY] }, clockSkewSeconds: 30 },
      },
    ];
    if (since(version, '1.1.0')) {
      examples.push({
        name: 'claims-to-headers',
        description: 'The subject and tenant passed upstream as headers.',
        configuration: {
          issuer: 'https://login.acme.example/',
          audiences: ['orders-api'],
          jwks: { keys: [EC_KEY] },
          algorithms: ['ES256'],
          claimsToHeaders: { sub: 'x-user-id', tenant: 'x-tenant' },
        },
      });
    }
    return examples;
  },
};

const apiKeyAuth: AuthoredContract = {
  format: 'manifest',
  dialect: '2020-12',
  title: 'API key authentication',
  about: [
    'Each consumer gets a key; the configuration holds only the SHA-256 of each key, so the configuration itself is not a secret worth stealing. A request with a known key goes upstream with the consumer\'s name in a header; any other request is answered 401.',
  ],
  behaviour: [
    'The key is read from the configured header, or, when `from.query` is set and the header is absent, from that query parameter.',
    'The key is hashed and compared with every configured hash in constant time (from 1.1.1; see the changes below).',
    'The consumer header is removed from incoming requests before it is set, so a client cannot claim to be someone else.',
    'From 1.1.0 a key can be `disabled` during a rotation, and the key is stripped from the request before it goes upstream (`stripKey`).',
  ],
  hosts: [
    'In Istio, put it in the `AUTHN` phase; other authentication filters in the same phase run by priority, highest first. Hash a key with `printf %s "$KEY" | sha256sum`.',
  ],
  limitations: ['Keys live in the configuration: adding a consumer means pushing new configuration to the proxies.', 'No per-consumer rate limits; combine with tetrate-labs/rate-limiter keyed on the consumer header.'],
  changes: {
    '1.0.0': 'First release.',
    '1.1.0': 'New `disabled` per key and `stripKey`. Yanked: keys were compared in non-constant time.',
    '1.1.1': 'Keys are compared in constant time. No configuration change.',
  },
  host: { filterType: 'http', rootId: 'api_key_auth', istio: { phase: 'AUTHN', priority: 900 }, minVersions: { envoy: '1.24', istio: '1.18' } },
  schema(version) {
    return {
      title: 'API key authentication',
      type: 'object',
      required: ['keys'],
      additionalProperties: false,
      properties: {
        keys: { type: 'array', minItems: 1, maxItems: 1000, items: { $ref: '#/$defs/key' }, description: 'The consumers and the hashes of their keys.' },
        from: {
          type: 'object',
          additionalProperties: false,
          description: 'Where the key is read from.',
          properties: {
            header: { type: 'string', pattern: HEADER_NAME, default: 'x-api-key', description: 'Request header holding the key.' },
            query: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'Query parameter tried when the header is absent.' },
          },
        },
        consumerHeader: { type: 'string', pattern: HEADER_NAME, default: 'x-consumer', description: 'Header carrying the consumer name upstream.' },
        ...from(version, '1.1.0', { stripKey: { type: 'boolean', default: true, description: 'Remove the key from the request before it goes upstream.' } }),
      },
      $defs: {
        key: {
          type: 'object',
          required: ['consumer', 'sha256'],
          additionalProperties: false,
          properties: {
            consumer: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'Who the key belongs to.' },
            sha256: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'Hex SHA-256 of the key; never the key itself.' },
            ...from(version, '1.1.0', { disabled: { type: 'boolean', default: false, description: 'Refuse this key but keep it listed.' } }),
          },
        },
      },
    };
  },
  examples(version) {
    const examples: DemoExample[] = [
      {
        name: 'header-key',
        description: 'Two consumers sending their key in x-api-key.',
        configuration: {
          keys: [
            { consumer: 'orders-team', sha256: sha256('demo-orders-key') },
            { consumer: 'partner.globex', sha256: sha256('demo-globex-key') },
          ],
        },
      },
      {
        name: 'query-fallback',
        description: 'Legacy clients that can only send ?api_key=.',
        configuration: { keys: [{ consumer: 'legacy-portal', sha256: sha256('demo-legacy-key') }], from: { header: 'x-api-key', query: 'api_key' }, consumerHeader: 'x-client' },
      },
    ];
    if (since(version, '1.1.0')) {
      examples.push({
        name: 'rotation',
        description: 'A consumer moving to a new key: the old one is disabled, not yet removed.',
        configuration: {
          keys: [
            { consumer: 'orders-team', sha256: sha256('demo-orders-key'), disabled: true },
            { consumer: 'orders-team', sha256: sha256('demo-orders-key-2') },
          ],
          stripKey: true,
        },
      });
    }
    return examples;
  },
};

const BCRYPT_EXAMPLE = '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';

const basicAuth: AuthoredContract = {
  format: 'higress',
  dialect: 'draft-07',
  higressCategory: 'auth',
  title: 'Basic Auth',
  about: [
    'HTTP Basic authentication for internal tools and staging sites. Passwords are stored as bcrypt hashes (as `htpasswd -B` writes them), never in clear. The plugin ships a Higress `spec.yaml`, so the Higress console builds its form from the same schema this registry checks configurations with.',
  ],
  behaviour: [
    'A request without credentials, or with a wrong user or password, is answered 401 with `WWW-Authenticate: Basic realm="…"`.',
    'The `Authorization` header is removed before the request goes upstream.',
    'From 0.2.0, a client address that fails `lockout.maxFailures` times within `lockout.windowSeconds` is refused for `lockout.lockSeconds`, shared by all workers.',
  ],
  hosts: [
    'In Higress, enable it per route or domain from the console; in Istio, use the `AUTHN` phase. bcrypt is slow on purpose: expect a few milliseconds per request with a cost of 10.',
  ],
  limitations: ['Only bcrypt hashes (`$2a$`, `$2b$`, `$2y$`).', 'Credentials are sent on every request: serve the route over TLS only.', 'The lockout counts per client address, so clients behind one NAT share it.'],
  changes: {
    '0.1.0': 'First release.',
    '0.2.0': 'Lockout after repeated failures (`lockout`).',
    '0.2.1': 'Fixed: the realm was not quoted in the challenge. No configuration change.',
  },
  host: { filterType: 'http', rootId: 'basic_auth', istio: { phase: 'AUTHN', priority: 320 }, minVersions: { higress: '1.4.0' } },
  schema(version) {
    return {
      type: 'object',
      required: ['credentials'],
      properties: {
        credentials: {
          type: 'array',
          minItems: 1,
          maxItems: 500,
          title: 'Credentials',
          description: 'Users allowed in, with their bcrypt password hashes.',
          items: {
            type: 'object',
            required: ['username', 'passwordHash'],
            properties: {
              username: { type: 'string', pattern: '^[A-Za-z0-9._@-]{1,64}$', title: 'User name' },
              passwordHash: { type: 'string', pattern: '^\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$', title: 'bcrypt hash', description: 'As written by `htpasswd -nB user`.' },
            },
          },
        },
        realm: { type: 'string', maxLength: 64, pattern: '^[^"\\\\]*$', default: 'restricted', title: 'Realm', description: 'Shown by browsers in the login prompt.' },
        ...from(version, '0.2.0', {
          lockout: {
            type: 'object',
            title: 'Lockout',
            description: 'Refuse a client address for a while after repeated failures.',
            properties: {
              maxFailures: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
              windowSeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 60 },
              lockSeconds: { type: 'integer', minimum: 1, maximum: 86400, default: 300 },
            },
          },
        }),
      },
    };
  },
  examples(version) {
    const examples: DemoExample[] = [
      { name: 'default', description: 'One user for a staging site.', configuration: { credentials: [{ username: 'staging', passwordHash: BCRYPT_EXAMPLE }], realm: 'staging' } },
      {
        name: 'team',
        description: 'A few users of an internal dashboard.',
        configuration: {
          credentials: [
            { username: 'ana@edge-sec.example', passwordHash: BCRYPT_EXAMPLE },
            { username: 'ops.bot', passwordHash: BCRYPT_EXAMPLE.replace('$2a$', '$2y$') },
          ],
        },
      },
    ];
    if (since(version, '0.2.0')) {
      examples.push({
        name: 'strict-lockout',
        description: 'Three tries a minute, then ten minutes out.',
        configuration: { credentials: [{ username: 'admin', passwordHash: BCRYPT_EXAMPLE }], lockout: { maxFailures: 3, windowSeconds: 60, lockSeconds: 600 } },
      });
    }
    return examples;
  },
};

const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const prometheusMetrics: AuthoredContract = {
  format: 'manifest',
  dialect: '2020-12',
  schemaFile: true,
  title: 'Prometheus metrics',
  about: [
    'RED metrics (rate, errors, duration) for every request the proxy handles, without touching the application. The metrics are defined in the proxy and scraped from its own Prometheus endpoint (`/stats/prometheus` on Envoy\'s admin port, merged into the sidecar\'s metrics in Istio).',
    'Label cardinality is bounded: routes are named by the prefixes you configure, and requests matching none are counted as `route="other"`.',
  ],
  behaviour: [
    '`<prefix>_requests_total`, `<prefix>_request_duration_seconds` (a histogram with `buckets`) and, from 1.2.0, `<prefix>_response_size_bytes`.',
    'Labels are chosen from a fixed list (`labels`); `status_class` is 2xx, 3xx, 4xx or 5xx.',
    'The duration runs from the first request byte to the last response byte, as the proxy sees it.',
    'At most `maxRouteLabels` distinct route values; later ones count as `other`.',
  ],
  hosts: [
    'In Istio, use the `STATS` phase so the filter sees the final response code. Envoy exposes the metrics only for stat prefixes it is told to keep: add `wasm_http` (or your prefix) to `stats_matcher` inclusion lists if you use them.',
  ],
  limitations: ['No exemplars.', 'Histograms use fixed buckets; native histograms are not supported by Proxy-Wasm.', 'Changing `prefix` starts new series: dashboards need updating.'],
  changes: {
    '1.0.0': 'First release.',
    '1.1.0': '`status` and `upstream_cluster` labels.',
    '1.2.0': 'Response size histogram (`responseSize`).',
    '2.0.0': 'Metric names follow the OpenMetrics conventions (`_total`, base units); the configuration is unchanged.',
    '2.1.0': '`routes[].methods` restricts a route to some methods.',
  },
  host: { filterType: 'http', rootId: 'prometheus_metrics', istio: { phase: 'STATS', priority: 10 }, minVersions: { envoy: '1.24', istio: '1.18' } },
  schema(version) {
    const labels = since(version, '1.1.0') ? ['route', 'method', 'status_class', 'status', 'upstream_cluster'] : ['route', 'method', 'status_class'];
    return {
      title: 'Prometheus metrics',
      description: 'What is measured and how it is labelled.',
      type: 'object',
      additionalProperties: false,
      properties: {
        prefix: { type: 'string', pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,63}$', default: 'wasm_http', description: 'Prefix of every metric name.' },
        buckets: {
          type: 'array',
          minItems: 1,
          maxItems: 30,
          items: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
          default: DEFAULT_BUCKETS,
          description: 'Upper bounds of the duration histogram, in seconds, ascending.',
        },
        labels: { type: 'array', uniqueItems: true, items: { enum: labels }, default: ['route', 'method', 'status_class'], description: 'Labels on every metric.' },
        routes: {
          type: 'array',
          maxItems: 200,
          description: 'Route names by path prefix; the longest matching prefix wins.',
          items: {
            type: 'object',
            required: ['name', 'pathPrefix'],
            additionalProperties: false,
            properties: {
              name: { type: 'string', pattern: '^[a-z0-9_]{1,64}$', description: 'The `route` label value.' },
              pathPrefix: { type: 'string', pattern: PATH_PREFIX },
              ...from(version, '2.1.0', { methods: { type: 'array', uniqueItems: true, items: { enum: HTTP_METHODS }, description: 'Only these methods; all when absent.' } }),
            },
          },
        },
        maxRouteLabels: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'Distinct route values before the rest count as `other`.' },
        ...from(version, '1.2.0', { responseSize: { type: 'boolean', default: true, description: 'Also record response sizes.' } }),
      },
    };
  },
  examples(version) {
    const examples: DemoExample[] = [
      { name: 'defaults', description: 'Everything by default: one route label, `other`, for all paths.', configuration: {} },
      {
        name: 'per-route',
        description: 'Named routes for an API, with finer buckets for fast endpoints.',
        configuration: {
          buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
          routes: [
            { name: 'orders', pathPrefix: '/api/orders' },
            { name: 'orders_search', pathPrefix: '/api/orders/search' },
            { name: 'health', pathPrefix: '/healthz' },
          ],
        },
      },
    ];
    if (since(version, '1.1.0')) {
      examples.push({
        name: 'by-upstream',
        description: 'Per upstream cluster and exact status, under a custom prefix.',
        configuration: { prefix: 'edge', labels: ['upstream_cluster', 'status'], maxRouteLabels: 20, ...(since(version, '1.2.0') ? { responseSize: false } : {}) },
      });
    }
    return examples;
  },
};

const ACCESS_LOG_FIELDS = ['time', 'method', 'path', 'status', 'duration_ms', 'bytes_in', 'bytes_out', 'client_ip', 'upstream_host', 'trace_id', 'request_id', 'user_agent'];

const accessLogger: AuthoredContract = {
  format: 'manifest',
  dialect: 'draft-07',
  title: 'Structured access logs',
  about: [
    'One JSON object per request, written when the stream ends, with the fields you choose and the headers you name. Sensitive values are redacted before the line is written, not afterwards in the log pipeline.',
  ],
  behaviour: [
    'Lines go to the proxy\'s log at info level (Envoy: the `wasm` logger), one per request.',
    'Headers are logged under `request_headers` and `response_headers`, lower-cased.',
    '`redact` rules apply to headers by name: `mask` keeps the last four characters, `hash` writes a SHA-256 prefix (joinable across lines), `drop` removes the header.',
    '`sampleRate` keeps a share of successful requests; errors (status 5xx) are always logged.',
  ],
  hosts: [
    'In Istio, put it in the `STATS` phase so it sees the response the client received. Envoy writes Wasm logs through its own logger: route them with `--component-log-level wasm:info`.',
  ],
  limitations: ['Bodies are never logged.', 'Redaction matches header names, not values inside other fields.'],
  changes: {
    '0.4.0': 'First public release.',
    '0.5.0': '`format: logfmt` for log systems that do not parse JSON.',
    '1.0.0': 'Stable configuration; `trace_id` and `request_id` fields.',
  },
  host: { filterType: 'http', rootId: 'access_logger', istio: { phase: 'STATS', priority: 100 }, minVersions: { envoy: '1.24', istio: '1.18' } },
  schema(version) {
    const fields = since(version, '1.0.0') ? ACCESS_LOG_FIELDS : ACCESS_LOG_FIELDS.filter((f) => f !== 'trace_id' && f !== 'request_id');
    const headerList = { type: 'array', maxItems: 32, uniqueItems: true, items: { type: 'string', pattern: HEADER_NAME } };
    return {
      title: 'Structured access logs',
      type: 'object',
      additionalProperties: false,
      properties: {
        fields: { type: 'array', uniqueItems: true, minItems: 1, items: { enum: fields }, default: ['time', 'method', 'path', 'status', 'duration_ms'], description: 'Fields of every line.' },
        requestHeaders: { ...headerList, default: [], description: 'Request headers to log.' },
        responseHeaders: { ...headerList, default: [], description: 'Response headers to log.' },
        redact: {
          type: 'array',
          maxItems: 32,
          description: 'How sensitive headers are written.',
          items: {
            type: 'object',
            required: ['header'],
            additionalProperties: false,
            properties: {
              header: { type: 'string', pattern: HEADER_NAME },
              with: { enum: ['mask', 'hash', 'drop'], default: 'mask' },
            },
          },
        },
        sampleRate: { type: 'number', minimum: 0, maximum: 1, default: 1, description: 'Share of non-5xx requests logged.' },
        ...from(version, '0.5.0', { format: { enum: ['json', 'logfmt'], default: 'json', description: 'Line format.' } }),
      },
    };
  },
  examples(version) {
    return [
      { name: 'minimal', description: 'The default fields, nothing else.', configuration: {} },
      {
        name: 'audit',
        description: 'Who called what, with the authorization header hashed and cookies dropped.',
        configuration: {
          fields: ['time', 'method', 'path', 'status', 'duration_ms', 'client_ip', ...(since(version, '1.0.0') ? ['request_id'] : [])],
          requestHeaders: ['authorization', 'cookie', 'x-consumer'],
          redact: [
            { header: 'authorization', with: 'hash' },
            { header: 'cookie', with: 'drop' },
          ],
        },
      },
      {
        name: 'sampled',
        description: 'A tenth of successful requests on a busy edge.',
        configuration: { sampleRate: 0.1, responseHeaders: ['content-type'], ...(since(version, '0.5.0') ? { format: 'logfmt' } : {}) },
      },
    ];
  },
};

const requestId: AuthoredContract = {
  format: 'kong',
  dialect: 'draft-07',
  kongFilter: 'request_id',
  title: 'Request id',
  about: [
    'Gives every request an id that all hops log, so that one line in the gateway\'s log leads to the matching lines everywhere else. The plugin ships a Kong `request_id.meta.json`, which is also what this registry reads its schema from.',
  ],
  behaviour: [
    'A request without the header gets a new id (UUIDv7 by default: time-ordered, so ids sort by arrival).',
    'An incoming id is kept unless `overwrite` is set; set it at the edge, where clients are not trusted.',
    'The id is echoed on the response when `echoOnResponse` is set.',
  ],
  hosts: [
    'In Kong, add it to a filter chain: `filters: [{ name: request_id, config: "{\\"overwrite\\": true}" }]` (Kong passes the configuration as a JSON string). In Envoy and Istio the root_id is `request_id`; put it first, before filters that log.',
  ],
  limitations: ['The id is not propagated into tracing headers; use observe-io/otel-tracer for traces.'],
  changes: {
    '1.0.0': 'First release.',
    '1.0.1': 'Fixed: ids generated in the same millisecond could repeat. No configuration change.',
  },
  host: { filterType: 'http', rootId: 'request_id', minVersions: {} },
  schema() {
    return {
      type: 'object',
      additionalProperties: false,
      properties: {
        header: { type: 'string', pattern: HEADER_NAME, default: 'x-request-id', description: 'The header carrying the id.' },
        format: { enum: ['uuidv7', 'uuidv4'], default: 'uuidv7', description: 'How new ids are made.' },
        overwrite: { type: 'boolean', default: false, description: 'Replace an id sent by the client.' },
        echoOnResponse: { type: 'boolean', default: true, description: 'Send the id back on the response.' },
      },
    };
  },
  examples() {
    return [
      { name: 'edge', description: 'At the edge: never trust a client\'s id.', configuration: { overwrite: true } },
      { name: 'internal', description: 'Inside the mesh: keep ids, use the older header name.', configuration: { header: 'x-correlation-id', format: 'uuidv4', echoOnResponse: false } },
    ];
  },
};

const rateLimiter: AuthoredContract = {
  format: 'manifest',
  dialect: 'draft-07',
  schemaFile: true,
  title: 'Rate limiter',
  about: [
    'Token buckets keyed by client address, a header or the route, each rule with its own limit. With `mode: shared` the buckets live in the VM\'s shared data, so all worker threads of a proxy draw from the same bucket; limits are per proxy, not across a fleet.',
  ],
  behaviour: [
    'Rules are tried in order; every rule whose `match` fits the request takes a token, and the first empty bucket answers `statusCode` (429 by default) with `Retry-After`.',
    'A `key.source: header` rule whose header is missing counts the request under the key `-`.',
    'Rate headers follow `headers`: the IETF draft `RateLimit` fields, the older `X-RateLimit-*`, or none.',
    'From 1.1.0, `failOpen` decides what happens when shared data is unavailable (it never is in Envoy; it can be in other hosts).',
  ],
  hosts: [
    'In Istio, use the `AUTHZ` phase with a low priority, after authentication, so the consumer header set by an authentication filter can be the key. Buckets are refilled by a timer every 100 ms.',
  ],
  limitations: ['No global (cross-proxy) limits: that needs a rate limit service.', 'At most 64 rules and 100 000 keys per rule; older keys are evicted first.'],
  changes: {
    '1.0.0': 'First release.',
    '1.1.0': '`failOpen`.',
    '1.2.0': '`headers` chooses which rate headers are sent.',
    '1.3.0': '`statusCode` 503 for clients that retry on 429.',
  },
  host: { filterType: 'http', rootId: 'rate_limiter', istio: { phase: 'AUTHZ', priority: 100 }, minVersions: { envoy: '1.26', istio: '1.18' } },
  schema(version) {
    return {
      title: 'Rate limiter',
      type: 'object',
      required: ['rules'],
      additionalProperties: false,
      properties: {
        rules: { type: 'array', minItems: 1, maxItems: 64, items: { $ref: '#/definitions/rule' }, description: 'Limits, tried in order.' },
        mode: { enum: ['local', 'shared'], default: 'shared', description: '`local`: a bucket per worker thread; `shared`: one per proxy.' },
        ...from(version, '1.1.0', { failOpen: { type: 'boolean', default: true, description: 'Let requests through when the buckets cannot be read.' } }),
        ...from(version, '1.2.0', { headers: { enum: ['draft-ratelimit', 'x-ratelimit', 'none'], default: 'draft-ratelimit', description: 'Rate headers on responses.' } }),
        statusCode: { enum: since(version, '1.3.0') ? [429, 503] : [429], default: 429, description: 'Status of a limited request.' },
      },
      definitions: {
        rule: {
          type: 'object',
          required: ['name', 'key', 'limit'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' },
            match: {
              type: 'object',
              additionalProperties: false,
              description: 'Which requests the rule counts; all when absent.',
              properties: { pathPrefix: { type: 'string', pattern: PATH_PREFIX }, methods: { type: 'array', uniqueItems: true, items: { enum: HTTP_METHODS } } },
            },
            key: {
              type: 'object',
              required: ['source'],
              additionalProperties: false,
              properties: { source: { enum: ['client_ip', 'header', 'route'] }, header: { type: 'string', pattern: HEADER_NAME } },
              if: { properties: { source: { const: 'header' } } },
              then: { required: ['header'] },
            },
            limit: {
              type: 'object',
              required: ['requests', 'per'],
              additionalProperties: false,
              properties: {
                requests: { type: 'integer', minimum: 1, maximum: 1000000 },
                per: { enum: ['second', 'minute', 'hour'] },
                burst: { type: 'integer', minimum: 0, maximum: 1000000, default: 0, description: 'Extra tokens a bucket may hold.' },
              },
            },
          },
        },
      },
    };
  },
  examples(version) {
    const examples: DemoExample[] = [
      {
        name: 'per-client-ip',
        description: '100 requests a second per client address, bursts of 50.',
        configuration: { rules: [{ name: 'per-ip', key: { source: 'client_ip' }, limit: { requests: 100, per: 'second', burst: 50 } }] },
      },
      {
        name: 'per-consumer',
        description: 'Per consumer (set by an authentication filter), stricter on writes.',
        configuration: {
          rules: [
            { name: 'writes', match: { methods: ['POST', 'PUT', 'PATCH', 'DELETE'] }, key: { source: 'header', header: 'x-consumer' }, limit: { requests: 60, per: 'minute' } },
            { name: 'all', key: { source: 'header', header: 'x-consumer' }, limit: { requests: 6000, per: 'minute', burst: 200 } },
          ],
          mode: 'shared',
        },
      },
    ];
    if (since(version, '1.3.0')) {
      examples.push({
        name: 'login-protection',
        description: 'Slow down password guessing on the login route, answering 503.',
        configuration: { rules: [{ name: 'login', match: { pathPrefix: '/login', methods: ['POST'] }, key: { source: 'client_ip' }, limit: { requests: 10, per: 'minute' } }], statusCode: 503, headers: 'none' },
      });
    }
    return examples;
  },
};

const ORIGIN = '^(\\*|https?://(\\*\\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?)$';

const corsPolicy: AuthoredContract = {
  format: 'manifest',
  dialect: '2020-12',
  schemaFile: true,
  title: 'CORS policy',
  about: [
    'Cross-origin rules kept at the proxy, so every service behind it answers browsers the same way. Preflight requests (`OPTIONS` with `Access-Control-Request-Method`) are answered by the filter and never reach the upstream.',
  ],
  behaviour: [
    'The first rule whose `origins` (and, from 1.1.0, `pathPrefix`) match the request applies; without a match, no CORS header is added and the browser blocks the call.',
    '`*` matches any origin; `https://*.acme.example` matches its subdomains. The matched origin is echoed, never `*`, when credentials are allowed.',
    'The schema refuses `credentials: true` together with the origin `*`: browsers would ignore such an answer anyway.',
    '`Vary: Origin` is always added, so caches keep answers per origin apart.',
  ],
  hosts: ['In Istio, any phase before `AUTHN` works; put it first (`UNSPECIFIED_PHASE` with a high priority) so preflights do not need credentials.'],
  limitations: ['Private Network Access headers are not handled.', 'Origins are matched as text: list every port you serve.'],
  changes: {
    '1.0.0': 'First release.',
    '1.1.0': 'Rules per path (`pathPrefix`).',
    '1.2.0': '`preflightStatus` (some old clients want 200).',
  },
  host: { filterType: 'http', rootId: 'cors_policy', istio: { phase: 'UNSPECIFIED_PHASE', priority: 2000 }, minVersions: { envoy: '1.24', istio: '1.18' } },
  schema(version) {
    return {
      title: 'CORS policy',
      type: 'object',
      required: ['rules'],
      additionalProperties: false,
      properties: {
        rules: {
          type: 'array',
          minItems: 1,
          maxItems: 50,
          description: 'Rules, first match wins.',
          items: {
            type: 'object',
            required: ['origins'],
            additionalProperties: false,
            properties: {
              origins: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', pattern: ORIGIN }, description: 'Allowed origins.' },
              ...from(version, '1.1.0', { pathPrefix: { type: 'string', pattern: PATH_PREFIX, default: '/', description: 'Only requests under this path.' } }),
              methods: { type: 'array', uniqueItems: true, items: { enum: HTTP_METHODS }, default: ['GET', 'HEAD', 'POST'] },
              allowHeaders: { type: 'array', maxItems: 50, items: { type: 'string', pattern: HEADER_NAME }, default: [] },
              exposeHeaders: { type: 'array', maxItems: 50, items: { type: 'string', pattern: HEADER_NAME }, default: [] },
              credentials: { type: 'boolean', default: false, description: 'Allow cookies and authorization headers.' },
              maxAgeSeconds: { type: 'integer', minimum: 0, maximum: 86400, default: 600, description: 'How long browsers cache a preflight answer.' },
            },
            if: { properties: { credentials: { const: true } }, required: ['credentials'] },
            then: { properties: { origins: { items: { not: { const: '*' } } } } },
          },
        },
        ...from(version, '1.2.0', { preflightStatus: { enum: [200, 204], default: 204, description: 'Status of a preflight answer.' } }),
      },
    };
  },
  examples(version) {
    const examples: DemoExample[] = [
      { name: 'public-api', description: 'Any origin may read; no credentials.', configuration: { rules: [{ origins: ['*'], methods: ['GET', 'HEAD'] }] } },
      {
        name: 'web-app',
        description: 'The company\'s own front ends, with cookies.',
        configuration: {
          rules: [
            {
              origins: ['https://app.acme.example', 'https://*.acme.example', 'http://localhost:5173'],
              methods: ['GET', 'POST', 'PUT', 'DELETE'],
              allowHeaders: ['content-type', 'x-csrf-token'],
              exposeHeaders: ['x-request-id'],
              credentials: true,
              maxAgeSeconds: 3600,
            },
          ],
        },
      },
    ];
    if (since(version, '1.1.0')) {
      examples.push({
        name: 'per-path',
        description: 'Public read access to /public, the app only elsewhere.',
        configuration: {
          rules: [
            { origins: ['*'], pathPrefix: '/public', methods: ['GET'] },
            { origins: ['https://app.acme.example'], credentials: true },
          ],
          ...(since(version, '1.2.0') ? { preflightStatus: 200 } : {}),
        },
      });
    }
    return examples;
  },
};

const redisCache: AuthoredContract = {
  format: 'manifest',
  dialect: 'draft-07',
  title: 'Redis response cache',
  about: [
    'Caches `GET` responses in Redis, reached over HTTP through a Webdis-compatible endpoint (Proxy-Wasm can make HTTP calls, not Redis protocol ones). The cache key is the method, the path with its query and the headers you name.',
  ],
  behaviour: [
    'Only `GET` responses with status 200, 203, 301 or 404 and no `Cache-Control: private` or `no-store` are stored.',
    'A hit is answered from the cache with `x-cache: HIT` (`cacheStatusHeader`); a miss goes upstream and the response is stored asynchronously.',
    'From 0.6.0, a stale entry within `staleWhileRevalidateSeconds` is served while one request refreshes it.',
    'When Webdis does not answer within `webdis.timeoutMs`, the request goes upstream as if the cache were empty.',
  ],
  hosts: [
    'Webdis must be an Envoy cluster (in Istio, a ServiceEntry or a Kubernetes service: the cluster name is `outbound|7379||webdis.cache.svc.cluster.local`). The filter needs response bodies: keep `maxBodyBytes` below the buffer limit of the listener.',
  ],
  limitations: ['No invalidation API: entries expire by TTL.', 'Responses larger than `maxBodyBytes` are not cached.', 'Authorization is not part of the key: do not cache routes whose answers depend on who asks.'],
  changes: {
    '0.5.0': 'First public release.',
    '0.6.0': 'Stale-while-revalidate per route.',
    '1.0.0': 'Stable configuration; `webdis.authority` for virtual-hosted Webdis.',
  },
  host: { filterType: 'http', rootId: 'redis_cache', istio: { phase: 'UNSPECIFIED_PHASE', priority: 50 }, minVersions: { envoy: '1.26', istio: '1.19' } },
  schema(version) {
    return {
      title: 'Redis response cache',
      type: 'object',
      required: ['webdis', 'routes'],
      additionalProperties: false,
      properties: {
        webdis: {
          type: 'object',
          required: ['cluster'],
          additionalProperties: false,
          description: 'The Webdis endpoint.',
          properties: {
            cluster: { type: 'string', minLength: 1, maxLength: 256, description: 'Envoy cluster name.' },
            ...from(version, '1.0.0', { authority: { type: 'string', pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$', description: 'Host header for Webdis; the cluster name when absent.' } }),
            timeoutMs: { type: 'integer', minimum: 10, maximum: 5000, default: 200 },
          },
        },
        routes: {
          type: 'array',
          minItems: 1,
          maxItems: 100,
          description: 'Cached routes, longest prefix first.',
          items: {
            type: 'object',
            required: ['pathPrefix', 'ttlSeconds'],
            additionalProperties: false,
            properties: {
              pathPrefix: { type: 'string', pattern: PATH_PREFIX },
              ttlSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
              ...from(version, '0.6.0', { staleWhileRevalidateSeconds: { type: 'integer', minimum: 0, maximum: 3600, default: 0 } }),
            },
          },
        },
        keyHeaders: { type: 'array', maxItems: 8, uniqueItems: true, items: { type: 'string', pattern: HEADER_NAME }, default: [], description: 'Request headers that are part of the key.' },
        maxBodyBytes: { type: 'integer', minimum: 1, maximum: 10485760, default: 1048576 },
        cacheStatusHeader: { type: 'string', pattern: HEADER_NAME, default: 'x-cache' },
      },
    };
  },
  examples(version) {
    const cluster = 'outbound|7379||webdis.cache.svc.cluster.local';
    return [
      {
        name: 'catalog-pages',
        description: 'Product pages for five minutes, search results for thirty seconds.',
        configuration: {
          webdis: { cluster },
          routes: [
            { pathPrefix: '/products/', ttlSeconds: 300, ...(since(version, '0.6.0') ? { staleWhileRevalidateSeconds: 60 } : {}) },
            { pathPrefix: '/search', ttlSeconds: 30 },
          ],
        },
      },
      {
        name: 'per-language',
        description: 'Answers vary by language, so the header is part of the key.',
        configuration: { webdis: { cluster, timeoutMs: 50 }, routes: [{ pathPrefix: '/', ttlSeconds: 60 }], keyHeaders: ['accept-language'], maxBodyBytes: 262144 },
      },
    ];
  },
};

const kafkaTcpTap: AuthoredContract = {
  format: 'manifest',
  dialect: '2020-12',
  title: 'Kafka TCP tap',
  about: [
    'A network filter: it sits on the TCP connection between Kafka clients and brokers, decodes request headers of the Kafka protocol and counts requests per API, topic and client id. It never changes the bytes it sees.',
  ],
  behaviour: [
    'Counters `<metricPrefix>_requests_total{api, topic, client_id}`; produce requests also count records in `<metricPrefix>_records_total`.',
    'Only the APIs in `apiKeys` are decoded; the rest pass through untouched and uncounted.',
    'Topics beyond `maxTopics` distinct values are counted as `topic="other"`; `topics` limits counting to a list.',
  ],
  hosts: [
    'This is a network filter: in Envoy, add it to the listener\'s `filters` before `tcp_proxy` (`envoy.filters.network.wasm`). In Istio, use a WasmPlugin with `type: NETWORK` (Istio 1.20 and later).',
  ],
  limitations: ['TLS between clients and brokers hides the protocol: tap plaintext listeners, or terminate TLS at the proxy.', 'Kafka request versions older than 2.0 are not decoded.'],
  changes: {
    '0.1.0': 'First release: produce and fetch.',
    '0.2.0': '`metadata` and `offset_commit` APIs; `topics` filter.',
  },
  host: { filterType: 'network', rootId: 'kafka_tcp_tap', minVersions: { envoy: '1.28', istio: '1.20' } },
  schema(version) {
    const apis = since(version, '0.2.0') ? ['produce', 'fetch', 'metadata', 'offset_commit'] : ['produce', 'fetch'];
    return {
      title: 'Kafka TCP tap',
      type: 'object',
      additionalProperties: false,
      properties: {
        metricPrefix: { type: 'string', pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,63}$', default: 'kafka_tap' },
        apiKeys: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: apis }, default: ['produce', 'fetch'], description: 'Kafka APIs decoded and counted.' },
        ...from(version, '0.2.0', {
          topics: { type: 'array', maxItems: 100, uniqueItems: true, items: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,249}$' }, description: 'Count only these topics; all when absent.' },
        }),
        clientIdLabel: { type: 'boolean', default: true, description: 'Label counters with the client id.' },
        maxTopics: { type: 'integer', minimum: 1, maximum: 10000, default: 500 },
      },
    };
  },
  examples(version) {
    const examples: DemoExample[] = [
      { name: 'defaults', description: 'Produce and fetch on every topic.', configuration: {} },
      { name: 'no-client-ids', description: 'Many short-lived clients: leave client ids out of the labels.', configuration: { clientIdLabel: false, maxTopics: 100 } },
    ];
    if (since(version, '0.2.0')) {
      examples.push({ name: 'consumer-groups', description: 'Commits and fetches of two topics.', configuration: { apiKeys: ['fetch', 'offset_commit'], topics: ['orders.v1', 'payments.v1'] } });
    }
    return examples;
  },
};

const helloWorld: AuthoredContract = {
  format: 'manifest',
  dialect: '2020-12',
  title: 'Hello, world',
  about: [
    'The smallest filter that does something you can see: it logs each request and adds a header with a greeting to the response. Copy it to start your own plugin: it shows the root context reading its configuration, an HTTP context, and a log line.',
  ],
  behaviour: [
    'Each request is logged at `logLevel` with its method and path.',
    'The response gets `header: greeting` (`x-hello: Hello from Wasm` by default).',
    'From 1.0.0, paths under `skipPaths` are neither logged nor greeted.',
  ],
  hosts: ['Any phase works in Istio. The module is built with the 2020 C++ SDK (ABI 0.1.0), so it also runs on MOSN.'],
  limitations: ['It is an example: it does nothing useful in production.'],
  changes: {
    '0.1.0': 'First release.',
    '0.2.0': '`logLevel`.',
    '1.0.0': '`skipPaths`; the configuration is stable.',
  },
  host: { filterType: 'http', rootId: 'hello_world', minVersions: { envoy: '1.17' } },
  schema(version) {
    return {
      title: 'Hello, world',
      type: 'object',
      additionalProperties: false,
      properties: {
        greeting: { type: 'string', minLength: 1, maxLength: 256, default: 'Hello from Wasm', description: 'The header value.' },
        header: { type: 'string', pattern: HEADER_NAME, default: 'x-hello', description: 'The response header set.' },
        ...from(version, '0.2.0', { logLevel: { enum: ['trace', 'debug', 'info', 'warn'], default: 'info' } }),
        ...from(version, '1.0.0', { skipPaths: { type: 'array', maxItems: 20, items: { type: 'string', pattern: PATH_PREFIX }, default: [] } }),
      },
    };
  },
  examples(version) {
    return [
      { name: 'defaults', description: 'x-hello: Hello from Wasm on every response.', configuration: {} },
      {
        name: 'custom-greeting',
        description: 'Another header and greeting, quieter logs.',
        configuration: { greeting: 'Bonjour', header: 'x-greeting', ...(since(version, '0.2.0') ? { logLevel: 'debug' } : {}), ...(since(version, '1.0.0') ? { skipPaths: ['/healthz'] } : {}) },
      },
    ];
  },
};

const CIDR = '^([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}$|^[0-9A-Fa-f:]+/[0-9]{1,3}$';

const maintenanceMode: AuthoredContract = {
  format: 'manifest',
  dialect: 'draft-07',
  schemaFile: true,
  title: 'Maintenance mode',
  about: [
    'Switches routes to a maintenance page without touching the services behind them: during a migration, the proxy answers 503 with `Retry-After` while your own addresses and the health checks still get through.',
  ],
  behaviour: [
    'With `enabled: true`, requests under `routes` are answered by the filter; with a `window`, only between its `start` and `end` (RFC 3339 times, checked every second by a timer).',
    'Requests from `allow.cidrs`, and from 1.1.0 those carrying one of `allow.headers`, pass.',
    'Paths in `healthCheckPaths` always pass, so the orchestrator does not restart the service.',
    'The page is `page.body` with `page.contentType`; a JSON body suits API clients.',
  ],
  hosts: ['In Istio, use the `AUTHN` phase with a high priority, so the page is served before authentication asks for credentials. The client address is read from the `source.address` property: behind another proxy, configure Envoy\'s `xff_num_trusted_hops`.'],
  limitations: ['One page for all routes.', 'Times are checked against the proxy\'s clock.'],
  changes: {
    '1.0.0': 'First release.',
    '1.1.0': '`allow.headers`, for testers outside the office network.',
  },
  host: { filterType: 'http', rootId: 'maintenance_mode', istio: { phase: 'AUTHN', priority: 5000 }, minVersions: { envoy: '1.24', istio: '1.18' } },
  schema(version) {
    return {
      title: 'Maintenance mode',
      type: 'object',
      required: ['enabled'],
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', description: 'Serve the maintenance page (within the window, when one is given).' },
        window: {
          type: 'object',
          required: ['start', 'end'],
          additionalProperties: false,
          properties: { start: { type: 'string', format: 'date-time' }, end: { type: 'string', format: 'date-time' } },
          description: 'When the page is served.',
        },
        routes: { type: 'array', maxItems: 50, items: { type: 'string', pattern: PATH_PREFIX }, default: ['/'], description: 'Path prefixes under maintenance.' },
        allow: {
          type: 'object',
          additionalProperties: false,
          description: 'Who still gets through.',
          properties: {
            cidrs: { type: 'array', maxItems: 100, items: { type: 'string', pattern: CIDR }, default: [] },
            ...from(version, '1.1.0', {
              headers: {
                type: 'array',
                maxItems: 10,
                items: { type: 'object', required: ['name', 'value'], additionalProperties: false, properties: { name: { type: 'string', pattern: HEADER_NAME }, value: { type: 'string', minLength: 16, maxLength: 256 } } },
                description: 'Header and value pairs that let a request pass; use long random values.',
              },
            }),
          },
        },
        healthCheckPaths: { type: 'array', maxItems: 20, items: { type: 'string', pattern: PATH_PREFIX }, default: ['/healthz', '/readyz'] },
        page: {
          type: 'object',
          additionalProperties: false,
          properties: {
            retryAfterSeconds: { type: 'integer', minimum: 0, maximum: 86400, default: 600 },
            contentType: { enum: ['text/html', 'application/json'], default: 'text/html' },
            body: { type: 'string', maxLength: 8192, description: 'The page; a short default says the site is under maintenance.' },
          },
        },
      },
    };
  },
  examples(version) {
    const examples: DemoExample[] = [
      { name: 'now', description: 'Everything under maintenance now, the office still in.', configuration: { enabled: true, allow: { cidrs: ['203.0.113.0/24', '2001:db8::/32'] } } },
      {
        name: 'scheduled-api',
        description: 'The API only, during a Sunday night window, with a JSON answer.',
        configuration: {
          enabled: true,
          window: { start: '2026-04-05T01:00:00Z', end: '2026-04-05T03:00:00Z' },
          routes: ['/api/'],
          page: { retryAfterSeconds: 3600, contentType: 'application/json', body: '{"title":"Down for maintenance","retry_after":3600}' },
        },
      },
    ];
    if (since(version, '1.1.0')) {
      examples.push({ name: 'testers', description: 'Testers pass with a secret header while everyone else waits.', configuration: { enabled: true, allow: { headers: [{ name: 'x-maintenance-pass', value: 'c3f1e7a09b2d4e58a6f0' }] } } });
    }
    return examples;
  },
};

/** By `namespace/name`. Every category has at least one; all three formats and both dialects appear. */
export const AUTHORED_CONTRACTS: Readonly<Record<string, AuthoredContract>> = {
  'acme/jwt-auth': jwtAuth,
  'acme/api-key-auth': apiKeyAuth,
  'edge-sec/basic-auth': basicAuth,
  'observe-io/prometheus-metrics': prometheusMetrics,
  'observe-io/access-logger': accessLogger,
  'acme/request-id': requestId,
  'tetrate-labs/rate-limiter': rateLimiter,
  'acme/cors-policy': corsPolicy,
  'cloudgate/redis-cache': redisCache,
  'kafka-connectors/kafka-tcp-tap': kafkaTcpTap,
  'meshcraft/hello-world': helloWorld,
  'acme/maintenance-mode': maintenanceMode,
};
