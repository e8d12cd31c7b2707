import { type ComponentReport, LATENCY_BOUNDS_MS, type PipelineReport } from '../../src/flow/report.js';

/** A component report with zero figures, for the web module's tests; `over` sets the ones a test needs. */
export function componentReport(
  over: Partial<ComponentReport> & Pick<ComponentReport, 'kind' | 'name'>,
): ComponentReport {
  return {
    type: over.kind === 'channel' ? 'memory' : 'null',
    state: 'ACTIVE',
    eventsIn: 0,
    eventsOut: 0,
    bytes: 0,
    bytesOut: 0,
    batches: 0,
    errors: 0,
    latency: {
      boundsMs: LATENCY_BOUNDS_MS,
      counts: new Array(LATENCY_BOUNDS_MS.length + 1).fill(0),
      sumMs: 0,
    },
    ...over,
  };
}

export function pipelineReport(
  name: string,
  components: ComponentReport[],
  state = 'ACTIVE',
): PipelineReport {
  return { name, kind: 'logical-node', state, version: 1, components };
}
