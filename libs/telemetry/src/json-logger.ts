import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as Pino, type LevelWithSilent } from 'pino';
import { activeTraceIds } from './tracing.js';

/** The registry's LOG_LEVEL values, as pino names them. */
export type LogLevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Secrets that can reach a message through an error or a URL, masked before anything is written:
 * API tokens, bearer credentials, presigned URLs' signatures and credentials, private keys.
 */
const SECRETS: [RegExp, string][] = [
  [/\bwpr_[A-Za-z0-9_-]{8,}/g, 'wpr_[redacted]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/([?&](?:X-Amz-(?:Signature|Credential|Security-Token)|Signature|AWSAccessKeyId|sig))=[^&\s"']+/gi, '$1=[redacted]'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[redacted private key]'],
];

/** `text` with every secret SECRETS recognises masked. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRETS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * Nest's logger as JSON lines on stdout: time, level, context, msg, and trace_id/span_id when a
 * span is active. Messages are masked by redactSecrets; an error's stack is kept under `stack`.
 */
export class JsonLogger implements LoggerService {
  private readonly pino: Pino;

  constructor(level: LogLevelName, service: string, destination: NodeJS.WritableStream | number = 1) {
    this.pino = pino(
      {
        level,
        base: { service },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        mixin: () => activeTraceIds() ?? {},
      },
      typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : (destination as never),
    );
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack, context); a stack is the second argument only when it looks like one.
    const [maybeStack, ...others] = rest;
    if (typeof maybeStack === 'string' && /\n\s+at /.test(maybeStack)) this.write('error', message, others, maybeStack);
    else this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: Exclude<LevelWithSilent, 'silent'>, message: unknown, rest: unknown[], stack?: string): void {
    if (!this.pino.isLevelEnabled(level)) return;
    // Nest appends the logger's context as the last argument.
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const fields: Record<string, unknown> = {};
    if (context !== undefined) fields.context = context;
    let text: string;
    if (message instanceof Error) {
      text = message.message;
      stack ??= message.stack;
    } else text = typeof message === 'string' ? message : JSON.stringify(message);
    if (stack !== undefined) fields.stack = redactSecrets(stack);
    this.pino[level](fields, redactSecrets(text));
  }
}
