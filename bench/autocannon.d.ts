// The part of autocannon's API the bench uses (the package ships no types).
declare module 'autocannon' {
  export interface Histogram {
    average: number;
    total: number;
    p50: number;
    p99: number;
    max: number;
  }
  export interface Options {
    url: string;
    connections?: number;
    duration?: number;
    /** Seconds before a request counts as timed out (default 10). */
    timeout?: number;
  }
  export interface Result {
    requests: Histogram;
    latency: Histogram;
    /** Bytes per second. */
    throughput: Histogram;
    non2xx: number;
    errors: number;
    timeouts: number;
  }
  /** A run started with a callback: stop() ends it early; 'response' fires for every response. */
  export interface Instance {
    stop(): void;
    on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): this;
  }
  function autocannon(options: Options): Promise<Result>;
  function autocannon(options: Options, callback: (error: Error | null, result: Result) => void): Instance;
  export default autocannon;
}
