import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AdminOnly, CurrentPrincipal, type Principal } from '../../auth/index.js';
import { ApiProblems } from '../../http/index.js';
import { AUDIT_ACTIONS } from './audit-actions.js';
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, AuditService } from './audit.service.js';
import { AuditPage } from './audit.views.js';

@ApiTags('audit')
@Controller('api/v1/audit')
@AdminOnly()
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary: 'Read the audit log (admin)',
    description: 'Every change of state, newest first: publish, ready, rejected, failed, retry, yank, deprecate, delete, namespace creation, tokens issued and revoked.',
  })
  @ApiQuery({ name: 'action', required: false, enum: AUDIT_ACTIONS })
  @ApiQuery({ name: 'namespace', required: false })
  @ApiQuery({ name: 'plugin', required: false, description: 'With namespace.' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: AUDIT_PAGE_MAX, default: AUDIT_PAGE_DEFAULT } })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOkResponse({ type: AuditPage })
  @ApiProblems(400, 401, 403)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query('action') action?: string,
    @Query('namespace') namespace?: string,
    @Query('plugin') plugin?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ): Promise<AuditPage> {
    return this.audit.list(principal, { action, namespace, plugin, limit, cursor });
  }
}
