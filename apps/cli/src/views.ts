/** The parts of the registry's JSON views the CLI reads (openapi.yaml has them whole; --json prints them as sent). */

export interface FindingView {
  code: string;
  severity: string;
  message: string;
}

export interface VersionView {
  namespace: string;
  plugin: string;
  version: string;
  digest: string;
  size: number;
  status: 'pending' | 'ready' | 'rejected' | 'failed';
  statusReason: string | null;
  createdAt: string;
  downloads: number;
  yanked: boolean;
  yankReason: string | null;
  advisories: { id: string; summary: string; severity: string; fixedIn: string | null }[];
  analysis: { kind: string; abiVersion: string | null; filterTypes: string[]; warnings: FindingView[]; rejections: FindingView[] } | null;
  pinned: { url: string; sha256: string; oci: { reference: string; pinnedReference: string } | null } | null;
  pipeline: { step: string; state: string; attempts: number; error: string | null }[];
  trial: { started: boolean; configurationsAccepted: number; configurationsTried: number; findings: string[]; medianMicros: number | null; p95Micros: number | null } | null;
  contract: { examples: { names: string[] } | null } | null;
  links: Record<string, string>;
}

export interface PluginDetailView {
  namespace: string;
  name: string;
  description: string;
  license: string | null;
  homepage: string | null;
  repository: string | null;
  categories: string[];
  latestVersion: string | null;
  downloads: number;
  deprecation: { message: string; replacement?: string | null } | null;
  versions: VersionView[];
}

export interface CatalogEntryView {
  namespace: string;
  name: string;
  description: string;
  latestVersion: string;
  downloads: number;
  signed: boolean;
  deprecation: { message: string } | null;
  advisories: { count: number; severity: string } | null;
}

export interface CatalogPage {
  items: CatalogEntryView[];
  nextCursor: string | null;
}

export interface CurrentTokenView {
  id: string;
  name: string;
  admin: boolean;
  namespaces: string[];
}
