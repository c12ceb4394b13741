import { Controller, Get, Header, HttpCode, Inject, NotFoundException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { REGISTRY_CONFIG, type RegistryConfig } from '../../config/index.js';
import { currentTelemetry, PROMETHEUS_CONTENT_TYPE } from '../../telemetry/index.js';

@ApiTags('health')
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig) {}

  @Get()
  @HttpCode(200)
  @Header('content-type', PROMETHEUS_CONTENT_TYPE)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Metrics in the Prometheus text format',
    description: 'HTTP requests by route, downloads, publishes, pipeline steps, queue and outbox, storage errors, caches. 404 when METRICS_PORT serves them apart.',
  })
  @ApiProduces(PROMETHEUS_CONTENT_TYPE)
  @ApiOkResponse({ schema: { type: 'string' } })
  async metrics(): Promise<string> {
    const telemetry = currentTelemetry();
    // Served on METRICS_PORT instead, so that it need not be public.
    if (this.config.metricsPort !== null || telemetry === null) throw new NotFoundException();
    return telemetry.prometheusText();
  }
}
