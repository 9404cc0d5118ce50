// The parser ships without types; this is the part the tests use.
declare module "parse-prometheus-text-format" {
  interface Metric {
    value?: string;
    labels?: Record<string, string>;
  }
  interface MetricFamily {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "SUMMARY" | "HISTOGRAM" | "UNTYPED";
    metrics: Metric[];
  }
  export default function parse(text: string): MetricFamily[];
}
