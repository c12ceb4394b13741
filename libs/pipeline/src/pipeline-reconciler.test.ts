import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import type { DispatchedRound, ReconcileOutcome, VersionStore } from '../../versions/index.js';
import { PipelineReconciler } from './pipeline-reconciler.js';

/** Pending versions and their rounds, as the owner keeps them; a round is lost when the queue lacks its job. */
class FakeVersions implements Pick<VersionStore, 'findDispatchedRounds' | 'redispatchLost'> {
  versions = new Map<string, { status: string; rounds: { jobId: string; dispatchedAt: Date | null; origin: string }[] }>();

  add(id: string, dispatchedAt: Date | null): void {
    this.versions.set(id, { status: 'pending', rounds: [{ jobId: `${id}-1`, dispatchedAt, origin: 'publish' }] });
  }

  async findDispatchedRounds(before: Date): Promise<DispatchedRound[]> {
    return [...this.versions].flatMap(([versionId, v]) => {
      const latest = v.rounds.at(-1)!;
      return v.status === 'pending' && latest.dispatchedAt !== null && latest.dispatchedAt < before ? [{ versionId, jobId: latest.jobId, dispatchedAt: latest.dispatchedAt }] : [];
    });
  }

  async redispatchLost(round: DispatchedRound, maxRounds: number): Promise<ReconcileOutcome> {
    const v = this.versions.get(round.versionId)!;
    if (v.status !== 'pending' || v.rounds.at(-1)!.jobId !== round.jobId) return 'skipped';
    const lost = [...v.rounds].reverse().findIndex((r) => r.origin !== 'reconcile') + 1;
    if (lost >= maxRounds) {
      v.status = 'failed';
      return 'gave_up';
    }
    v.rounds.push({ jobId: `${round.versionId}-${v.rounds.length + 1}`, dispatchedAt: null, origin: 'reconcile' });
    return 'redispatched';
  }

  /** The dispatcher hands the new rounds to the queue. */
  dispatch(at: Date): void {
    for (const v of this.versions.values()) for (const r of v.rounds) r.dispatchedAt ??= at;
  }
}

const config = loadConfig({ DATA_DIR: '/tmp/unused', PIPELINE_STUCK_AFTER_MS: '120000', PIPELINE_RECONCILE_MAX_ROUNDS: '3' });
const minutesAgo = (now: Date, minutes: number) => new Date(now.getTime() - minutes * 60_000);

function reconcilerWith(versions: FakeVersions, alive: Set<string>) {
  const kicks: number[] = [];
  const reconciler = new PipelineReconciler(versions, { isAlive: async (jobId) => alive.has(jobId) }, { kick: () => kicks.push(1) }, config, true);
  return { reconciler, kicks };
}

describe('PipelineReconciler', () => {
  const now = new Date('2026-12-04T12:00:00Z');

  it('dispatches a stuck version again once: the next pass finds its new round', async () => {
    const versions = new FakeVersions();
    versions.add('lost', minutesAgo(now, 5));
    const { reconciler, kicks } = reconcilerWith(versions, new Set());
    expect(await reconciler.reconcile(now)).toEqual({ redispatched: 1, gaveUp: 0 });
    expect(kicks).toEqual([1]);
    versions.dispatch(now);
    // The new round was dispatched just now: not stuck yet.
    expect(await reconciler.reconcile(now)).toEqual({ redispatched: 0, gaveUp: 0 });
    expect(versions.versions.get('lost')!.rounds.map((r) => r.origin)).toEqual(['publish', 'reconcile']);
  });

  it('leaves alone a pending version whose job the queue still holds, and one dispatched recently', async () => {
    const versions = new FakeVersions();
    versions.add('busy', minutesAgo(now, 30));
    versions.add('fresh', minutesAgo(now, 1));
    versions.add('undispatched', null);
    const { reconciler, kicks } = reconcilerWith(versions, new Set(['busy-1']));
    expect(await reconciler.reconcile(now)).toEqual({ redispatched: 0, gaveUp: 0 });
    expect(kicks).toEqual([]);
    expect([...versions.versions.values()].map((v) => v.rounds.length)).toEqual([1, 1, 1]);
  });

  it('gives up after the bound of lost rounds in a row, marking the version failed', async () => {
    const versions = new FakeVersions();
    versions.add('doomed', minutesAgo(now, 5));
    const { reconciler } = reconcilerWith(versions, new Set());
    let later = now;
    const outcomes = [];
    for (let pass = 0; pass < 4; pass++) {
      outcomes.push(await reconciler.reconcile(later));
      versions.dispatch(later);
      later = new Date(later.getTime() + 5 * 60_000);
    }
    expect(outcomes).toEqual([
      { redispatched: 1, gaveUp: 0 },
      { redispatched: 1, gaveUp: 0 },
      { redispatched: 0, gaveUp: 1 },
      { redispatched: 0, gaveUp: 0 },
    ]);
    expect(versions.versions.get('doomed')!.status).toBe('failed');
  });
});
