import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiParam, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal, type Principal } from '../../auth/index.js';
import { ApiProblems } from '../../http/index.js';
import { AdvisoriesService, FEED_PAGE_DEFAULT, FEED_PAGE_MAX, MAX_WITHDRAWAL_REASON_LENGTH } from './advisories.service.js';
import { ADVISORY_BODY_SCHEMA, AdvisoryFeedView, OsvRecordView, PluginAdvisoriesView } from './advisories.views.js';

@ApiTags('advisories')
@Controller('api/v1')
export class AdvisoriesController {
  constructor(private readonly advisories: AdvisoriesService) {}

  @Post('plugins/:namespace/:name/advisories')
  @Authenticated()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Publish an advisory',
    description:
      'On version ranges of the plugin (OSV SEMVER semantics: pre-releases are inside a range like any version). The registry ' +
      'assigns the id and computes the CVSS base score. Needs rights on the namespace; recorded in the audit log. Answers the OSV record.',
  })
  @ApiBody({ schema: { ...ADVISORY_BODY_SCHEMA, required: ['summary', 'severity', 'affected'] } as never })
  @ApiCreatedResponse({ type: OsvRecordView })
  @ApiProblems(400, 401, 403, 404)
  publish(@CurrentPrincipal() principal: Principal, @Param('namespace') namespace: string, @Param('name') name: string, @Body() body: unknown): Promise<OsvRecordView> {
    return this.advisories.publish(principal, namespace, name, body);
  }

  @Get('plugins/:namespace/:name/advisories')
  @ApiOperation({ summary: 'A plugin\'s advisories (OSV)', description: 'Every advisory of the plugin, withdrawn ones included, newest first.' })
  @ApiOkResponse({ type: PluginAdvisoriesView })
  @ApiProblems(400, 404)
  async listForPlugin(@Param('namespace') namespace: string, @Param('name') name: string): Promise<PluginAdvisoriesView> {
    return { advisories: await this.advisories.listForPlugin(namespace, name) };
  }

  @Get('advisories')
  @ApiOperation({
    summary: 'The advisory feed (OSV)',
    description:
      'Every advisory of the registry in the order it last changed, withdrawn ones included, for scanners and mirrors: page with ' +
      '`cursor`, and poll with `modifiedSince` set a little before the newest `modified` you have (a change committing late may carry an earlier time).',
  })
  @ApiQuery({ name: 'modifiedSince', required: false, description: 'RFC 3339; only advisories modified at or after it.' })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: FEED_PAGE_MAX, default: FEED_PAGE_DEFAULT } })
  @ApiOkResponse({ type: AdvisoryFeedView })
  @ApiProblems(400)
  feed(@Query('modifiedSince') modifiedSince?: string, @Query('cursor') cursor?: string, @Query('limit') limit?: string): Promise<AdvisoryFeedView> {
    return this.advisories.feed({ modifiedSince, cursor, limit });
  }

  @Get('advisories/:id')
  @ApiParam({ name: 'id', description: 'The advisory id.', example: 'WPR-2345-6789-cfgh' })
  @ApiOperation({ summary: 'One advisory (OSV)' })
  @ApiOkResponse({ type: OsvRecordView })
  @ApiProblems(400, 404)
  get(@Param('id') id: string): Promise<OsvRecordView> {
    return this.advisories.get(id);
  }

  @Patch('advisories/:id')
  @ApiParam({ name: 'id', description: 'The advisory id.', example: 'WPR-2345-6789-cfgh' })
  @Authenticated()
  @ApiOperation({ summary: 'Update an advisory', description: 'Any of the fields; the others stay. `modified` moves. Needs rights on the namespace; audited. A withdrawn advisory is 409.' })
  @ApiBody({ schema: { ...ADVISORY_BODY_SCHEMA, minProperties: 1 } as never })
  @ApiOkResponse({ type: OsvRecordView })
  @ApiProblems(400, 401, 403, 404, 409)
  update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown): Promise<OsvRecordView> {
    return this.advisories.update(principal, id, body);
  }

  @Put('advisories/:id/withdrawal')
  @ApiParam({ name: 'id', description: 'The advisory id.', example: 'WPR-2345-6789-cfgh' })
  @Authenticated()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Withdraw an advisory',
    description: 'For good: it stays in the feed with `withdrawn` set, so mirrors learn of it, and affects no version any more. Needs rights on the namespace; audited.',
  })
  @ApiBody({ schema: { type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: { type: 'string', maxLength: MAX_WITHDRAWAL_REASON_LENGTH } } } })
  @ApiOkResponse({ type: OsvRecordView })
  @ApiProblems(400, 401, 403, 404, 409)
  withdraw(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown): Promise<OsvRecordView> {
    return this.advisories.withdraw(principal, id, body);
  }
}
