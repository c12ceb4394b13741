import { Body, Controller, Delete, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBody, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, Authenticated, CurrentPrincipal, type Principal } from '../../auth/index.js';
import { ApiProblems } from '../../http/index.js';
import { LifecycleService, MAX_REASON_LENGTH } from './lifecycle.service.js';
import { PluginView, VersionView } from './plugin.views.js';
import type { PluginRecord, VersionRecord } from './plugins.repository.js';
import { PluginsService } from './plugins.service.js';

@ApiTags('lifecycle')
@Controller('api/v1/plugins/:namespace/:name')
export class LifecycleController {
  constructor(
    private readonly lifecycle: LifecycleService,
    private readonly plugins: PluginsService,
  ) {}

  @Put('versions/:version/yank')
  @Authenticated()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Yank a version',
    description:
      'The version is no longer "latest" and is marked yanked everywhere, but stays downloadable by version and by digest, so ' +
      'pinned deployments keep working. Only ready versions; yanking again keeps the first reason. Needs rights on the namespace.',
  })
  @ApiBody({
    required: false,
    schema: {
      type: 'object',
      properties: {
        reason: { type: 'string', maxLength: MAX_REASON_LENGTH },
        advisory: { type: 'string', example: 'WPR-2345-6789-cfgh', description: 'An advisory of this plugin that says why; shown with the version and in scans.' },
      },
      additionalProperties: false,
    },
  })
  @ApiOkResponse({ type: VersionView })
  @ApiProblems(400, 401, 403, 404, 409)
  async yank(
    @CurrentPrincipal() principal: Principal,
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: unknown,
  ): Promise<VersionView> {
    return this.answer(await this.lifecycle.yank(principal, { namespace, plugin: name, version }, body), namespace, name, version);
  }

  @Delete('versions/:version/yank')
  @Authenticated()
  @ApiOperation({ summary: 'Un-yank a version', description: 'It may be "latest" again. Needs rights on the namespace.' })
  @ApiOkResponse({ type: VersionView })
  @ApiProblems(400, 401, 403, 404, 409)
  async unyank(
    @CurrentPrincipal() principal: Principal,
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
  ): Promise<VersionView> {
    return this.answer(await this.lifecycle.unyank(principal, { namespace, plugin: name, version }), namespace, name, version);
  }

  @Delete('versions/:version')
  @AdminOnly()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a version nobody can have pinned (admin)',
    description:
      'Only a version that was never downloaded (firstDownloadedAt is null: no download, range, 304, redirect or OCI pull of it, ' +
      'by version or by digest, in any process) and is not pending; otherwise 409 version_in_use: yank it instead. ' +
      'Its number is burned: publishing it again is a 409 version_deleted. The module goes too unless another version has the ' +
      'same digest; every API process stops serving it at once. Recorded in the audit log.',
  })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(400, 401, 403, 404, 409)
  async deleteVersion(
    @CurrentPrincipal() principal: Principal,
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
  ): Promise<void> {
    await this.lifecycle.deleteVersion(principal, { namespace, plugin: name, version });
  }

  @Put('deprecation')
  @Authenticated()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Deprecate a plugin',
    description: 'Marks the plugin deprecated with a message (why, and what to use instead). It stays listed and downloadable. Needs rights on the namespace.',
  })
  @ApiBody({ schema: { type: 'object', required: ['message'], properties: { message: { type: 'string', minLength: 1, maxLength: MAX_REASON_LENGTH } }, additionalProperties: false } })
  @ApiOkResponse({ type: PluginView })
  @ApiProblems(400, 401, 403, 404)
  async deprecate(
    @CurrentPrincipal() principal: Principal,
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Body() body: unknown,
  ): Promise<PluginView> {
    return this.answerPlugin(await this.lifecycle.deprecate(principal, namespace, name, body), namespace, name);
  }

  @Delete('deprecation')
  @Authenticated()
  @ApiOperation({ summary: 'Undeprecate a plugin', description: 'Needs rights on the namespace.' })
  @ApiOkResponse({ type: PluginView })
  @ApiProblems(400, 401, 403, 404)
  async undeprecate(@CurrentPrincipal() principal: Principal, @Param('namespace') namespace: string, @Param('name') name: string): Promise<PluginView> {
    return this.answerPlugin(await this.lifecycle.undeprecate(principal, namespace, name), namespace, name);
  }

  // A record is null only when the row appeared between the first read and the change (a race): read it then.
  private answer(record: VersionRecord | null, namespace: string, name: string, version: string): Promise<VersionView> {
    return record !== null ? this.plugins.committedVersion(record) : this.plugins.getVersion(namespace, name, version);
  }

  private async answerPlugin(record: PluginRecord | null, namespace: string, name: string): Promise<PluginView> {
    if (record !== null) return this.plugins.committedPlugin(record);
    const { versions: _versions, ...plugin } = await this.plugins.getPlugin(namespace, name);
    return plugin;
  }
}
