import { applyDecorators, Body, Controller, Get, Head, Inject, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { Authenticated, CurrentPrincipal } from '../../auth/src/auth.guard.js';
import type { Principal } from '../../auth/src/principal.js';
import { BLOB_STORE } from '../../blobs/src/blobs.module.js';
import type { BlobStore } from '../../blobs/src/blob-store.js';
import { REGISTRY_CONFIG } from '../../config/src/config.module.js';
import type { RegistryConfig } from '../../config/src/config.js';
import { RegistryError } from '../../domain/src/registry-error.js';
import { DownloadCounter } from '../../downloads/src/download-counter.js';
import { ApiProblems } from '../../http/src/api-problems.js';
import { sendModule } from '../../http/src/module-response.js';
import { AnalysisView, PluginDetailView, PluginMetadataBody, PluginPage, PluginView, VersionView } from './plugin.views.js';
import { PluginsService, type DownloadTarget } from './plugins.service.js';
import { PublishService } from './publish.service.js';

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

const VERSION_CACHE_CONTROL = 'public, max-age=300';
const DIGEST_CACHE_CONTROL = 'public, max-age=31536000, immutable';

@ApiTags('plugins')
@Controller('api/v1')
export class PluginsController {
  constructor(
    private readonly plugins: PluginsService,
    private readonly publishing: PublishService,
    private readonly counter: DownloadCounter,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  @Get('plugins')
  @ApiOperation({ summary: 'List plugins', description: 'Ordered by namespace and name; cursor pagination.' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page.' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } })
  @ApiOkResponse({ type: PluginPage })
  @ApiProblems(400)
  listPlugins(@Query('cursor') cursor?: string, @Query('limit') limit?: string): Promise<PluginPage> {
    return this.plugins.listPlugins(cursor, limit);
  }

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
  @ApiProblems(400, 401, 403, 404)
  async savePlugin(
    @CurrentPrincipal() principal: Principal,
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PluginView> {
    const { created } = await this.publishing.savePluginMetadata(principal, namespace, name, body);
    void reply.status(created ? 201 : 200);
    const { versions: _versions, ...plugin } = await this.plugins.getPlugin(namespace, name);
    return plugin;
  }

  @Put('plugins/:namespace/:name/versions/:version')
  @Authenticated()
  @ApiOperation({
    summary: 'Publish a version',
    description:
      'The body is the WebAssembly module, streamed. Versions are immutable: identical bytes return the existing version (200), ' +
      'different bytes are a 409. The first publish of a plugin creates it; an admin token also creates a missing namespace.',
  })
  @ApiParam({ name: 'version', description: 'Semantic version, e.g. 1.0.0 or 1.1.0-rc.1.' })
  @ApiConsumes('application/wasm')
  @ApiBody({ schema: { type: 'string', format: 'binary' }, description: 'The module (core module or component).' })
  @ApiResponse({ status: 200, description: 'These bytes were already published as this version.', type: VersionView })
  @ApiResponse({ status: 201, description: 'Published; the version is pending until processed.', type: VersionView })
  @ApiProblems(400, 401, 403, 404, 409, 413, 415)
  async publish(
    @CurrentPrincipal() principal: Principal,
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<VersionView> {
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (mediaType !== 'application/wasm' || typeof (request.body as Readable | undefined)?.pipe !== 'function') {
      throw new RegistryError(
        415,
        'unsupported_media_type',
        'Unsupported media type',
        `send the module as the request body with Content-Type: application/wasm (got ${JSON.stringify(mediaType || 'none')})`,
      );
    }
    const result = await this.publishing.publish(principal, { namespace, plugin: name, version }, request.body as Readable, declaredLength(request));
    const view = this.plugins.versionView(result.version, 0);
    void reply.status(result.created ? 201 : 200).header('location', view.links.self);
    return view;
  }

  @Get('plugins/:namespace/:name/versions/:version')
  @ApiOperation({ summary: 'Get a version' })
  @ApiOkResponse({ type: VersionView })
  @ApiProblems(400, 404)
  getVersion(@Param('namespace') namespace: string, @Param('name') name: string, @Param('version') version: string): Promise<VersionView> {
    return this.plugins.getVersion(namespace, name, version);
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
    await this.serve(request, reply, await this.plugins.versionDownload(namespace, name, version), VERSION_CACHE_CONTROL);
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
    await this.serve(request, reply, await this.plugins.blobDownload(digest), DIGEST_CACHE_CONTROL);
  }

  @Head('blobs/:digest')
  @ApiOperation({ summary: 'Headers of a module by digest' })
  @ApiResponse({ status: 200, description: 'Size, ETag and caching headers; no body.' })
  @ApiProblems(400, 404)
  headBlob(@Param('digest') digest: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.downloadBlob(digest, request, reply);
  }

  private serve(request: FastifyRequest, reply: FastifyReply, { digest, size, versionId }: DownloadTarget, cacheControl: string): Promise<void> {
    const ttl = this.config.storage.kind === 's3' ? this.config.storage.presignedDownloadTtlSeconds : 0;
    return sendModule(request, reply, {
      digest,
      size,
      cacheControl,
      open: (range) => this.blobs.open(digest, range),
      redirectUrl: () => (ttl > 0 ? this.blobs.signedUrl(digest, ttl) : Promise.resolve(null)),
      onDownload: () => versionId !== null && this.counter.record(versionId),
    });
  }
}

function declaredLength(request: FastifyRequest): number | null {
  const header = request.headers['content-length'];
  return header === undefined || !/^\d+$/.test(header) ? null : Number(header);
}
