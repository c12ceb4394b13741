import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeModule, summarizeAnalysis, type Finding, type StoredAnalysis } from '../../analysis/index.js';
import { HTTP_FILTER_0_2_1, compileWatWithFeatures } from '../../../testing/analysis-fixtures.js';
import { openDatabase } from './database.js';
import { applyMigrations } from './migrations.js';

const finding = (i: number, length = 40): Finding => ({ code: 'requires_recent_host', severity: 'warning', message: `${i}:`.padEnd(length, 'w'), host: 'envoy', offset: i });

/** A report as version 1 stored it: no truncation fields, lists and messages as long as the module made them. */
async function version1Analysis(warnings: Finding[], reasons: Finding[] = []): Promise<StoredAnalysis> {
  const { truncated: _t, omitted: _o, shortenedStrings: _s, totals: _totals, ...report } = await analyzeModule(await compileWatWithFeatures(HTTP_FILTER_0_2_1));
  report.producers = { language: [{ name: 'Rust', version: '' }, { name: 'x'.repeat(2_000), version: '' }], processedBy: [], sdk: [] };
  return {
    report: { ...report, reportVersion: 1 } as unknown as StoredAnalysis['report'],
    decision: { status: reasons.length > 0 ? 'rejected' : 'ready', reasons, warnings },
  };
}

describe('the analysis_summary migration', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const migrations = join(root, 'prisma/migrations');
  const temp = mkdtempSync(join(tmpdir(), 'summary-migration-'));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it('gives versions analysed before it the summary summarizeAnalysis gives, cleans their languages and shortens their rejection reasons', async () => {
    // The migrations before this one, then versions as they stored analyses, then this one.
    cpSync(migrations, temp, { recursive: true });
    const mine = readdirSync(temp).find((name) => name.endsWith('_analysis_summary'))!;
    rmSync(join(temp, mine), { recursive: true });
    const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    try {
      await applyMigrations(db, temp);
      const sql = (text: string, ...params: unknown[]) => db.prisma.$executeRawUnsafe(text, ...params);
      const namespace = randomUUID();
      const plugin = randomUUID();
      await sql('INSERT INTO namespaces (id, name) VALUES ($1::uuid, $2)', namespace, 'acme');
      await sql('INSERT INTO plugins (id, namespace_id, name) VALUES ($1::uuid, $2::uuid, $3)', plugin, namespace, 'old');
      await sql("INSERT INTO blobs (digest, size, storage_key) VALUES ('sha256:00', 1, 'k')");
      const ready = await version1Analysis(Array.from({ length: 12 }, (_, i) => finding(i, i === 0 ? 3_000 : 40)));
      const rejected = await version1Analysis([], Array.from({ length: 3 }, (_, i) => ({ ...finding(i), code: 'unknown_host_import', severity: 'error' })));
      const rows: [string, StoredAnalysis | null, string[], string | null][] = [
        ['1.0.0', ready, ['rust', 'x'.repeat(2_000)], null],
        ['1.1.0', rejected, ['rust', 'c', 'go', 'zig', 'd', 'c++', 'swift', 'kotlin', 'java'], 'r'.repeat(100_000)],
        ['1.2.0', null, [], null],
      ];
      for (const [version, analysis, languages, reason] of rows) {
        await sql(
          `INSERT INTO versions (id, plugin_id, version, digest, size, status, status_reason, analysis, languages)
           VALUES ($1::uuid, $2::uuid, $3, 'sha256:00', 1, $4::version_status, $5, $6::jsonb, $7::text[])`,
          randomUUID(),
          plugin,
          version,
          analysis === null ? 'pending' : analysis.decision.status,
          reason,
          analysis === null ? null : JSON.stringify(analysis),
          languages,
        );
      }

      expect(await applyMigrations(db, migrations)).toEqual([mine]);

      const stored = await db.prisma.$queryRawUnsafe<{ version: string; analysis_summary: unknown; languages: string[]; status_reason: string | null }[]>(
        'SELECT version, analysis_summary, languages, status_reason FROM versions ORDER BY version',
      );
      expect(stored.map((r) => r.analysis_summary)).toEqual([summarizeAnalysis(ready), summarizeAnalysis(rejected), null]);
      expect((stored[0]!.analysis_summary as { warnings: Finding[] }).warnings[0]!.message).toHaveLength(1_024);
      expect(stored.map((r) => r.languages)).toEqual([['rust'], ['rust', 'c', 'go', 'zig', 'd', 'c++', 'swift', 'kotlin'], []]);
      expect(stored[1]!.status_reason).toBe(`${'r'.repeat(4_095)}…`);
      expect(stored[0]!.status_reason).toBeNull();
    } finally {
      await db.close();
    }
  });
});
