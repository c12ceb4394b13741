import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { invalidInput, type FieldProblem, textProblem } from '../../domain/index.js';
import { ApiProblems } from '../../http/index.js';
import { AdminOnly, Authenticated, CurrentPrincipal, type Principal } from '../../auth/index.js';
import { CurrentTokenView, IssuedTokenView, TokenRequestBody, TokenView } from './token.views.js';
import type { StoredToken } from './tokens.repository.js';
import { TokensService, type TokenRequest } from './tokens.service.js';

@ApiTags('tokens')
@Controller('api/v1/tokens')
@AdminOnly()
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Post()
  @ApiOperation({ summary: 'Issue an API token (admin)', description: 'The secret is in the response once; only its hash is stored.' })
  @ApiCreatedResponse({ type: IssuedTokenView })
  @ApiProblems(400, 401, 403, 404)
  async issue(@CurrentPrincipal() principal: Principal, @Body() body: TokenRequestBody): Promise<IssuedTokenView> {
    const { token, secret } = await this.tokens.issue(principal, parseTokenRequest(body));
    return { ...toView(token), token: secret };
  }

  @Get()
  @ApiOperation({ summary: 'List API tokens (admin)' })
  @ApiOkResponse({ type: [TokenView] })
  @ApiProblems(401, 403)
  async list(@CurrentPrincipal() principal: Principal): Promise<TokenView[]> {
    return (await this.tokens.list(principal)).map(toView);
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an API token (admin)' })
  @ApiOkResponse({ type: TokenView })
  @ApiProblems(401, 403, 404)
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<TokenView> {
    return toView(await this.tokens.revoke(principal, id));
  }
}

/** The caller's own token: what `wpr whoami` asks before a publish. */
@ApiTags('tokens')
@Controller('api/v1/tokens/current')
@Authenticated()
export class CurrentTokenController {
  @Get()
  @ApiOperation({ summary: 'The calling token', description: 'Which token the bearer is, and the namespaces it may publish into (every one for an admin).' })
  @ApiOkResponse({ type: CurrentTokenView })
  @ApiProblems(401)
  current(@CurrentPrincipal() principal: Principal): CurrentTokenView {
    return { id: principal.tokenId, name: principal.tokenName, admin: principal.admin, namespaces: [...principal.namespaces].sort() };
  }
}

function toView(token: StoredToken): TokenView {
  return {
    id: token.id,
    name: token.name,
    tokenPrefix: token.tokenPrefix,
    admin: token.admin,
    namespaces: token.namespaces,
    createdAt: token.createdAt.toISOString(),
    expiresAt: token.expiresAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
  };
}

function parseTokenRequest(input: unknown): TokenRequest {
  const problems: FieldProblem[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidInput([{ field: 'body', message: 'must be a JSON object with name, namespaces, admin and expiresAt' }]);
  }
  const body = input as Record<string, unknown>;
  const allowed = ['name', 'namespaces', 'admin', 'expiresAt'];
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) problems.push({ field: `body.${key}`, message: `is not a token field; allowed: ${allowed.join(', ')}` });
  }
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (name.length < 1 || name.length > 100) problems.push({ field: 'body.name', message: 'must be a string of 1-100 characters' });
  else {
    // The name is shown in lists and logged with what the token does: one printable line.
    const text = textProblem('body.name', name);
    if (text !== null) problems.push(text);
  }
  const namespaces = body.namespaces ?? [];
  if (!Array.isArray(namespaces) || namespaces.some((n) => typeof n !== 'string')) {
    problems.push({ field: 'body.namespaces', message: 'must be an array of namespace names' });
  }
  const admin = body.admin ?? false;
  if (typeof admin !== 'boolean') problems.push({ field: 'body.admin', message: 'must be true or false' });
  let expiresAt: Date | null = null;
  if (body.expiresAt !== undefined && body.expiresAt !== null) {
    expiresAt = typeof body.expiresAt === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(body.expiresAt) ? new Date(body.expiresAt) : new Date(NaN);
    if (Number.isNaN(expiresAt.getTime())) problems.push({ field: 'body.expiresAt', message: 'must be an RFC 3339 date-time such as 2027-01-31T00:00:00Z' });
  }
  if (problems.length > 0) throw invalidInput(problems);
  return { name, namespaces: namespaces as string[], admin: admin as boolean, expiresAt };
}
