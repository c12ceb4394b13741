// Proxy configuration: Envoy and Istio configuration that loads a plugin version from this registry.
export { ProxyConfigController } from './src/proxy-config.controller.js';
export { ProxyConfigService } from './src/proxy-config.service.js';
