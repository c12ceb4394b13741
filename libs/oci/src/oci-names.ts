import { NAME_PATTERN } from '../../domain/index.js';
import { ociError } from './oci-errors.js';

/** The only digests /v2 stores and answers to. */
export const OCI_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A repository by its names: `<namespace>/<plugin>`. Pushed content is kept by name, since a push may come before its plugin exists. */
export interface OciRepositoryName {
  namespace: string;
  plugin: string;
}

/** NAME_INVALID unless both parts are names of this registry. */
export function assertRepositoryName(repository: OciRepositoryName): void {
  if (!NAME_PATTERN.test(repository.namespace) || !NAME_PATTERN.test(repository.plugin)) {
    throw ociError(400, 'NAME_INVALID', `${repository.namespace}/${repository.plugin} is not a repository name here: <namespace>/<plugin>, each [a-z0-9][a-z0-9-]{0,63}`);
  }
}
