import { Controller, Get, Head, Headers, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { OciAccessService } from './oci-access.service.js';

/** The version check every OCI client starts with, and the token endpoint its 401s point to. HTTP only. */
@ApiTags('oci')
@Controller('v2')
export class OciAccessController {
  constructor(private readonly access: OciAccessService) {}

  @Get()
  @ApiOperation({
    summary: 'OCI API version check',
    description:
      '200 `{}` (Docker-Distribution-API-Version: registry/2.0) with a credential; without one, 401 with ' +
      '`WWW-Authenticate: Bearer realm="<PUBLIC_URL>/v2/token",service="<host>"`, as Docker Distribution behind a token ' +
      'server answers: clients then get a token (anonymous ones pull) and go on. Pulls themselves need no token.',
  })
  @ApiResponse({ status: 200, description: 'The OCI distribution API is here and the credential is good.' })
  @ApiResponse({ status: 401, description: 'OCI error UNAUTHORIZED, with the challenge.' })
  async base(@Headers('authorization') authorization: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    await this.access.checkCredential(authorization);
    void reply.header('docker-distribution-api-version', 'registry/2.0').header('content-type', 'application/json').send('{}');
  }

  @Head()
  @ApiOperation({ summary: 'OCI API version check (headers only)' })
  async headBase(@Headers('authorization') authorization: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    await this.access.checkCredential(authorization);
    void reply.header('docker-distribution-api-version', 'registry/2.0').header('content-type', 'application/json').header('content-length', 2).send();
  }

  @Get('token')
  @ApiOperation({
    summary: 'Get a short-lived token for /v2 (Docker token protocol)',
    description:
      'Basic credentials: any user name, a registry token (wpr_…) as the password; none for anonymous pulls. Each ' +
      '`scope` (`repository:<namespace>/<plugin>:pull,push`, repeatable) is granted as far as the credential allows: ' +
      'pull always, push into the token\'s namespaces. The token lives 300 s and stops working when its registry token is revoked.',
  })
  @ApiQuery({ name: 'service', required: false, description: 'The service of the challenge (the registry host).' })
  @ApiQuery({ name: 'scope', required: false, description: 'repository:<namespace>/<plugin>:pull,push; may be repeated.' })
  @ApiResponse({ status: 200, description: '{"token", "access_token", "expires_in", "issued_at"}' })
  @ApiResponse({ status: 401, description: 'OCI error UNAUTHORIZED: the credentials are wrong, revoked or expired.' })
  async token(
    @Headers('authorization') authorization: string | undefined,
    @Query('scope') scope: string | string[] | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const scopes = scope === undefined ? [] : Array.isArray(scope) ? scope : [scope];
    const issued = await this.access.issueToken(authorization, scopes);
    void reply
      .header('cache-control', 'no-store')
      .header('content-type', 'application/json')
      .send(JSON.stringify({ token: issued.token, access_token: issued.token, expires_in: issued.expiresInSeconds, issued_at: issued.issuedAt.toISOString() }));
  }
}
