import type { Logger } from '@nestjs/common';

/**
 * On SIGTERM or SIGINT: stop accepting work, let the shutdown hooks finish
 * (in-flight requests, buffered download counts, open connections) and exit 0.
 * A second signal exits at once.
 */
export function stopOnSignals(close: () => Promise<void>, logger: Logger, graceMs = 25_000): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without finishing shutdown`);
      process.exit(1);
    }
    stopping = true;
    logger.log(`${signal}: shutting down`);
    setTimeout(() => {
      logger.error(`shutdown took longer than ${graceMs} ms; exiting`);
      process.exit(1);
    }, graceMs).unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
