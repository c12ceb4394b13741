import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  ContractChecker,
  upgradeNotes,
  type ConfigExample,
  type ConfigurationCheck,
  type ContractDraft,
  type SchemaObject,
  type UpgradeNotes,
  type VersionContract,
} from '../../contract/index.js';
import { compareVersionsDescending, invalidInput, notFound, RegistryError } from '../../domain/index.js';
import { formatCoordinates, type ContractDocuments, type VersionRecord, VersionsRepository, type VersionStore } from '../../versions/index.js';
import { PluginsRepository } from './plugins.repository.js';
import { PluginsService } from './plugins.service.js';

/** A configuration checked against a version's schema, or not checked because it has none. */
export interface CheckedConfiguration extends ConfigurationCheck {
  checked: boolean;
  schemaDigest: string | null;
  summary: string;
}

/** Where a configuration to check comes from: given in the request, or one of the version's examples. */
export type ConfigurationInput = { configuration: unknown } | { example: string };

/**
 * The rules of a version's contract: checking it at publish (off the event
 * loop), serving its documents as stored, checking configurations against its
 * schema, and comparing two versions' contracts.
 */
@Injectable()
export class ContractsService implements OnModuleDestroy {
  private readonly logger = new Logger('Contracts');
  private readonly checker = new ContractChecker({ onThreadError: (error) => this.logger.warn(`a contract-check thread failed between tasks: ${String(error)}`) });

  constructor(
    private readonly plugins: PluginsService,
    private readonly pluginRows: PluginsRepository,
    @Inject(VersionsRepository) private readonly versions: Pick<VersionStore, 'findContractDocuments'>,
  ) {}

  /** Checks what a publish carried: meta-schema, examples against the schema, README rendering. 400 naming the part. */
  prepare(draft: ContractDraft): Promise<VersionContract> {
    return this.checker.prepare(draft);
  }

  async readme(namespace: string, name: string, version: string): Promise<{ markdown: string; html: string }> {
    const { record, documents } = await this.documents(namespace, name, version);
    if (documents?.readme == null) throw notFound('readme_not_found', `${formatCoordinates(record)} was published without a README`);
    return { markdown: documents.readme, html: documents.readmeHtml ?? '' };
  }

  async schema(namespace: string, name: string, version: string): Promise<string> {
    const { record, documents } = await this.documents(namespace, name, version);
    if (documents?.configSchema == null) throw noSchema(record);
    return documents.configSchema;
  }

  async examples(namespace: string, name: string, version: string): Promise<ConfigExample[]> {
    const { record, documents } = await this.documents(namespace, name, version);
    if (documents?.examples == null) throw notFound('examples_not_found', `${formatCoordinates(record)} was published without configuration examples`);
    return JSON.parse(documents.examples) as ConfigExample[];
  }

  /** Checks a configuration (given, or an example by name) against the version's schema. */
  async validate(namespace: string, name: string, version: string, input: ConfigurationInput): Promise<CheckedConfiguration> {
    const { record, documents } = await this.documents(namespace, name, version);
    return this.check(record, documents, input);
  }

  /**
   * For the proxy configuration endpoints: the configuration to embed (given,
   * or an example), refused with 422 when it breaks the schema.
   */
  async configurationFor(record: VersionRecord, input: ConfigurationInput | null): Promise<{ configuration: unknown; check: CheckedConfiguration } | null> {
    if (input === null) return null;
    const documents = await this.versions.findContractDocuments(record.id);
    const check = await this.check(record, documents, input);
    if (check.checked && !check.valid) {
      throw new RegistryError(
        422,
        'configuration_invalid',
        'Configuration invalid',
        `the configuration breaks the configuration schema of ${formatCoordinates(record)} (${check.errors.length} error${check.errors.length === 1 ? '' : 's'}); ` +
          'a proxy given it could refuse it or crash: fix it, or check it first with POST …/config/validate',
        { errors: check.errors, schemaDigest: check.schemaDigest },
      );
    }
    const configuration = 'example' in input ? exampleNamed(record, documents, input.example).configuration : input.configuration;
    return { configuration, check };
  }

  /** What changed in the contract from `from` (default: the highest version below this one) to this version. */
  async upgradeNotes(namespace: string, name: string, version: string, from: string | undefined): Promise<UpgradeNotes> {
    const target = await this.plugins.findVersion(namespace, name, version);
    const fromVersion = from ?? (await this.previousVersion(target));
    if (fromVersion === null) {
      throw notFound('previous_version_not_found', `${formatCoordinates(target)} is the first version of ${namespace}/${name}: there is nothing to compare it with`);
    }
    if (fromVersion === version) throw invalidInput([{ field: 'query.from', message: 'must be another version than the one compared' }]);
    const source = await this.plugins.findVersion(namespace, name, fromVersion);
    const [fromDocuments, toDocuments] = await Promise.all([this.versions.findContractDocuments(source.id), this.versions.findContractDocuments(target.id)]);
    const notes = upgradeNotes(side(source, fromDocuments), side(target, toDocuments));
    // Evidence beside the rules: an example of the old version that the new schema refuses.
    if (toDocuments?.configSchema != null && fromDocuments?.examples != null) {
      for (const example of JSON.parse(fromDocuments.examples) as ConfigExample[]) {
        const check = await this.checker.validate(toDocuments.configSchema, example.configuration);
        if (!check.valid) {
          notes.notes.unshift({
            pointer: check.errors[0]?.pointer ?? '',
            change: 'example_broken',
            breaking: true,
            message: `${fromVersion}'s example "${example.name}" is refused by ${version}'s schema: ${check.errors.map((e) => `${e.pointer || '(root)'}: ${e.message}`).join('; ')}.`,
          });
          notes.breaking = true;
        }
      }
    }
    return notes;
  }

  async onModuleDestroy(): Promise<void> {
    await this.checker.close();
  }

  private async check(record: VersionRecord, documents: ContractDocuments | null, input: ConfigurationInput): Promise<CheckedConfiguration> {
    const configuration = 'example' in input ? exampleNamed(record, documents, input.example).configuration : input.configuration;
    const schemaDigest = record.contract?.configSchemaDigest ?? null;
    if (documents?.configSchema == null || schemaDigest === null) {
      return {
        checked: false,
        valid: false,
        errors: [],
        schemaDigest: null,
        summary: `${formatCoordinates(record)} was published without a configuration schema, so nothing could be checked: the proxy is the first to read this configuration`,
      };
    }
    const result = await this.checker.validate(documents.configSchema, configuration);
    return {
      checked: true,
      ...result,
      schemaDigest,
      summary: result.valid
        ? `the configuration satisfies the configuration schema of ${formatCoordinates(record)}`
        : `the configuration breaks the configuration schema of ${formatCoordinates(record)}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}`,
    };
  }

  private async documents(namespace: string, name: string, version: string): Promise<{ record: VersionRecord; documents: ContractDocuments | null }> {
    const record = await this.plugins.findVersion(namespace, name, version);
    return { record, documents: record.contract === null ? null : await this.versions.findContractDocuments(record.id) };
  }

  /** The highest version below `target` by semver, whatever its status (a contract is the publisher's, even if the module was rejected). */
  private async previousVersion(target: VersionRecord): Promise<string | null> {
    const numbers = await this.pluginRows.listVersionNumbers(target.namespace, target.plugin);
    const lower = numbers.filter((n) => compareVersionsDescending(n, target.version) > 0).sort(compareVersionsDescending);
    return lower[0] ?? null;
  }
}

function side(record: VersionRecord, documents: ContractDocuments | null): { version: string; configSchema: SchemaObject | null; examples: ConfigExample[] } {
  return {
    version: record.version,
    configSchema: documents?.configSchema == null ? null : (JSON.parse(documents.configSchema) as SchemaObject),
    examples: documents?.examples == null ? [] : (JSON.parse(documents.examples) as ConfigExample[]),
  };
}

function exampleNamed(record: VersionRecord, documents: ContractDocuments | null, name: string): ConfigExample {
  const examples = documents?.examples == null ? [] : (JSON.parse(documents.examples) as ConfigExample[]);
  const example = examples.find((e) => e.name === name);
  if (example === undefined) {
    throw invalidInput([
      {
        field: 'query.example',
        message:
          examples.length === 0
            ? `${formatCoordinates(record)} has no configuration examples`
            : `${JSON.stringify(name)} is not an example of ${formatCoordinates(record)}; its examples are: ${examples.map((e) => e.name).join(', ')}`,
      },
    ]);
  }
  return example;
}

function noSchema(record: VersionRecord): RegistryError {
  return notFound('schema_not_found', `${formatCoordinates(record)} was published without a configuration schema`);
}
