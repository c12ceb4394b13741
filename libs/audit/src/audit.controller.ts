import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../../auth/index.js';
import { nameProblem, invalidInput, type FieldProblem } from '../../domain/index.js';
import { ApiProblems } from '../../http/index.js';
import { AUDIT_ACTIONS, type AuditAction } from './audit-actions.js';
import { AuditLogRepository, type AuditEventRecord } from './audit-log.repository.js';

export class AuditEventView {
  @ApiProperty({ example: '1042', description: 'Increasing with time.' })
  id!: string;
  @ApiProperty({ format: 'date-time' })
  at!: string;
  @ApiProperty({ enum: AUDIT_ACTIONS })
  action!: string;
  @ApiProperty({ example: 'ci-publisher', description: 'The name of the token that acted; "pipeline" for the registry\'s own steps.' })
  actor!: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  actorTokenId!: string | null;
  @ApiProperty({ type: String, nullable: true })
  namespace!: string | null;
  @ApiProperty({ type: String, nullable: true })
  plugin!: string | null;
  @ApiProperty({ type: String, nullable: true })
  version!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'What changed: digest, reason, message, token name and scope (never a secret).' })
  details!: Record<string, unknown>;
}

export class AuditPage {
  @ApiProperty({ type: [AuditEventView] })
  items!: AuditEventView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for older events; null when there are none.' })
  nextCursor!: string | null;
}

const MAX_LIMIT = 200;
const MAX_BIGINT = 2n ** 63n - 1n;

@ApiTags('audit')
@Controller('api/v1/audit')
@AdminOnly()
export class AuditController {
  constructor(private readonly audit: AuditLogRepository) {}

  @Get()
  @ApiOperation({
    summary: 'Read the audit log (admin)',
    description: 'Every change of state, newest first: publish, ready, rejected, failed, retry, yank, deprecate, delete, namespace creation, tokens issued and revoked.',
  })
  @ApiQuery({ name: 'action', required: false, enum: AUDIT_ACTIONS })
  @ApiQuery({ name: 'namespace', required: false })
  @ApiQuery({ name: 'plugin', required: false, description: 'With namespace.' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOkResponse({ type: AuditPage })
  @ApiProblems(400, 401, 403)
  async list(
    @Query('action') action?: string,
    @Query('namespace') namespace?: string,
    @Query('plugin') plugin?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ): Promise<AuditPage> {
    const problems: FieldProblem[] = [];
    if (action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(action)) {
      problems.push({ field: 'query.action', message: `${JSON.stringify(action)} is not one of: ${AUDIT_ACTIONS.join(', ')}` });
    }
    for (const [field, value] of [['query.namespace', namespace], ['query.plugin', plugin]] as const) {
      const problem = value === undefined ? null : nameProblem(field, value);
      if (problem !== null) problems.push(problem);
    }
    const size = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(size) || size < 1 || size > MAX_LIMIT) problems.push({ field: 'query.limit', message: `must be a whole number from 1 to ${MAX_LIMIT}` });
    // Event ids are PostgreSQL bigints: a larger number is no cursor of ours (and PostgreSQL would refuse it).
    if (cursor !== undefined && !(/^\d{1,19}$/.test(cursor) && BigInt(cursor) <= MAX_BIGINT)) problems.push({ field: 'query.cursor', message: 'is not a cursor returned by this endpoint' });
    if (problems.length > 0) throw invalidInput(problems);
    const rows = await this.audit.list({
      ...(action !== undefined ? { action: action as AuditAction } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(plugin !== undefined ? { plugin } : {}),
      ...(cursor !== undefined ? { before: BigInt(cursor) } : {}),
      limit: size + 1,
    });
    const page = rows.slice(0, size);
    return { items: page.map(toView), nextCursor: rows.length > size ? String(page.at(-1)!.id) : null };
  }
}

function toView(row: AuditEventRecord): AuditEventView {
  return { ...row, id: String(row.id), at: row.at.toISOString() };
}
