import { Module, type DynamicModule } from '@nestjs/common';
import { BlobsModule } from '../../../libs/blobs/index.js';
import { ConfigModule, type RegistryConfig } from '../../../libs/config/index.js';
import { DatabaseModule } from '../../../libs/db/index.js';
import { PipelineWorkerModule } from '../../../libs/pipeline/index.js';
import { RUN_WEBHOOK_DELIVERIES, WebhookDeliverer, WebhooksRepository } from '../../../libs/webhooks/index.js';
import { VersionsModule } from '../../../libs/versions/index.js';
import { HealthService } from '../../../libs/health/index.js';
import { VERSION_LIFECYCLE_HOOKS } from '../../version-hooks.js';

/** The worker's modules: the same database, versions' owner and storage as the API, the pipeline's job runner and the webhook deliverer. */
@Module({})
export class WorkerModule {
  static forRoot(config: RegistryConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule, VersionsModule.forRoot(VERSION_LIFECYCLE_HOOKS), BlobsModule, PipelineWorkerModule],
      providers: [WebhooksRepository, WebhookDeliverer, { provide: RUN_WEBHOOK_DELIVERIES, useValue: true }, HealthService],
    };
  }
}
