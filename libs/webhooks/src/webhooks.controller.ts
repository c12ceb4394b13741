import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiParam, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal, type Principal } from '../../auth/index.js';
import { ApiProblems } from '../../http/index.js';
import { WEBHOOK_EVENT_TYPES } from './webhook-events.js';
import { DELIVERIES_PAGE_DEFAULT, DELIVERIES_PAGE_MAX, MAX_DESCRIPTION_LENGTH, MAX_URL_LENGTH, WebhooksService } from './webhooks.service.js';
import { CreatedWebhookView, RedeliveryView, WebhookDeliveryPage, WebhookListView, WebhookView, deliveryView, webhookView } from './webhooks.views.js';

const properties = {
  url: { type: 'string', format: 'uri', maxLength: MAX_URL_LENGTH, description: 'http(s); must resolve to a public address unless WEBHOOK_ALLOW_PRIVATE_TARGETS=true.' },
  events: { type: 'array', minItems: 1, items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] } },
  namespaces: { type: 'array', maxItems: 100, items: { type: 'string' }, description: 'Default: every namespace for an admin, the token\'s namespaces otherwise.' },
  description: { type: 'string', maxLength: MAX_DESCRIPTION_LENGTH },
};

@ApiTags('webhooks')
@Controller('api/v1/webhooks')
@Authenticated()
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Subscribe to events',
    description:
      'Events are POSTed as CloudEvents 1.0 (structured JSON), signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature: ' +
      'HMAC-SHA256 with the secret answered here, once). At least once, in order per subscription, retried with exponential backoff; ' +
      'a subscription failing for days is disabled and says why. An admin token may follow every namespace, a namespace token its own.',
  })
  @ApiBody({ schema: { type: 'object', required: ['url', 'events'], additionalProperties: false, properties } })
  @ApiCreatedResponse({ type: CreatedWebhookView })
  @ApiProblems(400, 401, 403, 409)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<CreatedWebhookView> {
    const created = await this.webhooks.create(principal, body);
    return { ...webhookView(created), secret: created.secret };
  }

  @Get()
  @ApiOperation({ summary: 'Your webhook subscriptions', description: 'An admin sees all.' })
  @ApiOkResponse({ type: WebhookListView })
  @ApiProblems(401)
  async list(@CurrentPrincipal() principal: Principal): Promise<WebhookListView> {
    return { items: (await this.webhooks.list(principal)).map(webhookView) };
  }

  @Get(':id')
  @ApiParam({ name: 'id', description: 'The subscription id.', example: '0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b' })
  @ApiOperation({ summary: 'One webhook subscription' })
  @ApiOkResponse({ type: WebhookView })
  @ApiProblems(400, 401, 404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<WebhookView> {
    return webhookView(await this.webhooks.get(principal, id));
  }

  @Patch(':id')
  @ApiParam({ name: 'id', description: 'The subscription id.', example: '0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b' })
  @ApiOperation({ summary: 'Change a webhook subscription', description: '`enabled: true` enables it again (and delivers what waited); `false` pauses it.' })
  @ApiBody({ schema: { type: 'object', minProperties: 1, additionalProperties: false, properties: { ...properties, enabled: { type: 'boolean' } } } })
  @ApiOkResponse({ type: WebhookView })
  @ApiProblems(400, 401, 403, 404)
  async update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown): Promise<WebhookView> {
    return webhookView(await this.webhooks.update(principal, id, body));
  }

  @Delete(':id')
  @ApiParam({ name: 'id', description: 'The subscription id.', example: '0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b' })
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook subscription', description: 'With its deliveries, pending ones too.' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(400, 401, 404)
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.webhooks.delete(principal, id);
  }

  @Get(':id/deliveries')
  @ApiParam({ name: 'id', description: 'The subscription id.', example: '0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b' })
  @ApiOperation({ summary: 'Deliveries of a subscription, with their attempts', description: 'Newest first: state, attempts (time, duration, status code, error).' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: DELIVERIES_PAGE_MAX, default: DELIVERIES_PAGE_DEFAULT } })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOkResponse({ type: WebhookDeliveryPage })
  @ApiProblems(400, 401, 404)
  async deliveries(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query('limit') limit?: string, @Query('cursor') cursor?: string): Promise<WebhookDeliveryPage> {
    const page = await this.webhooks.deliveries(principal, id, { limit, cursor });
    return { items: page.items.map(deliveryView), nextCursor: page.nextCursor };
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @ApiParam({ name: 'id', description: 'The subscription id.', example: '0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b' })
  @ApiParam({ name: 'deliveryId', description: 'A delivery id from the deliveries list.', example: '0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5c' })
  @HttpCode(202)
  @ApiOperation({ summary: 'Deliver an event again', description: 'A new delivery (new webhook-id) of the same event, after the subscription\'s others.' })
  @ApiAcceptedResponse({ type: RedeliveryView })
  @ApiProblems(400, 401, 404)
  async redeliver(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<RedeliveryView> {
    return { id: await this.webhooks.redeliver(principal, id, deliveryId) };
  }
}
