import { Controller, Delete, Get, Headers, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ociError } from '../../oci/index.js';
import { BlobUploadsService, rangeHeader } from './blob-uploads.service.js';
import { uploadBody } from './upload-body.js';
import { OciAccessService } from './oci-access.service.js';
import type { UploadSession } from './blob-uploads.repository.js';

const UPLOAD_ANSWERS = [
  { status: 401, description: 'OCI error UNAUTHORIZED, with `WWW-Authenticate` naming the token endpoint and the push scope.' },
  { status: 403, description: 'OCI error DENIED: the token may not push into this namespace.' },
] as const;

/** Blob uploads of the OCI distribution spec (push). HTTP only: BlobUploadsService has the rules. */
@ApiTags('oci')
@Controller('v2')
export class BlobUploadsController {
  constructor(
    private readonly uploads: BlobUploadsService,
    private readonly access: OciAccessService,
  ) {}

  @Post(':namespace/:name/blobs/uploads')
  @ApiOperation({
    summary: 'Start a blob upload, upload a whole blob, or mount one (OCI push)',
    description:
      'With `digest` and the blob as the body: a monolithic upload (201). With `mount` and `from` (`<namespace>/<plugin>`): the ' +
      'blob of that repository becomes this one\'s (201), or, when it has no such blob, a session starts (202). Otherwise a ' +
      'session starts (202, `Location` of the session). Blobs are bounded by MAX_MODULE_SIZE (413 SIZE_INVALID).',
  })
  @ApiQuery({ name: 'digest', required: false })
  @ApiQuery({ name: 'mount', required: false })
  @ApiQuery({ name: 'from', required: false })
  @ApiResponse({ status: 201, description: 'The blob is stored (Location, Docker-Content-Digest).' })
  @ApiResponse({ status: 202, description: 'A session started (Location, Range, Docker-Upload-UUID).' })
  @ApiResponse(UPLOAD_ANSWERS[0])
  @ApiResponse(UPLOAD_ANSWERS[1])
  async start(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Query('digest') digest: string | undefined,
    @Query('mount') mount: string | undefined,
    @Query('from') from: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const repository = { namespace, plugin: name };
    const principal = await this.access.pusher(authorization, repository);
    const started = await this.uploads.start(principal, repository, { digest, mount, from }, uploadBody(request));
    if (started.kind === 'blob') return void blobCreated(reply, namespace, name, started.digest);
    sessionAnswer(reply.status(202), namespace, name, started.session);
  }

  @Patch(':namespace/:name/blobs/uploads/:session')
  @ApiOperation({
    summary: 'Upload a chunk (OCI push)',
    description: 'Chunks come in order; `Content-Range: <start>-<end>` (optional) must start at the bytes received so far, else 416 with the session\'s `Range`.',
  })
  @ApiParam({ name: 'session', description: 'The session id from the Location of POST.', example: '0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b' })
  @ApiResponse({ status: 202, description: 'Accepted (Location, Range: 0-<last byte>).' })
  @ApiResponse({ status: 404, description: 'OCI error BLOB_UPLOAD_UNKNOWN: no such session for this token (or it expired).' })
  @ApiResponse({ status: 416, description: 'OCI error BLOB_UPLOAD_INVALID: the chunk is out of order.' })
  async append(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('session') session: string,
    @Headers('authorization') authorization: string | undefined,
    @Headers('content-range') contentRange: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const repository = { namespace, plugin: name };
    const principal = await this.access.pusher(authorization, repository);
    const updated = await this.uploads.append(principal, repository, session, contentRange, uploadBody(request));
    sessionAnswer(reply.status(202), namespace, name, updated);
  }

  @Put(':namespace/:name/blobs/uploads/:session')
  @ApiOperation({ summary: 'Finish a blob upload (OCI push)', description: 'With `digest` (required) and, optionally, the last chunk as the body. The digest of all the bytes must match (400 DIGEST_INVALID otherwise; nothing is kept).' })
  @ApiParam({ name: 'session', description: 'The session id from the Location of POST.', example: '0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b' })
  @ApiQuery({ name: 'digest', required: true })
  @ApiResponse({ status: 201, description: 'The blob is stored (Location, Docker-Content-Digest).' })
  @ApiResponse({ status: 400, description: 'OCI error DIGEST_INVALID.' })
  async finish(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('session') session: string,
    @Query('digest') digest: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const repository = { namespace, plugin: name };
    const principal = await this.access.pusher(authorization, repository);
    const stored = await this.uploads.finish(principal, repository, session, digest, uploadBody(request));
    blobCreated(reply, namespace, name, stored);
  }

  @Get(':namespace/:name/blobs/uploads/:session')
  @ApiOperation({ summary: 'Status of a blob upload (OCI push)', description: '204 with `Range: 0-<last byte>` received so far: a client resumes from there.' })
  @ApiParam({ name: 'session', description: 'The session id from the Location of POST.', example: '0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b' })
  @ApiResponse({ status: 204, description: 'Location, Range, Docker-Upload-UUID.' })
  async status(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('session') session: string,
    @Headers('authorization') authorization: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const repository = { namespace, plugin: name };
    const principal = await this.access.pusher(authorization, repository);
    sessionAnswer(reply.status(204), namespace, name, await this.uploads.status(principal, repository, session));
  }

  @Delete(':namespace/:name/blobs/uploads/:session')
  @ApiOperation({ summary: 'Cancel a blob upload (OCI push)' })
  @ApiParam({ name: 'session', description: 'The session id from the Location of POST.', example: '0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b' })
  @ApiResponse({ status: 204, description: 'The session and its chunks are gone.' })
  async cancel(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('session') session: string,
    @Headers('authorization') authorization: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const repository = { namespace, plugin: name };
    const principal = await this.access.pusher(authorization, repository);
    await this.uploads.cancel(principal, repository, session);
    void reply.status(204).header('docker-distribution-api-version', 'registry/2.0').send();
  }

  @Delete(':namespace/:name/blobs/:digest')
  @ApiOperation({
    summary: 'Delete a blob: refused (405 UNSUPPORTED)',
    description: 'Blobs are content-addressed and shared by versions; a pushed blob that no manifest names is swept by itself (OCI_UNREFERENCED_BLOB_TTL_MS).',
  })
  @ApiResponse({ status: 405, description: 'OCI error UNSUPPORTED.' })
  deleteBlob(): never {
    throw ociError(405, 'UNSUPPORTED', 'blobs are not deleted over OCI: they are shared by versions, which never change; a pushed blob no manifest names is removed after OCI_UNREFERENCED_BLOB_TTL_MS');
  }
}

function blobCreated(reply: FastifyReply, namespace: string, name: string, digest: string): void {
  void reply
    .status(201)
    .header('docker-distribution-api-version', 'registry/2.0')
    .header('location', `/v2/${namespace}/${name}/blobs/${digest}`)
    .header('docker-content-digest', digest)
    .header('content-length', 0)
    .send();
}

function sessionAnswer(reply: FastifyReply, namespace: string, name: string, session: UploadSession): void {
  void reply
    .header('docker-distribution-api-version', 'registry/2.0')
    .header('location', `/v2/${namespace}/${name}/blobs/uploads/${session.id}`)
    .header('range', rangeHeader(session.received))
    .header('docker-upload-uuid', session.id)
    .header('content-length', 0)
    .send();
}
