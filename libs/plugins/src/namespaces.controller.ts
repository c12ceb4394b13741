import { Controller, Get, Param, Put, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminOnly, CurrentPrincipal, actorOf, type Principal } from '../../auth/index.js';
import { assertNames } from '../../domain/index.js';
import { ApiProblems } from '../../http/index.js';
import { NamespaceView } from './plugin.views.js';
import { PluginsRepository } from './plugins.repository.js';
import { PluginsService } from './plugins.service.js';

@ApiTags('namespaces')
@Controller('api/v1/namespaces')
export class NamespacesController {
  constructor(
    private readonly plugins: PluginsService,
    private readonly repository: PluginsRepository,
  ) {}

  @Get(':namespace')
  @ApiOperation({ summary: 'Get a namespace (publisher) and its plugins' })
  @ApiOkResponse({ type: NamespaceView })
  @ApiProblems(400, 404)
  getNamespace(@Param('namespace') namespace: string): Promise<NamespaceView> {
    return this.plugins.getNamespace(namespace);
  }

  @Put(':namespace')
  @AdminOnly()
  @ApiOperation({ summary: 'Create a namespace (admin)', description: 'Idempotent: 201 when created, 200 when it already existed.' })
  @ApiResponse({ status: 200, description: 'Already existed.', type: NamespaceView })
  @ApiResponse({ status: 201, description: 'Created.', type: NamespaceView })
  @ApiProblems(400, 401, 403)
  async createNamespace(
    @CurrentPrincipal() principal: Principal,
    @Param('namespace') namespace: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<NamespaceView> {
    assertNames({ 'path.namespace': namespace });
    const { namespace: record, created } = await this.repository.ensureNamespace(namespace, actorOf(principal));
    void reply.status(created ? 201 : 200);
    return this.plugins.committedNamespace(record);
  }
}
