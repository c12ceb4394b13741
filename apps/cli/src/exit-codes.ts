/**
 * What `wpr` exits with; documented in the README ("Exit codes") and in `wpr --help`.
 * Scripts branch on these, so they never change meaning.
 */
export const EXIT = {
  /** Done, and everything checked passed. */
  ok: 0,
  /** Done, and the answer is no: a rejected version, a failed verification or dry run, a scan at or past --fail-on. */
  failed: 1,
  /** The command line or the local set-up is wrong: an unknown flag, a missing file, no registry or token. */
  usage: 2,
  /** The registry refused the request (a 4xx answer: not found, not allowed, invalid input). */
  refused: 3,
  /** The registry could not be reached or kept failing (network, timeout, 5xx after the retries). */
  unavailable: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODE_HELP = [
  'Exit codes:',
  '  0  done; everything checked passed',
  '  1  done, and the answer is no (rejected, verification failed, scan past --fail-on)',
  '  2  wrong command line or local set-up (flags, files, no registry or token)',
  '  3  the registry refused the request (4xx)',
  '  4  the registry could not be reached or kept failing (network, timeout, 5xx)',
].join('\n');
