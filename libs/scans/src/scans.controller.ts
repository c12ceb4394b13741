import { Body, Controller, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Inject } from '@nestjs/common';
import { jsonValueProblem } from '../../contract/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { invalidInput, textProblem, type FieldProblem } from '../../domain/index.js';
import { ApiProblems } from '../../http/index.js';
import { SCAN_INPUT_LIMITS, type DeploymentFile } from './module-references.js';
import { toSarif } from './sarif.js';
import { ScansService } from './scans.service.js';
import { ScanReportView } from './scans.views.js';

export const SARIF_MEDIA_TYPE = 'application/sarif+json';

@ApiTags('scans')
@Controller('api/v1/scans')
export class ScansController {
  constructor(
    private readonly scans: ScansService,
    @Inject(REGISTRY_CONFIG) private readonly config: Pick<RegistryConfig, 'publicUrl'>,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Scan deployed configuration',
    description:
      'Send the configuration that is deployed: Envoy bootstrap, listener or HCM fragments (YAML or JSON), Istio and Higress WasmPlugin, ' +
      'Envoy Gateway EnvoyExtensionPolicy; multi-document YAML; several files as {"files": [{"name", "content"}]}. Every Wasm module reference ' +
      'is reported with a level (ok, info, warning, critical) and findings: which version it is, sha256 missing or of the wrong kind (module ' +
      'vs image manifest), yanked, deprecated, rejected, advisories, a newer version of the same major and what upgrading changes, signature ' +
      'and attestation, compatibility with ?envoy= and ?istio=, and the plugin configuration against the version\'s schema. ' +
      `Answered as JSON, or as SARIF 2.1.0 (?format=sarif or Accept: ${SARIF_MEDIA_TYPE}). With failOn, \`failed\` (and SARIF's exitCode) say ` +
      `whether a reference is at that level or worse; the status stays 200. At most ${SCAN_INPUT_LIMITS.files} files and ${SCAN_INPUT_LIMITS.totalBytes} bytes (413 past it). ` +
      'Read in a worker thread: 422 scan_too_complex past its deadline or heap, 503 scans_busy when too many wait. ' +
      'Signatures are verified for at most 25 versions per scan. The configuration is never stored or logged.',
  })
  @ApiConsumes('application/json', 'application/yaml')
  @ApiProduces('application/json', SARIF_MEDIA_TYPE)
  @ApiBody({
    schema: {
      oneOf: [
        {
          type: 'object',
          required: ['files'],
          additionalProperties: false,
          properties: { files: { type: 'array', minItems: 1, maxItems: SCAN_INPUT_LIMITS.files, items: { type: 'object', required: ['content'], additionalProperties: false, properties: { name: { type: 'string', maxLength: 200 }, content: { type: 'string' } } } } },
        },
        { type: 'object', description: 'One configuration document (an Envoy bootstrap in JSON, …).' },
        { type: 'string', description: 'YAML text (application/yaml), several documents allowed.' },
      ],
    },
  })
  @ApiQuery({ name: 'envoy', required: false, description: 'The Envoy version deployed, e.g. 1.31.' })
  @ApiQuery({ name: 'istio', required: false, description: 'The Istio version deployed, e.g. 1.24.' })
  @ApiQuery({ name: 'failOn', required: false, enum: ['info', 'warning', 'critical'] })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'sarif'] })
  @ApiOkResponse({ type: ScanReportView })
  @ApiProblems(400, 413, 415, 422, 503)
  async scan(
    @Body() body: unknown,
    @Query('envoy') envoy: string | undefined,
    @Query('istio') istio: string | undefined,
    @Query('failOn') failOn: string | undefined,
    @Query('format') format: string | undefined,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<object> {
    if (format !== undefined && format !== 'json' && format !== 'sarif') throw invalidInput([{ field: 'query.format', message: 'must be json or sarif' }]);
    const options = ScansService.options({ envoy, istio, failOn });
    const report = await this.scans.scan({ ...options, files: deploymentFiles(body) });
    // The configuration is personal to the caller: no shared cache keeps it.
    void reply.header('cache-control', 'no-store');
    if (format === 'sarif' || (format === undefined && accept?.includes(SARIF_MEDIA_TYPE))) {
      void reply.type(SARIF_MEDIA_TYPE);
      return toSarif(report, `${this.config.publicUrl}/scan`);
    }
    return report;
  }
}

/** The files of a request: YAML text, one JSON document, or {"files": [...]}. */
function deploymentFiles(body: unknown): DeploymentFile[] {
  if (typeof body === 'string') return [{ name: 'configuration.yaml', text: body }];
  if (typeof body !== 'object' || body === null) throw invalidInput([{ field: 'body', message: 'must be YAML text (application/yaml), a JSON configuration, or {"files": [{"name", "content"}]}' }]);
  const record = body as Record<string, unknown>;
  if (!('files' in record)) {
    // Written back as text for the reader: bounded first, as stringifying a deep value would overflow the stack.
    const deep = jsonValueProblem(body, SCAN_INPUT_LIMITS.depth);
    if (deep !== null) throw invalidInput([{ field: 'body', message: deep }]);
    return [{ name: 'configuration.json', text: JSON.stringify(body) }];
  }
  const problems: FieldProblem[] = [];
  const extra = Object.keys(record).filter((k) => k !== 'files');
  for (const key of extra) problems.push({ field: `body.${key}`, message: 'is not a known field beside "files"' });
  const files = record.files;
  if (!Array.isArray(files) || files.length === 0 || files.length > SCAN_INPUT_LIMITS.files) {
    throw invalidInput([...problems, { field: 'body.files', message: `must be an array of 1 to ${SCAN_INPUT_LIMITS.files} files {"name", "content"}` }]);
  }
  const read = files.map((file: unknown, i): DeploymentFile => {
    const f = (typeof file === 'object' && file !== null ? file : {}) as Record<string, unknown>;
    const name = f.name === undefined ? `file-${i + 1}` : f.name;
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) problems.push({ field: `body.files[${i}].name`, message: 'must be a file name of 1 to 200 characters' });
    else {
      const problem = textProblem(`body.files[${i}].name`, name);
      if (problem !== null) problems.push(problem);
    }
    if (typeof f.content !== 'string') problems.push({ field: `body.files[${i}].content`, message: 'must be the file\'s text' });
    for (const key of Object.keys(f)) if (key !== 'name' && key !== 'content') problems.push({ field: `body.files[${i}].${key}`, message: 'is not a known field; the fields are name, content' });
    return { name: String(name), text: typeof f.content === 'string' ? f.content : '' };
  });
  if (problems.length > 0) throw invalidInput(problems);
  return read;
}

