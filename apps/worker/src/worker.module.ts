import { Module, type DynamicModule } from '@nestjs/common';
import { BlobsModule } from '../../../libs/blobs/src/blobs.module.js';
import { ConfigModule } from '../../../libs/config/src/config.module.js';
import type { RegistryConfig } from '../../../libs/config/src/config.js';
import { DatabaseModule } from '../../../libs/db/src/database.module.js';
import { PipelineWorkerModule } from '../../../libs/pipeline/src/pipeline.module.js';
import { VersionsModule } from '../../../libs/versions/src/versions.module.js';
import { VERSION_LIFECYCLE_HOOKS } from '../../version-hooks.js';

/** The worker's modules: the same database, versions' owner and storage as the API, and the pipeline's job runner. */
@Module({})
export class WorkerModule {
  static forRoot(config: RegistryConfig): DynamicModule {
    return { module: WorkerModule, imports: [ConfigModule.forRoot(config), DatabaseModule, VersionsModule.forRoot(VERSION_LIFECYCLE_HOOKS), BlobsModule, PipelineWorkerModule] };
  }
}
