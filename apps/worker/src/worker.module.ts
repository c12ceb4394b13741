import { Module, type DynamicModule } from '@nestjs/common';
import { BlobsModule } from '../../../libs/blobs/index.js';
import { ConfigModule, type RegistryConfig } from '../../../libs/config/index.js';
import { DatabaseModule } from '../../../libs/db/index.js';
import { PipelineWorkerModule } from '../../../libs/pipeline/index.js';
import { VersionsModule } from '../../../libs/versions/index.js';
import { VERSION_LIFECYCLE_HOOKS } from '../../version-hooks.js';

/** The worker's modules: the same database, versions' owner and storage as the API, and the pipeline's job runner. */
@Module({})
export class WorkerModule {
  static forRoot(config: RegistryConfig): DynamicModule {
    return { module: WorkerModule, imports: [ConfigModule.forRoot(config), DatabaseModule, VersionsModule.forRoot(VERSION_LIFECYCLE_HOOKS), BlobsModule, PipelineWorkerModule] };
  }
}
