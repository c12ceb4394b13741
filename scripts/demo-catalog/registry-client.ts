/**
 * The few calls the seed makes, over the registry's public HTTP API with an
 * admin token, exactly as any publisher would make them.
 */

export type VersionStatus = 'pending' | 'ready' | 'rejected' | 'failed';

export interface VersionState {
  status: VersionStatus;
  statusReason: string | null;
  digest: string;
}

export interface PluginDescription {
  description: string;
  license: string;
  homepage: string;
  repository: string;
  keywords: string[];
  categories: string[];
}

/** One file of a version's contract, as a publisher keeps it in their repository. */
export interface ContractFile {
  filename: string;
  contentType: string;
  text: string;
}

/** The multipart parts beside the module: the manifest (ours, a Higress spec.yaml or a Kong meta.json), the README, a schema file. */
export interface PublishContract {
  manifest: ContractFile;
  readme?: ContractFile;
  schema?: ContractFile;
}

/** A call the registry answered with an unexpected status; the message carries its problem document. */
export class RegistryCallError extends Error {
  constructor(
    readonly call: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${call} answered ${status}: ${body.slice(0, 500)}`);
    this.name = 'RegistryCallError';
  }
}

export class RegistryClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async createNamespace(namespace: string): Promise<void> {
    await this.call('PUT', `/api/v1/namespaces/${namespace}`, [200, 201]);
  }

  async describePlugin(namespace: string, name: string, description: PluginDescription): Promise<void> {
    await this.call('PUT', `/api/v1/plugins/${namespace}/${name}`, [200, 201], { json: description });
  }

  /** With a contract, the module and the contract's files go as multipart/form-data parts; without, the module alone as application/wasm. */
  async publish(namespace: string, name: string, version: string, module: Buffer, contract?: PublishContract): Promise<VersionState> {
    const body = contract === undefined ? { module } : { form: publishForm(module, contract) };
    // 200: the same bytes were published before (a re-run after a crash), 202: new.
    return (await this.call('PUT', `/api/v1/plugins/${namespace}/${name}/versions/${version}`, [200, 202], body)) as VersionState;
  }

  /** The version once it has left pending, or still pending after `waitSeconds`. */
  async settle(namespace: string, name: string, version: string, waitSeconds: number): Promise<VersionState> {
    return (await this.call('GET', `/api/v1/plugins/${namespace}/${name}/versions/${version}?wait=${waitSeconds}`, [200])) as VersionState;
  }

  /** False when this registry has no such endpoint (404 without a problem code of ours, or 405). */
  async yank(namespace: string, name: string, version: string, reason: string): Promise<boolean> {
    return this.lifecycleCall('PUT', `/api/v1/plugins/${namespace}/${name}/versions/${version}/yank`, { reason });
  }

  async deprecate(namespace: string, name: string, message: string): Promise<boolean> {
    return this.lifecycleCall('PUT', `/api/v1/plugins/${namespace}/${name}/deprecation`, { message });
  }

  private async lifecycleCall(method: string, path: string, json: unknown): Promise<boolean> {
    try {
      await this.call(method, path, [200], { json });
      return true;
    } catch (error) {
      // A registry without the route answers with the framework's plain 404, not one of our problem codes.
      if (error instanceof RegistryCallError && (error.status === 405 || (error.status === 404 && !/"code":"[a-z_]+_not_found"/.test(error.body)))) {
        return false;
      }
      throw error;
    }
  }

  private async call(method: string, path: string, expected: number[], body: { json?: unknown; module?: Buffer; form?: FormData } = {}): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    let payload: string | Uint8Array | FormData | undefined;
    if (body.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body.module !== undefined) {
      headers['content-type'] = 'application/wasm';
      payload = new Uint8Array(body.module);
    } else if (body.form !== undefined) {
      // fetch writes the multipart content type with its boundary.
      payload = body.form;
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const text = await response.text();
    if (!expected.includes(response.status)) throw new RegistryCallError(`${method} ${path}`, response.status, text);
    return text === '' ? null : (JSON.parse(text) as unknown);
  }
}

export function publishForm(module: Buffer, contract: PublishContract): FormData {
  const form = new FormData();
  form.append('module', new Blob([new Uint8Array(module)], { type: 'application/wasm' }), 'module.wasm');
  for (const field of ['manifest', 'readme', 'schema'] as const) {
    const file = contract[field];
    if (file !== undefined) form.append(field, new Blob([file.text], { type: file.contentType }), file.filename);
  }
  return form;
}
