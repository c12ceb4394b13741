/** A JWT-auth plugin's contract in two versions, 2.0.0 breaking 1.0.0's configurations; shared by the contract e2e tests. */

export const JWT_SCHEMA_V1 = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['issuer'],
  properties: {
    issuer: { type: 'string', format: 'uri', description: 'Expected iss claim.' },
    audiences: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    algorithms: { type: 'array', items: { enum: ['RS256', 'ES256', 'HS256'] }, default: ['RS256'] },
    clock_skew_seconds: { type: 'integer', minimum: 0, maximum: 300, default: 60 },
    header: { type: 'string', default: 'authorization' },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path'],
        additionalProperties: false,
        properties: { path: { type: 'string', pattern: '^/[a-z0-9/_-]*$' }, allow_anonymous: { type: 'boolean', default: false } },
      },
    },
  },
};

// 2.0.0 breaks 1.x configurations: audiences is required, HS256 is gone, the skew bound tightened, `header` removed.
export const JWT_SCHEMA_V2 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['issuer', 'audiences'],
  properties: {
    issuer: { type: 'string', format: 'uri' },
    audiences: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    algorithms: { type: 'array', items: { enum: ['RS256', 'ES256'] }, default: ['RS256'] },
    clock_skew_seconds: { type: 'integer', minimum: 0, maximum: 60, default: 30 },
    rules: JWT_SCHEMA_V1.properties.rules,
  },
};

export const README = `# jwt-auth

Validates JSON Web Tokens from the \`Authorization\` header.

| field | meaning |
|---|---|
| issuer | the expected \`iss\` |

<script>alert('readme')</script>
[click](javascript:alert(1))
![diagram](https://images.example/diagram.png)
`;

export function manifestYaml(version: string, schema: object, examples: object[]): string {
  return [
    'manifest: 1',
    `version: ${version}`,
    'description: Validates JWTs at the edge, from the manifest.',
    'license: Apache-2.0',
    'keywords: [jwt, auth]',
    'categories: [authentication-authorization]',
    'readme: docs/README.md',
    `configSchema: ${JSON.stringify(schema)}`,
    `examples: ${JSON.stringify(examples)}`,
    'host:',
    '  filterType: http',
    '  rootId: jwt_auth',
    '  istio: { phase: AUTHN, priority: 1000 }',
    '  minVersions: { envoy: "1.26" }',
    '',
  ].join('\n');
}

export const V1_EXAMPLES = [
  { name: 'basic', description: 'Signature and issuer only', configuration: { issuer: 'https://issuer.example' } },
  { name: 'strict', configuration: { issuer: 'https://issuer.example', audiences: ['api'], algorithms: ['HS256'], clock_skew_seconds: 120, rules: [{ path: '/health', allow_anonymous: true }] } },
];
export const V2_EXAMPLES = [{ name: 'basic', configuration: { issuer: 'https://issuer.example', audiences: ['api'] } }];

/** Publishes `module` as multipart/form-data with the contract's parts, as an author's CI would. */
export async function publishWithParts(
  base: string,
  token: string,
  target: { namespace: string; plugin: string; version: string },
  module: Buffer,
  parts: Record<string, { filename: string; text: string }>,
): Promise<{ status: number; headers: Headers; json: Record<string, any>; text: string }> {
  const form = new FormData();
  form.append('module', new Blob([module], { type: 'application/wasm' }), 'plugin.wasm');
  for (const [name, part] of Object.entries(parts)) form.append(name, new Blob([part.text]), part.filename);
  const response = await fetch(`${base}/api/v1/plugins/${target.namespace}/${target.plugin}/versions/${target.version}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, any>) : {}, text };
}

/** A Higress plugin's spec.yaml as the Higress console keeps it: published as a manifest part, or as a layer of a pushed image. */
export const HIGRESS_SPEC = `apiVersion: 1.0.0
info:
  category: auth
  name: key-auth/v1
  title: Key Auth
  x-title-i18n:
    zh-CN: Key 认证
  description: Authenticates consumers by API key.
  iconUrl: https://img.example/key.svg
  version: 1.0.0
  contact:
    name: Higress Team
spec:
  phase: AUTHN
  priority: 310
  configSchema:
    openAPIV3Schema:
      type: object
      required: [keys]
      properties:
        keys:
          type: array
          title: Key sources
          x-title-i18n:
            zh-CN: API Key 来源
          items:
            type: string
          minItems: 1
        in_query:
          type: boolean
          default: true
      example:
        keys: [x-api-key]
        in_query: false
`;
