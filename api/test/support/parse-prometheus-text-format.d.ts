/** Types of parse-prometheus-text-format 1.1 (its output follows prom2json); it ships none. */
declare module 'parse-prometheus-text-format' {
  /** One sample of a family: `value` (counter, gauge, untyped) or buckets/count/sum (histogram). */
  export interface PrometheusSample {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  export interface PrometheusFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: PrometheusSample[];
  }
  /** Throws InvalidLineError on a line that is not the text format. */
  function parsePrometheusTextFormat(text: string): PrometheusFamily[];
  export = parsePrometheusTextFormat;
}
