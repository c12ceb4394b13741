import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import { VERSION_HOOKS, type VersionLifecycleHook } from './version-hooks.js';
import { VersionsRepository } from './versions.repository.js';

/**
 * The owner of a version's life, with the hooks that react to its changes
 * (each process lists them once, in the order they run). Global: every library
 * that reads or changes versions asks VersionsRepository.
 */
@Global()
@Module({})
export class VersionsModule {
  static forRoot(hooks: readonly Type<VersionLifecycleHook>[]): DynamicModule {
    return {
      module: VersionsModule,
      providers: [
        ...hooks,
        { provide: VERSION_HOOKS, inject: [...hooks], useFactory: (...instances: VersionLifecycleHook[]) => instances },
        VersionsRepository,
      ],
      exports: [VersionsRepository],
    };
  }
}
