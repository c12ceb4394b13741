// TEMPORARY stub (lead), replaced by the diff helper's version at merge.
import type { ConfigExample } from './contract.js';
import type { SchemaObject } from './schema-refs.js';
export interface ContractSide { version: string; configSchema: SchemaObject | null; examples: ConfigExample[] }
export interface UpgradeNote { pointer: string; change: string; breaking: boolean; message: string }
export interface UpgradeNotes { from: string; to: string; breaking: boolean; notes: UpgradeNote[] }
export function upgradeNotes(from: ContractSide, to: ContractSide): UpgradeNotes {
  return { from: from.version, to: to.version, breaking: false, notes: [] };
}
