import { dagreScript, FLOWS_SCRIPT } from '../web/flow-picture.js';
import { FlowGraph, type FlowGraphOptions } from './flow-graph.js';
import type { Master } from './master.js';

/** What a GET route answers: its content type and body. */
export interface FlowRouteAnswer {
  type: string;
  body: string | Buffer;
}

const JS = 'text/javascript; charset=utf-8';

/**
 * The flow picture's routes, for the master's web server to mount (GET, by path): the picture's data
 * and the two scripts that draw it. One FlowGraph per master, so the rates come from the successive
 * heartbeats whoever asks.
 */
export function flowRoutes(
  master: Master,
  opts: FlowGraphOptions = {},
): Record<string, () => FlowRouteAnswer> {
  const graph = new FlowGraph(master, opts);
  return {
    '/api/flows': () => ({
      type: 'application/json; charset=utf-8',
      body: JSON.stringify(graph.picture()),
    }),
    '/assets/flows.js': () => ({ type: JS, body: FLOWS_SCRIPT }),
    '/assets/dagre.js': () => ({ type: JS, body: dagreScript() }),
  };
}
