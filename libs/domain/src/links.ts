/**
 * The registry's URLs, one name for each kind of link; the `links` members of
 * every view use these names:
 * - `blob`: a module by digest (…/api/v1/blobs/sha256:<hex>): never changes, cacheable forever, the URL to pin;
 * - `module`: a version's module by version (…/versions/<version>/module.wasm);
 * - `self`: the resource itself; `plugin`, `versions`, `namespace`, `latest`: the resources so named.
 */
export const blobLink = (publicUrl: string, digest: string): string => `${publicUrl}/api/v1/blobs/${digest}`;

export const pluginLink = (publicUrl: string, namespace: string, plugin: string): string => `${publicUrl}/api/v1/plugins/${namespace}/${plugin}`;

export const versionLink = (publicUrl: string, namespace: string, plugin: string, version: string): string =>
  `${pluginLink(publicUrl, namespace, plugin)}/versions/${version}`;

export const moduleLink = (publicUrl: string, namespace: string, plugin: string, version: string): string =>
  `${versionLink(publicUrl, namespace, plugin, version)}/module.wasm`;
