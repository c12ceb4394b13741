import { Controller, Delete, Headers, Param, Put, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ManifestPushService } from './manifest-push.service.js';
import { OciAccessService } from './oci-access.service.js';
import { uploadBody } from './upload-body.js';

/** Manifest pushes of the OCI distribution spec. HTTP only: ManifestPushService says what a push means. */
@ApiTags('oci')
@Controller('v2')
export class ManifestPushController {
  constructor(
    private readonly pushes: ManifestPushService,
    private readonly access: OciAccessService,
  ) {}

  @Put(':namespace/:name/manifests/:reference')
  @ApiOperation({
    summary: 'Push a manifest (OCI push)',
    description:
      'By tag: the tag is a version (strict semver; a leading `v` is dropped) and the Wasm image (the solo.io/Istio "oci" ' +
      'variant, Istio\'s "compat" tar variant, a Higress plugin image, or the CNCF wasm layout of wkg/runwasi) becomes that ' +
      'version, `pending`, through the same checks and pipeline as PUT /api/v1/plugins/{namespace}/{name}/versions/{version}; ' +
      'the manifest is kept byte for byte and is what clients pull and pin. The same manifest again: 201, nothing changes; ' +
      'another manifest for an existing version: 409 DENIED naming both digests. By digest: an index, or a referrer (a signature ' +
      'or SBOM with a `subject`), stored and served as pushed; no version. OCI and Docker v2 schema 2 media types; at most 4 MiB.',
  })
  @ApiParam({ name: 'reference', description: 'A version tag (1.2.0 or v1.2.0), or sha256:<hex> of the manifest.' })
  @ApiResponse({ status: 201, description: 'Stored (Location, Docker-Content-Digest; OCI-Subject when the manifest has a subject).' })
  @ApiResponse({ status: 400, description: 'OCI error MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN, TAG_INVALID or DIGEST_INVALID, saying what was wrong.' })
  @ApiResponse({ status: 401, description: 'OCI error UNAUTHORIZED, with the challenge.' })
  @ApiResponse({ status: 403, description: 'OCI error DENIED: the token may not push into this namespace.' })
  @ApiResponse({ status: 409, description: 'OCI error DENIED: the version exists with another manifest.' })
  async push(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('reference') reference: string,
    @Headers('authorization') authorization: string | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const repository = { namespace, plugin: name };
    const principal = await this.access.pusher(authorization, repository);
    const pushed = await this.pushes.push(principal, repository, reference, contentType, uploadBody(request));
    void reply
      .status(201)
      .header('docker-distribution-api-version', 'registry/2.0')
      .header('location', `/v2/${namespace}/${name}/manifests/${pushed.digest}`)
      .header('docker-content-digest', pushed.digest)
      .header('content-length', 0);
    if (pushed.subjectDigest !== null) void reply.header('oci-subject', pushed.subjectDigest);
    void reply.send();
  }

  @Delete(':namespace/:name/manifests/:reference')
  @ApiOperation({
    summary: 'Delete a manifest pushed by digest (OCI)',
    description: 'Only manifests pushed by digest (an index, a publisher\'s signature) are deleted; tags are versions, which never change (405 UNSUPPORTED).',
  })
  @ApiResponse({ status: 202, description: 'Deleted.' })
  @ApiResponse({ status: 405, description: 'OCI error UNSUPPORTED: a tag, or the image of a version.' })
  async delete(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('reference') reference: string,
    @Headers('authorization') authorization: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const repository = { namespace, plugin: name };
    await this.access.pusher(authorization, repository);
    await this.pushes.delete(repository, reference);
    void reply.status(202).header('docker-distribution-api-version', 'registry/2.0').header('content-length', 0).send();
  }
}
