import { applyDecorators, Body, Controller, Get, Head, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type {} from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { AdminOnly, Authenticated, CurrentPrincipal, type Principal } from '../../auth/index.js';
import { ModuleDelivery } from '../../blobs/index.js';
import { invalidInput, RegistryError } from '../../domain/index.js';
import { DownloadCounter } from '../../downloads/index.js';
import { ApiProblems, asMultipartError, multipartParts, readLimited, sendModule } from '../../http/index.js';
import { CONTRACT_LIMITS, type ContractParts } from '../../contract/index.js';
import { DEFAULT_DEPENDENCY_LIMITS, type DependencyFile } from '../../sbom/index.js';
import { AnalysisView, PluginDetailView, PluginMetadataBody, PluginView, VersionListView, VersionView } from './plugin.views.js';
import { MAX_WAIT_SECONDS, PluginsService, type DownloadTarget } from './plugins.service.js';
import { NO_PUBLISH_PARTS, PublishService, type PublishRequest } from './publish.service.js';

/** The responses of both module download routes, by version and by digest. */
const ApiModuleDownload = (): MethodDecorator =>
  applyDecorators(
    ApiProduces('application/wasm'),
    ApiResponse({ status: 200, description: 'The module.', content: { 'application/wasm': { schema: { type: 'string', format: 'binary' } } } }),
    ApiResponse({ status: 206, description: 'Part of the module.' }),
    ApiResponse({ status: 304, description: 'Not modified.' }),
    ApiResponse({ status: 307, description: 'Redirect to a short-lived object-store URL (S3 with presigned downloads).' }),
    ApiProblems(400, 404, 409, 416),
  );

/** Dependency files in one publish, each up to DEFAULT_DEPENDENCY_LIMITS.maxBytes and held in memory until parsed. */
export const MAX_DEPENDENCY_FILES = 4;

const VERSION_CACHE_CONTROL = 'public, max-age=300';
const DIGEST_CACHE_CONTROL = 'public, max-age=31536000, immutable';

@ApiTags('plugins')
@Controller('api/v1')
export class PluginsController {
  constructor(
    private readonly plugins: PluginsService,
    private readonly publishing: PublishService,
    private readonly counter: DownloadCounter,
    private readonly delivery: ModuleDelivery,
  ) {}

  @Get('plugins/:namespace/:name')
  @ApiOperation({ summary: 'Get a plugin with its versions' })
  @ApiOkResponse({ type: PluginDetailView })
  @ApiProblems(400, 404)
  getPlugin(@Param('namespace') namespace: string, @Param('name') name: string): Promise<PluginDetailView> {
    return this.plugins.getPlugin(namespace, name);
  }

  @Put('plugins/:namespace/:name')
  @Authenticated()
  @ApiOperation({
    summary: 'Create a plugin or replace its metadata',
    description: 'Fields left out are cleared. Needs a token with rights on the namespace; an admin creates the namespace if it does not exist.',
  })
  @ApiBody({ type: PluginMetadataBody })
  @ApiResponse({ status: 200, description: 'Metadata replaced.', type: PluginView })
  @ApiResponse({ status: 201, description: 'Plugin created.', type: PluginView })
  @ApiProblems(400, 401, 403, 404, 409)
  async savePlugin(
    @CurrentPrincipal() principal: Principal,
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PluginView> {
    const { plugin, created } = await this.publishing.savePluginMetadata(principal, namespace, name, body);
    void reply.status(created ? 201 : 200);
    return this.plugins.committedPlugin(plugin);
  }

  @Put('plugins/:namespace/:name/versions/:version')
  @Authenticated()
  @ApiOperation({
    summary: 'Publish a version',
    description:
      'The body is the WebAssembly module, streamed. Versions are immutable: identical bytes return the existing version (200), ' +
      'different bytes are a 409. The first publish of a plugin creates it; an admin token also creates a missing namespace. ' +
      'A new version is accepted (202) and pending until the pipeline (analysis, SBOM, signature) has processed it: ' +
      'GET the Location with ?wait=<seconds> to wait for it.',
  })
  @ApiParam({ name: 'version', description: 'Semantic version, e.g. 1.0.0 or 1.1.0-rc.1.' })
  @ApiConsumes('application/wasm', 'multipart/form-data')
  @ApiBody({
    description:
      'application/wasm: the module (core module or component). multipart/form-data: a `module` file part, or a `moduleDigest` text part ' +
      'naming a blob pushed before to /v2/{namespace}/{name}/blobs/uploads (chunked and resumable, for large modules); and optionally ' +
      'up to 4 `dependencies` file parts (Cargo.lock, go.mod, go.sum, package-lock.json, *.purls) and a `purls` text part (one purl a line) ' +
      'that the SBOM lists, and the contract: `manifest` (wasm-plugin.yaml, a Higress spec.yaml or a Kong meta.json), `readme`, `schema`.',
    schema: {
      oneOf: [
        { type: 'string', format: 'binary' },
        {
          type: 'object',
          properties: {
            module: { type: 'string', format: 'binary' },
            moduleDigest: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$', description: 'Instead of `module`: a blob pushed to this plugin\'s OCI repository.' },
            dependencies: { type: 'array', items: { type: 'string', format: 'binary' } },
            purls: { type: 'string' },
            manifest: { type: 'string', format: 'binary' },
            readme: { type: 'string', format: 'binary' },
            schema: { type: 'string', format: 'binary' },
          },
        },
      ],
    },
  })
  @ApiResponse({ status: 200, description: 'These bytes were already published as this version.', type: VersionView })
  @ApiResponse({ status: 202, description: 'Accepted; the version is pending until the pipeline has processed it. Location: the version.', type: VersionView })
  @ApiProblems(400, 401, 403, 404, 408, 409, 413, 415)
  async publish(
    @CurrentPrincipal() principal: Principal,
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<VersionView> {
    const target = { namespace, plugin: name, version };
    const result = await this.publishing.publish(principal, target, publishRequest(request));
    const view = await this.plugins.committedVersion(result.version, result.created);
    void reply.status(result.created ? 202 : 200).header('location', view.links.self);
    return view;
  }

  @Get('plugins/:namespace/:name/versions')
  @ApiOperation({ summary: 'List a plugin\'s versions', description: 'The versions of the plugin view, on their own.' })
  @ApiOkResponse({ type: VersionListView })
  @ApiProblems(400, 404)
  async listVersions(@Param('namespace') namespace: string, @Param('name') name: string): Promise<VersionListView> {
    return { items: (await this.plugins.getPlugin(namespace, name)).versions };
  }

  @Get('plugins/:namespace/:name/versions/:version')
  @ApiOperation({ summary: 'Get a version', description: 'With ?wait=N, a pending version is answered once it leaves pending, or after N seconds.' })
  @ApiQuery({ name: 'wait', required: false, schema: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS, default: 0 } })
  @ApiOkResponse({ type: VersionView })
  @ApiProblems(400, 404)
  getVersion(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Query('wait') wait?: string,
  ): Promise<VersionView> {
    return this.plugins.getVersion(namespace, name, version, parseWait(wait));
  }

  @Post('plugins/:namespace/:name/versions/:version/retry')
  @AdminOnly()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Retry a version that is not ready (admin)',
    description:
      'Puts a pending, failed or rejected version through the pipeline again. Finished steps are kept, except for a rejected version, ' +
      'whose analysis runs again (the policy may have changed). A pending version whose work was lost starts a new round at once, ' +
      'instead of waiting for the reconciler. A ready version is refused with 409 `version_not_failed`.',
  })
  @ApiResponse({ status: 202, description: 'Queued again; the version is pending.', type: VersionView })
  @ApiProblems(400, 401, 403, 404, 409)
  async retry(
    @CurrentPrincipal() principal: Principal,
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
  ): Promise<VersionView> {
    return this.plugins.committedVersion(await this.publishing.retry(principal, { namespace, plugin: name, version }));
  }

  @Get('plugins/:namespace/:name/versions/:version/analysis')
  @ApiOperation({
    summary: 'Get a version\'s analysis report',
    description:
      'What the module is and where it can run, computed from its bytes: kind, validity, imports and exports, custom sections, ' +
      'the Proxy-Wasm ABI and host functions checked the way Envoy checks them, compatibility, capabilities, and the findings ' +
      'with what the registry\'s policy made of them. 409 while the version is pending.',
  })
  @ApiOkResponse({ type: AnalysisView })
  @ApiProblems(400, 404, 409)
  getAnalysis(@Param('namespace') namespace: string, @Param('name') name: string, @Param('version') version: string): Promise<AnalysisView> {
    return this.plugins.getAnalysis(namespace, name, version);
  }

  @Get('plugins/:namespace/:name/versions/:version/module.wasm')
  @ApiOperation({
    summary: 'Download a version\'s module',
    description: 'Strong ETag (the digest), If-None-Match → 304, single byte ranges → 206. Prefer the digest URL for pinning.',
  })
  @ApiModuleDownload()
  async downloadVersion(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.serve(request, reply, await this.plugins.versionDownload(namespace, name, version), VERSION_CACHE_CONTROL, 'version');
  }

  @Head('plugins/:namespace/:name/versions/:version/module.wasm')
  @ApiOperation({ summary: 'Headers of a version\'s module' })
  @ApiResponse({ status: 200, description: 'Size, ETag and caching headers; no body.' })
  @ApiProblems(404, 409)
  headVersion(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.downloadVersion(namespace, name, version, request, reply);
  }

  @Get('blobs/:digest')
  @ApiOperation({
    summary: 'Download a module by digest',
    description: 'The pinned, content-addressed URL: cacheable forever. Same conditional and range rules as module.wasm.',
  })
  @ApiParam({ name: 'digest', example: 'sha256:3b1f0c…', description: 'sha256:<64 lowercase hex>' })
  @ApiModuleDownload()
  async downloadBlob(@Param('digest') digest: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.serve(request, reply, await this.plugins.blobDownload(digest), DIGEST_CACHE_CONTROL, 'digest');
  }

  @Head('blobs/:digest')
  @ApiOperation({ summary: 'Headers of a module by digest' })
  @ApiResponse({ status: 200, description: 'Size, ETag and caching headers; no body.' })
  @ApiProblems(400, 404)
  headBlob(@Param('digest') digest: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.downloadBlob(digest, request, reply);
  }

  private serve(request: FastifyRequest, reply: FastifyReply, target: DownloadTarget, cacheControl: string, route: 'digest' | 'version'): Promise<void> {
    const { digest, size, versionId } = target;
    return sendModule(request, reply, {
      ...this.delivery.source(digest),
      digest,
      size,
      cacheControl,
      markDownloaded: () => this.plugins.markDownloaded(target),
      missing: () => this.plugins.moduleMissing(target),
      onDownload: () => this.counter.record(versionId),
      route,
    });
  }
}

/**
 * The two ways to send a version: the module alone (application/wasm), or
 * multipart/form-data with a `module` file part and the declared dependencies:
 * `dependencies` file parts (Cargo.lock, go.mod, go.sum, package-lock.json,
 * *.purls) and/or a `purls` text part, one purl a line.
 */
function publishRequest(request: FastifyRequest): PublishRequest {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const declaredLength = declaredLengthOf(request);
  if (mediaType === 'application/wasm' && typeof (request.body as Readable | undefined)?.pipe === 'function') {
    const body = request.body as Readable;
    return {
      declaredLength,
      read: async (receiveModule) => {
        await receiveModule(body);
        return NO_PUBLISH_PARTS;
      },
    };
  }
  if (mediaType === 'multipart/form-data') {
    return {
      // The limit applies to the module; a multipart body is a little larger than the module it carries.
      declaredLength: null,
      read: async (receiveModule) => {
        const files: DependencyFile[] = [];
        const contract: ContractParts = {};
        let moduleDigest: string | undefined;
        let dependencyFiles = 0;
        // A body cut short surfaces in the part being read: a 400, like any other malformed multipart.
        const malformed = (error: unknown): never => {
          throw asMultipartError(error);
        };
        for await (const part of multipartParts(request)) {
          if (part.type === 'file' && part.fieldname === 'module') {
            await receiveModule(part.file).catch(malformed);
          } else if (part.type === 'file' && part.fieldname === 'dependencies') {
            if (++dependencyFiles > MAX_DEPENDENCY_FILES) {
              part.file.resume();
              throw invalidInput([{ field: 'body.dependencies', message: `at most ${MAX_DEPENDENCY_FILES} files (e.g. go.mod and go.sum, or Cargo.lock and a .purls list)` }]);
            }
            const content = await readLimited(part.file, DEFAULT_DEPENDENCY_LIMITS.maxBytes, `body.dependencies (${part.filename})`).catch(malformed);
            files.push({ filename: part.filename, content });
          } else if (part.type === 'field' && part.fieldname === 'moduleDigest') {
            if (moduleDigest !== undefined) throw invalidInput([{ field: 'body.moduleDigest', message: 'send it once' }]);
            moduleDigest = String(part.value).trim();
          } else if (part.type === 'field' && part.fieldname === 'purls') {
            files.push({ filename: 'purls.txt', content: String(part.value) });
          } else if (part.type === 'file' && isContractPart(part.fieldname)) {
            const field = part.fieldname;
            if (contract[field] !== undefined) {
              part.file.resume();
              throw invalidInput([{ field: `body.${field}`, message: 'send it once' }]);
            }
            const bytes = await readLimited(part.file, CONTRACT_PART_LIMITS[field], `body.${field}`).catch(malformed);
            contract[field] = { filename: part.filename, bytes };
          } else {
            if (part.type === 'file') part.file.resume();
            throw invalidInput([
              {
                field: `body.${part.fieldname}`,
                message: 'is not a publish part; send `module` (file) or `moduleDigest` (text), `dependencies` (files), `purls` (text), `manifest`, `readme` and `schema` (files)',
              },
            ]);
          }
        }
        return { dependencyFiles: files, contract, ...(moduleDigest === undefined ? {} : { moduleDigest }) };
      },
    };
  }
  throw new RegistryError(
    415,
    'unsupported_media_type',
    'Unsupported media type',
    `send the module as the request body with Content-Type: application/wasm, or as the "module" part of multipart/form-data (got ${JSON.stringify(mediaType || 'none')})`,
  );
}

const CONTRACT_PART_LIMITS = {
  manifest: CONTRACT_LIMITS.manifestBytes,
  readme: CONTRACT_LIMITS.readmeBytes,
  schema: CONTRACT_LIMITS.schemaBytes,
} as const;

function isContractPart(name: string): name is keyof typeof CONTRACT_PART_LIMITS {
  return Object.hasOwn(CONTRACT_PART_LIMITS, name);
}

function parseWait(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_WAIT_SECONDS) {
    throw invalidInput([{ field: 'query.wait', message: `${JSON.stringify(raw)} must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}` }]);
  }
  return Number(raw);
}

function declaredLengthOf(request: FastifyRequest): number | null {
  const header = request.headers['content-length'];
  return header === undefined || !/^\d+$/.test(header) ? null : Number(header);
}
