import { Controller, Get, Head, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ModuleDelivery } from '../../blobs/index.js';
import { DownloadCounter } from '../../downloads/index.js';
import { matchesEtag, sendModule } from '../../http/index.js';
import { OciService } from './oci.service.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
// Tags move (latest) or appear; a short cache keeps pulls cheap without pinning stale answers.
const BY_TAG = 'public, max-age=60';

/**
 * The OCI distribution API's pulls, for Istio's WasmPlugin, skopeo, oras and
 * other OCI clients (pushes, the version check and tokens: libs/oci-push).
 * HTTP only: OciService decides what exists.
 */
@ApiTags('oci')
@Controller('v2')
export class OciController {
  constructor(
    private readonly oci: OciService,
    private readonly counter: DownloadCounter,
    private readonly delivery: ModuleDelivery,
  ) {}

  @Get(':namespace/:name/manifests/:reference')
  @ApiOperation({
    summary: 'Get a manifest by tag or digest (OCI)',
    description:
      'The repository is <namespace>/<plugin>; tags are the ready versions (yanked ones too) and `latest`. The module manifest is ' +
      'the Wasm image Istio pulls (config application/vnd.module.wasm.config.v1+json, one layer ' +
      'application/vnd.module.wasm.content.layer.v1+wasm holding the module). Docker-Content-Digest is the manifest digest, which ' +
      'an Istio WasmPlugin with an oci:// url pins as sha256. Errors are OCI error bodies.',
  })
  @ApiParam({ name: 'reference', description: 'A version, `latest`, or sha256:<hex> of a manifest.' })
  @ApiProduces('application/vnd.oci.image.manifest.v1+json')
  @ApiResponse({ status: 200, description: 'The manifest, byte for byte as stored.' })
  @ApiResponse({ status: 404, description: 'OCI error NAME_UNKNOWN or MANIFEST_UNKNOWN.' })
  async manifest(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('reference') reference: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const manifest = await this.oci.manifest(namespace, name, reference);
    const etag = `"${manifest.digest}"`;
    if (request.method !== 'HEAD') await this.oci.markManifestPulled(namespace, name, reference, manifest);
    void reply
      .header('docker-distribution-api-version', 'registry/2.0')
      .header('docker-content-digest', manifest.digest)
      .header('etag', etag)
      .header('cache-control', reference.startsWith('sha256:') ? IMMUTABLE : BY_TAG)
      .header('content-type', manifest.mediaType)
      .header('content-length', manifest.content.length);
    if (matchesEtag(request.headers['if-none-match'], etag)) return void reply.status(304).send();
    return void reply.status(200).send(request.method === 'HEAD' ? undefined : manifest.content);
  }

  @Head(':namespace/:name/manifests/:reference')
  @ApiOperation({ summary: 'Manifest headers (OCI)' })
  @ApiResponse({ status: 200, description: 'Docker-Content-Digest, Content-Type and Content-Length; no body.' })
  headManifest(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('reference') reference: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.manifest(namespace, name, reference, request, reply);
  }

  @Get(':namespace/:name/blobs/:digest')
  @ApiOperation({
    summary: 'Get a blob (OCI)',
    description: 'The module layer is the stored module (the same object as /api/v1/blobs/{digest}; ranges, ETag, presigned redirects; counted as a download); config, SBOM and bundle layers are small stored blobs.',
  })
  @ApiProduces('application/octet-stream')
  @ApiResponse({ status: 200, description: 'The blob.' })
  @ApiResponse({ status: 206, description: 'Part of the blob.' })
  @ApiResponse({ status: 404, description: 'OCI error BLOB_UNKNOWN or NAME_UNKNOWN.' })
  async blob(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('digest') digest: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const blob = await this.oci.blob(namespace, name, digest);
    void reply.header('docker-distribution-api-version', 'registry/2.0').header('docker-content-digest', blob.digest);
    if (blob.kind === 'small') {
      void reply.header('etag', `"${blob.digest}"`).header('cache-control', IMMUTABLE).header('content-type', 'application/octet-stream').header('content-length', blob.content.length);
      return void reply.status(200).send(request.method === 'HEAD' ? undefined : blob.content);
    }
    // The layer is the stored object itself: same ranges and redirects as /api/v1/blobs. A module counts as
    // a download; a pushed config or layer (a tar holding the module) does not: its manifest was counted.
    const versionId = blob.kind === 'module' ? blob.versionId : null;
    await sendModule(request, reply, {
      ...this.delivery.source(blob.digest),
      digest: blob.digest,
      size: blob.size,
      cacheControl: IMMUTABLE,
      contentType: 'application/octet-stream',
      markDownloaded: () => (versionId === null ? Promise.resolve() : this.oci.markLayerPulled(namespace, name, blob.digest)),
      missing: () => this.oci.layerMissing(namespace, name, blob.digest),
      onDownload: () => (versionId === null ? undefined : this.counter.record(versionId)),
      route: 'oci',
    });
  }

  @Head(':namespace/:name/blobs/:digest')
  @ApiOperation({ summary: 'Blob headers (OCI)' })
  @ApiResponse({ status: 200, description: 'Docker-Content-Digest and Content-Length; no body.' })
  headBlob(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('digest') digest: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.blob(namespace, name, digest, request, reply);
  }

  @Get(':namespace/:name/tags/list')
  @ApiOperation({ summary: 'List tags (OCI)', description: 'Lexical order; `n` and `last` paginate, with a Link header to the next page.' })
  @ApiQuery({ name: 'n', required: false, schema: { type: 'integer', minimum: 0, maximum: 1000 } })
  @ApiQuery({ name: 'last', required: false })
  @ApiResponse({ status: 200, description: '{"name": "<namespace>/<plugin>", "tags": [...]}' })
  async tags(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Query('n') n: string | undefined,
    @Query('last') last: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const page = await this.oci.tags(namespace, name, n, last);
    if (page.next !== null) {
      const query = new URLSearchParams({ ...(n !== undefined ? { n } : {}), last: page.next });
      void reply.header('link', `</v2/${namespace}/${name}/tags/list?${query.toString()}>; rel="next"`);
    }
    void reply.header('docker-distribution-api-version', 'registry/2.0').header('content-type', 'application/json').send(JSON.stringify({ name: page.name, tags: page.tags }));
  }

  @Get(':namespace/:name/referrers/:digest')
  @ApiOperation({
    summary: 'List the artifacts referring to a manifest (OCI referrers)',
    description: 'An image index of the SBOM (application/vnd.cyclonedx+json) and Sigstore bundles (application/vnd.dev.sigstore.bundle.v0.3+json) whose subject is the module manifest.',
  })
  @ApiQuery({ name: 'artifactType', required: false, example: 'application/vnd.cyclonedx+json' })
  @ApiProduces('application/vnd.oci.image.index.v1+json')
  @ApiResponse({ status: 200, description: 'The image index; OCI-Filters-Applied: artifactType when filtered.' })
  async referrers(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('digest') digest: string,
    @Query('artifactType') artifactType: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { index, filtered } = await this.oci.referrers(namespace, name, digest, artifactType);
    if (filtered) void reply.header('oci-filters-applied', 'artifactType');
    void reply.header('docker-distribution-api-version', 'registry/2.0').header('content-type', 'application/vnd.oci.image.index.v1+json').send(index);
  }
}
