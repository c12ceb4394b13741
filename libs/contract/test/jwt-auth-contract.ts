import type { ContractSide } from '../src/upgrade-notes.js';

/**
 * acme/jwt-auth 1.0.0 (draft-07) and 2.0.0 (2020-12): a realistic upgrade whose
 * schema change breaks configurations. 2.0.0 requires `audiences`, drops HS256
 * from `algorithms`, allows at most 60 s of clock skew (default 30, was 60) and
 * no longer knows `header` (tokens are read from `from_headers` in both).
 */

const BASIC = { issuer: 'https://login.example.com/', audiences: ['orders-api'] };

export const JWT_AUTH_1_0_0: ContractSide = {
  version: '1.0.0',
  configSchema: {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'JWT authentication',
    type: 'object',
    required: ['issuer'],
    additionalProperties: false,
    properties: {
      issuer: { description: 'The iss claim a token must carry.', type: 'string', format: 'uri' },
      audiences: {
        description: 'At least one of these must appear in the aud claim.',
        type: 'array',
        minItems: 1,
        items: { type: 'string', minLength: 1 },
      },
      algorithms: {
        description: 'Signature algorithms accepted.',
        type: 'array',
        items: { $ref: '#/definitions/algorithm' },
        default: ['RS256'],
      },
      clock_skew_seconds: { description: 'Leeway when checking exp and nbf.', type: 'integer', minimum: 0, maximum: 300, default: 60 },
      header: { description: 'Deprecated: the one header a token is read from.', type: 'string', default: 'authorization' },
      from_headers: { type: 'array', maxItems: 8, items: { $ref: '#/definitions/tokenHeader' } },
      jwks: { $ref: '#/definitions/jwks' },
    },
    definitions: {
      algorithm: { type: 'string', enum: ['RS256', 'ES256', 'HS256'] },
      tokenHeader: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9-]+$' },
          value_prefix: { type: 'string', default: 'Bearer ' },
        },
      },
      jwks: {
        type: 'object',
        additionalProperties: false,
        properties: {
          uri: { type: 'string', format: 'uri' },
          cache_seconds: { type: 'integer', minimum: 0, default: 600 },
        },
      },
    },
  },
  examples: [
    { name: 'basic', description: 'Checks issuer and audience', configuration: BASIC },
    { name: 'strict', description: 'RS256 only, little clock skew', configuration: { ...BASIC, algorithms: ['RS256'], clock_skew_seconds: 10 } },
  ],
};

export const JWT_AUTH_2_0_0: ContractSide = {
  version: '2.0.0',
  configSchema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'JWT authentication',
    type: 'object',
    required: ['issuer', 'audiences'],
    additionalProperties: false,
    properties: {
      issuer: { description: 'The iss claim a token must carry.', type: 'string', format: 'uri' },
      audiences: {
        description: 'At least one of these must appear in the aud claim.',
        type: 'array',
        minItems: 1,
        items: { type: 'string', minLength: 1 },
      },
      algorithms: {
        description: 'Signature algorithms accepted.',
        type: 'array',
        items: { $ref: '#/$defs/algorithm' },
        default: ['RS256'],
      },
      clock_skew_seconds: { description: 'Leeway when checking exp and nbf.', type: 'integer', minimum: 0, maximum: 60, default: 30 },
      from_headers: { type: 'array', maxItems: 8, items: { $ref: '#/$defs/tokenHeader' } },
      jwks: { $ref: '#/$defs/jwks', description: 'Where the verification keys come from.' },
    },
    $defs: {
      algorithm: { type: 'string', enum: ['RS256', 'ES256'] },
      tokenHeader: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9-]+$' },
          value_prefix: { type: 'string', default: 'Bearer ' },
        },
      },
      jwks: {
        type: 'object',
        additionalProperties: false,
        properties: {
          uri: { type: 'string', format: 'uri' },
          cache_seconds: { type: 'integer', minimum: 0, default: 600 },
        },
      },
    },
  },
  examples: [
    { name: 'basic', description: 'Checks issuer and audience', configuration: BASIC },
    { name: 'strict', description: 'RS256 only, little clock skew', configuration: { ...BASIC, algorithms: ['RS256'], clock_skew_seconds: 10 } },
  ],
};
