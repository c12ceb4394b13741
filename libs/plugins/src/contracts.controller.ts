import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CONTRACT_LIMITS, MANIFEST_SCHEMA, parseConfigurationText } from '../../contract/index.js';
import { invalidInput } from '../../domain/index.js';
import { ApiProblems } from '../../http/index.js';
import { ConfigExampleListView, ConfigurationCheckView, UpgradeNotesView } from './contract.views.js';
import { ContractsService, type ConfigurationInput } from './contracts.service.js';

export const YAML_MEDIA_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'] as const;
const VERSION_PATH = 'plugins/:namespace/:name/versions/:version';
// Documents never change with their version: cacheable like the version's own answers.
const DOCUMENT_CACHE_CONTROL = 'public, max-age=300';

/** A version's contract over HTTP: its README, schema and examples, checking configurations, upgrade notes. */
@ApiTags('contracts')
@Controller('api/v1')
export class ContractsController {
  constructor(private readonly contracts: ContractsService) {}

  @Get('schemas/manifest')
  @ApiOperation({
    summary: 'The JSON Schema of the plugin manifest',
    description: 'The manifest (wasm-plugin.yaml) an author keeps in their repository and sends as the `manifest` part of a publish.',
  })
  @ApiProduces('application/schema+json')
  @ApiResponse({ status: 200, description: 'A JSON Schema (2020-12).' })
  manifestSchema(@Res({ passthrough: true }) reply: FastifyReply): unknown {
    void reply.header('content-type', 'application/schema+json; charset=utf-8');
    return MANIFEST_SCHEMA;
  }

  @Get(`${VERSION_PATH}/readme`)
  @ApiOperation({
    summary: 'A version\'s README',
    description:
      'The Markdown as published (text/markdown), or with Accept: text/html the HTML the registry rendered and sanitized at publish ' +
      '(no script, no event handlers, no javascript: or data: links; images are links). Its digest is in the version\'s attestation.',
  })
  @ApiProduces('text/markdown', 'text/html')
  @ApiResponse({ status: 200, description: 'The README.', content: { 'text/markdown': { schema: { type: 'string' } }, 'text/html': { schema: { type: 'string' } } } })
  @ApiProblems(400, 404)
  async readme(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const readme = await this.contracts.readme(namespace, name, version);
    const wantsHtml = /\btext\/html\b/.test(accept ?? '') && !/\btext\/markdown\b/.test(accept ?? '');
    void reply.header('cache-control', DOCUMENT_CACHE_CONTROL).header('vary', 'Accept');
    if (wantsHtml) {
      // A fragment for embedding, never a page to open: the sandbox CSP keeps it inert if one does.
      void reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; sandbox");
      return readme.html;
    }
    void reply.header('content-type', 'text/markdown; charset=utf-8');
    return readme.markdown;
  }

  @Get(`${VERSION_PATH}/schema`)
  @ApiOperation({
    summary: 'A version\'s configuration schema',
    description: 'The JSON Schema (draft-07 or 2020-12) its configuration must satisfy, byte for byte as stored; its digest is in the attestation.',
  })
  @ApiProduces('application/schema+json')
  @ApiResponse({ status: 200, description: 'The JSON Schema.' })
  @ApiProblems(400, 404)
  async schema(@Param('namespace') namespace: string, @Param('name') name: string, @Param('version') version: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const schema = await this.contracts.schema(namespace, name, version);
    void reply.header('content-type', 'application/schema+json; charset=utf-8').header('cache-control', DOCUMENT_CACHE_CONTROL);
    return schema;
  }

  @Get(`${VERSION_PATH}/examples`)
  @ApiOperation({ summary: 'A version\'s configuration examples', description: 'Named configurations, each valid against the schema.' })
  @ApiOkResponse({ type: ConfigExampleListView })
  @ApiProblems(400, 404)
  async examples(@Param('namespace') namespace: string, @Param('name') name: string, @Param('version') version: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<ConfigExampleListView> {
    const items = await this.contracts.examples(namespace, name, version);
    void reply.header('cache-control', DOCUMENT_CACHE_CONTROL);
    return { items };
  }

  @Post(`${VERSION_PATH}/config/validate`)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Check a configuration against a version\'s schema',
    description:
      'The body is the configuration as the proxy would receive it, JSON or YAML; or send no body and ?example=<name>. ' +
      `Answers 200 with \`valid\` and every error (JSON Pointer, rule, sentence); \`checked: false\` when the version has no schema. ` +
      `At most ${CONTRACT_LIMITS.configurationBytes} bytes and ${CONTRACT_LIMITS.configurationDepth} levels of nesting.`,
  })
  @ApiConsumes('application/json', ...YAML_MEDIA_TYPES)
  @ApiBody({ required: false, description: 'The configuration.', schema: {} })
  @ApiQuery({ name: 'example', required: false, type: String, description: 'Check one of the version\'s examples instead of a body.' })
  @ApiOkResponse({ type: ConfigurationCheckView })
  @ApiProblems(400, 404, 413, 415, 422, 503)
  validate(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Query('example') example?: string,
  ): Promise<ConfigurationCheckView> {
    return this.contracts.validate(namespace, name, version, configurationInput(contentType, body, example));
  }

  @Get(`${VERSION_PATH}/upgrade-notes`)
  @ApiOperation({
    summary: 'What changed in the configuration contract',
    description:
      'From another version (?from=; default: the highest version below this one) to this one: required fields added, fields removed, ' +
      'types narrowed, enum values dropped, bounds tightened, defaults changed, examples of the old version the new schema refuses. ' +
      'Each note says whether it breaks configurations that were valid before.',
  })
  @ApiQuery({ name: 'from', required: false, type: String })
  @ApiOkResponse({ type: UpgradeNotesView })
  @ApiProblems(400, 404)
  upgradeNotes(@Param('namespace') namespace: string, @Param('name') name: string, @Param('version') version: string, @Query('from') from?: string): Promise<UpgradeNotesView> {
    return this.contracts.upgradeNotes(namespace, name, version, from === '' ? undefined : from);
  }
}

/**
 * The configuration a request carries: a JSON body (parsed by Fastify), a YAML
 * body (text, parsed here with the contract's bounds), or an example's name.
 */
export function configurationInput(contentType: string | undefined, body: unknown, example: string | undefined): ConfigurationInput {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const hasBody = body !== undefined && body !== null && body !== '';
  if (example !== undefined && example !== '') {
    if (hasBody) throw invalidInput([{ field: 'query.example', message: 'send a configuration in the body or name an example, not both' }]);
    return { example };
  }
  if (!hasBody) throw invalidInput([{ field: 'body', message: 'send the configuration (JSON or YAML), or name an example with ?example=' }]);
  if ((YAML_MEDIA_TYPES as readonly string[]).includes(mediaType)) return { configuration: parseConfigurationText(String(body), 'yaml', 'body') };
  // Fastify parsed the JSON already; its text is re-read under the same bounds as YAML.
  return { configuration: parseConfigurationText(JSON.stringify(body), 'json', 'body') };
}
