import { Controller, Get, Param, Put, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminOnly, CurrentPrincipal, type Principal } from '../../auth/index.js';
import { ApiProblems } from '../../http/index.js';
import { NamespacesService } from './namespaces.service.js';
import { NamespaceView } from './plugin.views.js';

@ApiTags('namespaces')
@Controller('api/v1/namespaces')
export class NamespacesController {
  constructor(private readonly namespaces: NamespacesService) {}

  @Get(':namespace')
  @ApiOperation({ summary: 'Get a namespace (publisher) and its plugins' })
  @ApiOkResponse({ type: NamespaceView })
  @ApiProblems(400, 404)
  getNamespace(@Param('namespace') namespace: string): Promise<NamespaceView> {
    return this.namespaces.getNamespace(namespace);
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
    const result = await this.namespaces.createNamespace(principal, namespace);
    void reply.status(result.created ? 201 : 200);
    return result.namespace;
  }
}
