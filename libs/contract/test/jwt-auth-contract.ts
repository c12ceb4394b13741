import type { ContractSide } from '../src/upgrade-notes.js';

/**
 * acme/jwt-auth's configuration contract in three versions, for tests and the
 * demo catalog. 1.0.0 → 1.1.0 is compatible (an optional field, `audiences`
 * also as one string); 1.x → 2.0.0 breaks configurations: `issuer` becomes
 * required, HS256 is gone from `algorithms`, `clock_skew_seconds` may be at
 * most 60 instead of 300, `header` is replaced by `from_headers` (unknown
 * fields are refused), and the keys are cached 60 s by default instead of 300.
 * Every example is valid against its own version's schema.
 */

const JWKS_URI = 'https://issuer.example/.well-known/jwks.json';

export const JWT_AUTH_1_0_0: ContractSide = {
  version: '1.0.0',
  configSchema: {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'jwt-auth configuration',
    description: 'Verifies the JSON Web Token of each request and refuses the request (401) when it is missing, expired or not signed by a key of the JWKS.',
    type: 'object',
    properties: {
      issuer: { type: 'string', format: 'uri', description: 'The `iss` claim a token must carry; any issuer is accepted when left out.' },
      audiences: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        minItems: 1,
        description: 'The `aud` claims accepted; a token must name at least one of them.',
      },
      jwks_uri: { type: 'string', format: 'uri', description: 'Where the signing keys are fetched from, through the `jwks` cluster.' },
      algorithms: {
        type: 'array',
        items: { type: 'string', enum: ['RS256', 'ES256', 'HS256'] },
        uniqueItems: true,
        default: ['RS256'],
        description: 'Signature algorithms accepted.',
      },
      clock_skew_seconds: { type: 'integer', minimum: 0, maximum: 300, default: 60, description: 'Leeway when checking `exp` and `nbf`.' },
      header: { type: 'string', default: 'authorization', description: 'The request header carrying the token, as `Bearer <token>`.' },
      cache_ttl: { type: 'integer', minimum: 0, default: 300, description: 'Seconds the fetched keys are kept before they are fetched again.' },
    },
    required: ['audiences', 'jwks_uri'],
    additionalProperties: false,
  },
  examples: [
    {
      name: 'basic',
      description: 'Any token for the `api` audience signed by a key of the JWKS.',
      configuration: { audiences: ['api'], jwks_uri: JWKS_URI },
    },
    {
      name: 'custom-header',
      description: 'One issuer, two audiences, the token in `x-jwt-assertion`, keys cached ten minutes.',
      configuration: {
        issuer: 'https://issuer.example',
        audiences: ['api', 'admin'],
        jwks_uri: JWKS_URI,
        algorithms: ['RS256', 'ES256'],
        clock_skew_seconds: 120,
        header: 'x-jwt-assertion',
        cache_ttl: 600,
      },
    },
  ],
};

/** Compatible with 1.0.0: `forward_payload_header` is new and optional, `audiences` may also be one string. */
export const JWT_AUTH_1_1_0: ContractSide = {
  version: '1.1.0',
  configSchema: {
    ...JWT_AUTH_1_0_0.configSchema,
    properties: {
      ...(JWT_AUTH_1_0_0.configSchema!.properties as Record<string, unknown>),
      audiences: {
        type: ['array', 'string'],
        items: { type: 'string', minLength: 1 },
        minItems: 1,
        description: 'The `aud` claims accepted (one, or a list); a token must name at least one of them.',
      },
      forward_payload_header: { type: 'string', description: 'When set, the verified payload is passed upstream (base64url JSON) in this request header.' },
    },
  },
  examples: [
    { ...JWT_AUTH_1_0_0.examples[0]!, configuration: { audiences: 'api', jwks_uri: JWKS_URI } },
    {
      ...JWT_AUTH_1_0_0.examples[1]!,
      configuration: { ...(JWT_AUTH_1_0_0.examples[1]!.configuration as Record<string, unknown>), forward_payload_header: 'x-jwt-payload' },
    },
  ],
};

export const JWT_AUTH_2_0_0: ContractSide = {
  version: '2.0.0',
  configSchema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'jwt-auth configuration',
    description: 'Verifies the JSON Web Token of each request and refuses the request (401) when it is missing, expired, from another issuer or not signed by a key of the JWKS.',
    type: 'object',
    properties: {
      issuer: { type: 'string', format: 'uri', description: 'The `iss` claim a token must carry.' },
      audiences: { $ref: '#/$defs/audiences' },
      jwks_uri: { type: 'string', format: 'uri', description: 'Where the signing keys are fetched from, through the `jwks` cluster.' },
      algorithms: {
        type: 'array',
        items: { $ref: '#/$defs/algorithm' },
        uniqueItems: true,
        default: ['RS256'],
        description: 'Signature algorithms accepted. Shared-secret algorithms (HS*) are no longer supported.',
      },
      clock_skew_seconds: { type: 'integer', minimum: 0, maximum: 60, default: 60, description: 'Leeway when checking `exp` and `nbf`.' },
      from_headers: {
        type: 'array',
        items: { $ref: '#/$defs/header_source' },
        minItems: 1,
        default: [{ name: 'authorization', value_prefix: 'Bearer ' }],
        description: 'Where the token is looked for, in order.',
      },
      cache_ttl: { type: 'integer', minimum: 0, default: 60, description: 'Seconds the fetched keys are kept before they are fetched again.' },
    },
    required: ['issuer', 'audiences', 'jwks_uri'],
    additionalProperties: false,
    $defs: {
      audiences: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        minItems: 1,
        description: 'The `aud` claims accepted; a token must name at least one of them.',
      },
      algorithm: { type: 'string', enum: ['RS256', 'ES256', 'EdDSA'] },
      header_source: {
        type: 'object',
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9-]+$', description: 'A request header name, lowercase.' },
          value_prefix: { type: 'string', default: '', description: 'What precedes the token in the value, e.g. `Bearer `.' },
        },
        required: ['name'],
        additionalProperties: false,
      },
    },
  },
  examples: [
    {
      name: 'basic',
      description: 'Tokens from one issuer for the `api` audience, signed by a key of the JWKS.',
      configuration: { issuer: 'https://issuer.example', audiences: ['api'], jwks_uri: JWKS_URI },
    },
    {
      name: 'from-headers',
      description: 'ES256 tokens in `x-jwt-assertion` or, failing that, `authorization`; keys cached two minutes.',
      configuration: {
        issuer: 'https://issuer.example',
        audiences: ['api', 'admin'],
        jwks_uri: JWKS_URI,
        algorithms: ['ES256'],
        from_headers: [{ name: 'x-jwt-assertion' }, { name: 'authorization', value_prefix: 'Bearer ' }],
        cache_ttl: 120,
      },
    },
  ],
};
