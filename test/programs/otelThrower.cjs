/**
 * A real program that fails the way services do, instrumented with the OpenTelemetry SDK: it
 * throws from the module it is given (a file of the repository under test), logs the exception
 * through the logs API and records it on a span, and exports both over OTLP/HTTP to the URL in
 * OTLP_ENDPOINT (protobuf, or JSON with OTLP_JSON=1), with the resource attributes in RESOURCE_JSON.
 *   node otelThrower.cjs <module.js>
 */
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { LoggerProvider, BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { SeverityNumber } = require('@opentelemetry/api-logs');

const endpoint = process.env.OTLP_ENDPOINT;
const json = process.env.OTLP_JSON === '1';
const headers = { authorization: `Bearer ${process.env.OTLP_TOKEN}` };
const LogExporter = json
  ? require('@opentelemetry/exporter-logs-otlp-http').OTLPLogExporter
  : require('@opentelemetry/exporter-logs-otlp-proto').OTLPLogExporter;
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const resource = resourceFromAttributes(JSON.parse(process.env.RESOURCE_JSON));

async function main() {
  const logs = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor(new LogExporter({ url: `${endpoint}/v1/otlp/v1/logs`, headers }))],
  });
  const traces = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/otlp/v1/traces`, headers }))],
  });
  const logger = logs.getLogger('checkout');
  const tracer = traces.getTracer('checkout');
  const handler = require(require('node:path').resolve(process.argv[2]));
  for (let i = 0; i < Number(process.env.TIMES ?? 1); i++) {
    const span = tracer.startSpan('POST /checkout');
    try {
      handler.checkout({ items: [] });
    } catch (err) {
      span.recordException(err);
      logger.emit({
        severityNumber: SeverityNumber.ERROR,
        severityText: 'ERROR',
        body: `checkout failed: ${err.message}`,
        attributes: { 'exception.type': err.name, 'exception.message': err.message, 'exception.stacktrace': err.stack },
      });
    } finally {
      span.end();
    }
  }
  await logs.forceFlush();
  await traces.forceFlush();
  await logs.shutdown();
  await traces.shutdown();
}

// Exported and shut down: leave now rather than wait for the exporter's kept-alive sockets.
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
