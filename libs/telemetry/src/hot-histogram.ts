import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { emptyResource } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type CollectionResult, type MetricProducer } from '@opentelemetry/sdk-metrics';
import { METRIC_HTTP_SERVER_REQUEST_DURATION } from '@opentelemetry/semantic-conventions';
import { HTTP_DURATION_BUCKETS, SCOPE } from './instruments.js';

interface Series {
  attributes: Attributes;
  counts: number[];
  sum: number;
  count: number;
  min: number;
  max: number;
}

const now = (): HrTime => {
  const ms = Date.now();
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
};

/**
 * A cumulative histogram for the request path, handed to the SDK's readers as a MetricProducer:
 * the SDK's own histogram hashes the attribute set on every record (~1.4 µs), which measured a few
 * per cent of download throughput. Here a request costs two Map lookups and a bucket search.
 */
export class HotHistogram implements MetricProducer {
  private readonly series = new Map<string, Map<number, Series>>();
  private readonly startTime = now();

  constructor(
    private readonly descriptor: { name: string; description: string; unit: string },
    private readonly boundaries: readonly number[],
  ) {}

  /**
   * `group` and `code` name the attribute set together (a route template, which the router hands
   * over as the same string every time, so its hash is cached, and a small number for the rest);
   * `attributes` is called only the first time they are seen.
   */
  record(group: string, code: number, attributes: () => Attributes, value: number): void {
    let byCode = this.series.get(group);
    if (byCode === undefined) this.series.set(group, (byCode = new Map()));
    let series = byCode.get(code);
    if (series === undefined) {
      series = { attributes: attributes(), counts: new Array<number>(this.boundaries.length + 1).fill(0), sum: 0, count: 0, min: Infinity, max: -Infinity };
      byCode.set(code, series);
    }
    let bucket = 0;
    while (bucket < this.boundaries.length && value > this.boundaries[bucket]!) bucket++;
    series.counts[bucket]!++;
    series.sum += value;
    series.count++;
    if (value < series.min) series.min = value;
    if (value > series.max) series.max = value;
  }

  async collect(): Promise<CollectionResult> {
    const endTime = now();
    const dataPoints = [...this.series.values()].flatMap((byCode) => [...byCode.values()]).map((s) => ({
      startTime: this.startTime,
      endTime,
      attributes: s.attributes,
      value: { buckets: { boundaries: [...this.boundaries], counts: [...s.counts] }, sum: s.sum, count: s.count, min: s.min, max: s.max },
    }));
    return {
      // The reader merges these into its own resource's metrics.
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics:
          dataPoints.length === 0
            ? []
            : [
                {
                  scope: { name: SCOPE },
                  metrics: [
                    {
                      descriptor: { ...this.descriptor, valueType: ValueType.DOUBLE },
                      aggregationTemporality: AggregationTemporality.CUMULATIVE,
                      dataPointType: DataPointType.HISTOGRAM,
                      dataPoints,
                    },
                  ],
                },
              ],
      },
      errors: [],
    };
  }
}

/** `http.server.request.duration`: {http.request.method, http.route, http.response.status_code, url.scheme, error.type on 5xx}. */
export const HTTP_SERVER_DURATION = new HotHistogram(
  { name: METRIC_HTTP_SERVER_REQUEST_DURATION, description: 'Duration of HTTP server requests.', unit: 's' },
  HTTP_DURATION_BUCKETS,
);
