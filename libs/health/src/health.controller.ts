import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../../http/index.js';
import { HealthService } from './health.service.js';
import { LiveView, ReadyView } from './health.views.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiOkResponse({ type: LiveView })
  live(): LiveView {
    return this.health.live();
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database, the storage and the job queue answer', description: '503 names the failing part.' })
  @ApiOkResponse({ type: ReadyView })
  @ApiProblems(503)
  ready(): Promise<ReadyView> {
    return this.health.ready();
  }
}
