import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type {} from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { moduleTooLarge, collectingYoungGarbage } from '../../blobs/index.js';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { invalidInput } from '../../domain/index.js';
import { ApiProblems, asMultipartError, multipartParts, RateLimited, readLimited } from '../../http/index.js';
import { BUNDLE_V03_MEDIA_TYPE, StreamedArtifact } from '../../signing/index.js';
import { AttestationsView, PublicKeyView, VerificationView, VerifyRequestBody } from './provenance.views.js';
import { ProvenanceService } from './provenance.service.js';

const CYCLONEDX_JSON = 'application/vnd.cyclonedx+json';
const CYCLONEDX_XML = 'application/vnd.cyclonedx+xml';
const PEM = 'application/x-pem-file';
const MAX_BUNDLE_BYTES = 1024 * 1024;

@ApiTags('provenance')
@Controller('api/v1')
export class ProvenanceController {
  constructor(
    private readonly provenance: ProvenanceService,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  @Get('plugins/:namespace/:name/versions/:version/signature')
  @ApiOperation({
    summary: 'Get the signature of a version\'s module',
    description:
      'A Sigstore bundle v0.3 with a message signature over the module bytes, made with the key at /api/v1/keys. ' +
      'Verify with cosign verify-blob --key, or with openssl: the signature is ECDSA P-256 over SHA-256 of the module.',
  })
  @ApiProduces(BUNDLE_V03_MEDIA_TYPE)
  @ApiResponse({ status: 200, description: 'The bundle.', content: { [BUNDLE_V03_MEDIA_TYPE]: { schema: { type: 'object' } } } })
  @ApiProblems(400, 404, 409)
  async signature(@Param('namespace') namespace: string, @Param('name') name: string, @Param('version') version: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<object> {
    const bundle = await this.provenance.signature(namespace, name, version);
    void reply.header('content-type', BUNDLE_V03_MEDIA_TYPE);
    return bundle;
  }

  @Get('plugins/:namespace/:name/versions/:version/attestations')
  @ApiOperation({
    summary: 'Get the attestations about a version\'s module',
    description: 'Sigstore DSSE bundles whose in-toto statement has the module (name and SHA-256) as subject; the CycloneDX SBOM is the predicate.',
  })
  @ApiOkResponse({ type: AttestationsView })
  @ApiProblems(400, 404, 409)
  attestations(@Param('namespace') namespace: string, @Param('name') name: string, @Param('version') version: string): Promise<AttestationsView> {
    return this.provenance.attestations(namespace, name, version);
  }

  @Get('plugins/:namespace/:name/versions/:version/sbom')
  @ApiOperation({ summary: 'Get the CycloneDX SBOM of a version', description: `CycloneDX 1.6 JSON; XML with Accept: ${CYCLONEDX_XML}, or with format=xml (for plain links).` })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'xml'], description: 'Overrides Accept.' })
  @ApiProduces(CYCLONEDX_JSON, CYCLONEDX_XML)
  @ApiResponse({ status: 200, description: 'The SBOM.', content: { [CYCLONEDX_JSON]: { schema: { type: 'object' } }, [CYCLONEDX_XML]: { schema: { type: 'string' } } } })
  @ApiProblems(400, 404, 409)
  async sbom(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Headers('accept') accept: string | undefined,
    @Query('format') format: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    if (format !== undefined && format !== 'json' && format !== 'xml') {
      throw invalidInput([{ field: 'query.format', message: `${JSON.stringify(format)} is not one of: json, xml` }]);
    }
    const sbom = await this.provenance.sbom(namespace, name, version);
    void reply.header('vary', 'Accept');
    if (format === 'xml' || (format === undefined && prefersXml(accept))) {
      void reply.header('content-type', `${CYCLONEDX_XML}; charset=utf-8`);
      return sbom.xml;
    }
    void reply.header('content-type', CYCLONEDX_JSON);
    return sbom.json;
  }

  @Get('keys')
  @ApiOperation({
    summary: 'The registry\'s public signing keys',
    description: `PEM, newest first (cosign and openssl read the first block), by default or with Accept: ${PEM}; a JSON list with Accept: application/json.`,
  })
  @ApiProduces(PEM, 'application/json')
  @ApiResponse({ status: 200, description: 'The keys.', content: { [PEM]: { schema: { type: 'string' } }, 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/PublicKeyView' } } } } })
  async keys(@Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<PublicKeyView[] | string> {
    const keys = (await this.provenance.publicKeys()).reverse();
    void reply.header('vary', 'Accept');
    if ((accept ?? '').includes('application/json')) return keys;
    void reply.header('content-type', PEM);
    return keys.map((k) => `# key id ${k.keyId} (${k.algorithm})\n${k.publicKeyPem.trim()}\n`).join('');
  }

  @Post('verify')
  @HttpCode(200)
  @RateLimited()
  @ApiOperation({
    summary: 'Verify a Sigstore bundle against a module',
    description:
      'JSON { bundle, digest } checks against a module stored here; multipart/form-data with parts `bundle` (at most 1 MiB) and `module` ' +
      '(at most the registry\'s module size limit, read as it arrives and never held in memory) checks an uploaded module. ' +
      'The report combines @sigstore/verify with the registry\'s own checks that the bundle is about these exact bytes. ' +
      'Anonymous, so limited per client address (429 with Retry-After past the limit).',
  })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({ type: VerifyRequestBody })
  @ApiOkResponse({ type: VerificationView })
  @ApiProblems(400, 404, 408, 413, 429)
  async verify(@Req() request: FastifyRequest, @Body() body: unknown): Promise<VerificationView> {
    if (request.isMultipart()) {
      let bundle: unknown;
      let module: StreamedArtifact | null = null;
      const malformed = (error: unknown): never => {
        throw asMultipartError(error);
      };
      // Parts in any order: the module is hashed (and its signature check begun) as it arrives.
      for await (const part of multipartParts(request)) {
        if (part.type === 'file' && part.fieldname === 'module' && module === null) {
          module = await StreamedArtifact.read(collectingYoungGarbage(part.file)).catch(malformed);
          if (part.file.truncated) throw moduleTooLarge(this.config.maxModuleSize);
        } else if (part.type === 'file' && part.fieldname === 'bundle') {
          bundle = (await readLimited(part.file, MAX_BUNDLE_BYTES, 'body.bundle').catch(malformed)).toString('utf8');
        } else if (part.type === 'field' && part.fieldname === 'bundle') {
          if (part.valueTruncated) throw invalidInput([{ field: 'body.bundle', message: `is larger than ${MAX_BUNDLE_BYTES} bytes` }]);
          bundle = String(part.value);
        } else {
          if (part.type === 'file') part.file.resume();
          throw invalidInput([{ field: `body.${part.fieldname}`, message: 'unexpected part; send one `bundle` and one `module`' }]);
        }
      }
      if (bundle === undefined || module === null) {
        throw invalidInput([{ field: bundle === undefined ? 'body.bundle' : 'body.module', message: 'is required' }]);
      }
      return this.provenance.verify(bundle, { artifact: module });
    }
    const input = (body ?? {}) as { bundle?: unknown; digest?: unknown };
    if (input.bundle === undefined || typeof input.digest !== 'string') {
      throw invalidInput([
        ...(input.bundle === undefined ? [{ field: 'body.bundle', message: 'is required: a Sigstore bundle (JSON)' }] : []),
        ...(typeof input.digest !== 'string' ? [{ field: 'body.digest', message: 'is required: sha256:<hex> of a stored module (or send multipart with the module)' }] : []),
      ]);
    }
    return this.provenance.verify(input.bundle, { digest: input.digest });
  }
}

function prefersXml(accept: string | undefined): boolean {
  return accept !== undefined && (accept.includes(CYCLONEDX_XML) || /(^|[,\s])(application|text)\/xml/.test(accept));
}
