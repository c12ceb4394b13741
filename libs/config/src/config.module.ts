import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { RegistryConfig } from './config.js';

export const REGISTRY_CONFIG = Symbol('RegistryConfig');

/** Hands the configuration parsed at boot to every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: RegistryConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: REGISTRY_CONFIG, useValue: config }],
      exports: [REGISTRY_CONFIG],
    };
  }
}
