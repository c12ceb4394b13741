// Plugins and their versions: publishing, reading, downloading, trying in the sandbox, the lifecycle (deprecate, yank, delete) and namespaces.
export { LifecycleController } from './src/lifecycle.controller.js';
export { LifecycleRepository } from './src/lifecycle.repository.js';
export { LifecycleService } from './src/lifecycle.service.js';
export { NamespacesController } from './src/namespaces.controller.js';
export { NamespacesService } from './src/namespaces.service.js';
export { ContractsController, YAML_MEDIA_TYPES } from './src/contracts.controller.js';
export { ContractsService, type CheckedConfiguration, type ConfigurationInput } from './src/contracts.service.js';
export { FindingView, PluginDetailView, VersionView } from './src/plugin.views.js';
export { MAX_DEPENDENCY_FILES, PluginsController } from './src/plugins.controller.js';
export { PluginsRepository } from './src/plugins.repository.js';
export { PluginsService } from './src/plugins.service.js';
export { PublishService, type PublishExtras } from './src/publish.service.js';
export { PUSHED_MODULES, type PushedModules } from './src/pushed-modules.js';
export { OWN_TRIAL_INPUT_LIMITS, readOwnTrialInput, type OwnTrialInput } from './src/own-trial-input.js';
export { TrialsController } from './src/trials.controller.js';
export { OWN_TRIAL_POOL, TrialsService, type StoredTrial } from './src/trials.service.js';
