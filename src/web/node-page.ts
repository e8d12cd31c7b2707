import { TOKEN_SCRIPT, TOKEN_STYLE, tokenBox } from './token-prompt.js';

/**
 * A node's status page: one static HTML document with its style and script inline, no framework and
 * no build step. The script reads `/api/report` once a second and fills labelled tables (text set
 * through textContent, never parsed as HTML) and a small SVG chart of events per second. Keyboard
 * users get a pause button; the status line is a polite live region, the tables are not (a screen
 * reader would otherwise read every figure each second). On a port with a token, every read carries
 * it once given (src/web/token-prompt.ts asks for it on a 401).
 */
export const NODE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice node</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1rem 2rem; color: #1b1b1b; background: #fff; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
  h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
  table { border-collapse: collapse; margin-bottom: 1rem; min-width: 40rem; }
  caption { text-align: left; font-weight: 600; padding: .25rem 0; }
  th, td { border: 1px solid #c8c8c8; padding: .2rem .5rem; text-align: right; }
  th[scope=row], td.text, th.text { text-align: left; }
  td:not(.text) { white-space: nowrap; }
  thead th { background: #f0f0f0; }
  .ACTIVE { color: #0a6b1f; } .ERROR, .LOST { color: #b00020; font-weight: 700; } .IDLE { color: #555; }
  button { font: inherit; padding: .2rem .8rem; margin-right: .75rem; }
  button:focus-visible, a:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
  #chart { border: 1px solid #c8c8c8; background: #fafafa; }
  #chart polyline { fill: none; stroke: #1a5fb4; stroke-width: 2; }
  dl { display: grid; grid-template-columns: max-content auto; gap: .1rem 1rem; }
  dt { font-weight: 600; } dd { margin: 0; }
  .hint { color: #444; margin: .25rem 0; }
  input { font: inherit; padding: .2rem .4rem; min-width: 20rem; }
  ${TOKEN_STYLE}
</style>
</head>
<body>
<main>
<h1>Sluice node <span id="node"></span></h1>
<p id="status" role="status" aria-live="polite">Loading the report…</p>
<p><button id="pause" type="button" aria-pressed="false">Pause updates</button>
  <a href="/metrics">Prometheus metrics</a> · <a href="/api/report">report (JSON)</a> · <a href="/api/v1/health">health</a></p>

${tokenBox('This page asks for its token', 'Token', "The token of this status page: the node's --http-token-file or $SLUICE_HTTP_TOKEN, or on a master its --token-file.")}

<h2 id="rate-title">Events per second (read by sources)</h2>
<svg id="chart" width="600" height="120" viewBox="0 0 600 120" role="img" aria-labelledby="rate-title rate-now">
  <text id="ymax" x="4" y="12" font-size="11"></text>
  <text x="4" y="116" font-size="11">0</text>
  <polyline id="line" points=""></polyline>
</svg>
<p id="rate-now"></p>

<h2>Pipelines</h2>
<table id="pipelines">
  <caption>Logical nodes or agent: state and configuration version</caption>
  <thead><tr><th scope="col" class="text">Name</th><th scope="col" class="text">Kind</th><th scope="col" class="text">State</th><th scope="col">Version</th><th scope="col" class="text">Error</th></tr></thead>
  <tbody></tbody>
</table>

<h2>Components</h2>
<table id="components">
  <caption>Per component: events in and out, body bytes in and out, batches, errors, channel fill (events held of capacity, body bytes held) and mean batch latency</caption>
  <thead><tr><th scope="col" class="text">Component</th><th scope="col" class="text">Kind</th><th scope="col" class="text">Type</th><th scope="col" class="text">State</th><th scope="col">Events in</th><th scope="col">Events out</th><th scope="col">Events out/s</th><th scope="col">Bytes in</th><th scope="col">Bytes out</th><th scope="col">Batches</th><th scope="col">Errors</th><th scope="col">Dropped</th><th scope="col">Channel fill</th><th scope="col">Mean latency (ms)</th></tr></thead>
  <tbody></tbody>
</table>

<h2>Process</h2>
<dl id="process"></dl>
</main>
<script>
(() => {
  const HISTORY = 60;
  const rates = [];
  let previous;
  let paused = false;
  const $ = (id) => document.getElementById(id);
${TOKEN_SCRIPT}
  const fmt = (n) => (Number.isInteger(n) ? n.toLocaleString('en') : n.toFixed(1));
  const bytes = (n) => (n >= 1 << 30 ? (n / (1 << 30)).toFixed(1) + ' GiB' : n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + ' MiB' : n >= 1024 ? (n / 1024).toFixed(1) + ' KiB' : n + ' B');
  function cell(row, text, opts) {
    const c = document.createElement(opts && opts.header ? 'th' : 'td');
    if (opts && opts.header) c.scope = 'row';
    if (opts && opts.cls) c.className = opts.cls;
    c.textContent = text;
    row.appendChild(c);
  }
  // A channel's fill: "6 of 100 (6.0%), 1.2 KiB"; older nodes report only the size.
  function fillText(c) {
    if (c.size === undefined) return '';
    if (c.capacity === undefined) return fmt(c.size);
    const pct = c.fillPercentage === undefined ? (100 * c.size) / c.capacity : c.fillPercentage;
    return fmt(c.size) + ' of ' + fmt(c.capacity) + ' (' + pct.toFixed(1) + '%)' + (c.sizeBytes === undefined ? '' : ', ' + bytes(c.sizeBytes));
  }
  function fill(table, rows) {
    const body = $(table).tBodies[0];
    body.replaceChildren(...rows);
  }
  function render(s) {
    $('node').textContent = s.node + ' (' + (s.runs === 'agent' ? 'agent' : s.runs === 'fleet' ? "master's view of its nodes" : 'logical nodes') + ', configuration version ' + s.version + ')';
    document.title = 'Sluice node ' + s.node;
    const dt = previous ? (s.time - previous.time) / 1000 : 0;
    const before = new Map();
    if (previous) for (const p of previous.pipelines) for (const c of p.components) before.set(p.name + '/' + c.kind + '/' + c.name, c);
    let read = 0;
    fill('pipelines', s.pipelines.map((p) => {
      const tr = document.createElement('tr');
      cell(tr, p.name, { header: true, cls: 'text' });
      cell(tr, s.physical ? p.kind + ' on ' + (s.physical[p.name] || '?') : p.kind, { cls: 'text' });
      cell(tr, p.state, { cls: 'text ' + p.state });
      cell(tr, String(p.version));
      cell(tr, p.error || '', { cls: 'text' });
      return tr;
    }));
    const rows = [];
    for (const p of s.pipelines) for (const c of p.components) {
      const key = p.name + '/' + c.kind + '/' + c.name;
      const b = before.get(key);
      // A counter that fell belongs to a replaced component: it counts from 0 (web/counter-rate.ts).
      const rate = b && dt > 0 ? (c.eventsOut >= b.eventsOut ? c.eventsOut - b.eventsOut : c.eventsOut) / dt : 0;
      if (c.kind === 'source') read += rate;
      const n = c.latency.counts.reduce((a, x) => a + x, 0);
      const tr = document.createElement('tr');
      cell(tr, (s.pipelines.length > 1 ? p.name + ': ' : '') + c.name, { header: true, cls: 'text' });
      cell(tr, c.kind, { cls: 'text' });
      cell(tr, c.type, { cls: 'text' });
      cell(tr, c.state, { cls: 'text ' + c.state });
      cell(tr, fmt(c.eventsIn));
      cell(tr, fmt(c.eventsOut));
      cell(tr, fmt(Math.round(rate)));
      cell(tr, bytes(c.bytes));
      cell(tr, c.bytesOut === undefined ? '' : bytes(c.bytesOut));
      cell(tr, fmt(c.batches));
      cell(tr, fmt(c.errors), { cls: c.errors > 0 ? 'ERROR' : '' });
      cell(tr, c.dropped === undefined ? '' : fmt(c.dropped));
      cell(tr, fillText(c));
      cell(tr, n > 0 ? (c.latency.sumMs / n).toFixed(2) : '');
      rows.push(tr);
    }
    fill('components', rows);
    const pr = s.process;
    const cpu = previous && dt > 0 ? ((pr.cpuSeconds - previous.process.cpuSeconds) / dt) * 100 : 0;
    const facts = [
      ['Host', pr.host], ['Process id', String(pr.pid)], ['Up', Math.round(pr.uptimeSeconds) + ' s'],
      ['CPU', cpu.toFixed(0) + ' % (' + pr.cpuSeconds.toFixed(1) + ' s in all)'], ['Resident memory', bytes(pr.rssBytes)],
      ['Heap used', bytes(pr.heapUsedBytes)], ['Open files', pr.openFiles === undefined ? 'unknown' : String(pr.openFiles)],
      ['Machine memory', bytes(pr.machineMemoryBytes)], ['Load (1 min)', pr.load1.toFixed(2)],
    ];
    $('process').replaceChildren(...facts.flatMap(([k, v]) => {
      const dt_ = document.createElement('dt'); dt_.textContent = k;
      const dd = document.createElement('dd'); dd.textContent = v;
      return [dt_, dd];
    }));
    if (previous) {
      rates.push(read);
      if (rates.length > HISTORY) rates.shift();
    }
    const top = Math.max(1, ...rates);
    $('line').setAttribute('points', rates.map((r, i) => (i * 600 / (HISTORY - 1)).toFixed(1) + ',' + (115 - (r / top) * 105).toFixed(1)).join(' '));
    $('ymax').textContent = fmt(Math.round(top)) + '/s';
    $('rate-now').textContent = 'Now: ' + fmt(Math.round(read)) + ' events/s; highest in the last minute: ' + fmt(Math.round(top === 1 && read < 1 ? 0 : top)) + ' events/s.';
    const errors = s.pipelines.filter((p) => p.state === 'ERROR').length;
    $('status').textContent = errors > 0 ? errors + ' pipeline(s) in ERROR' : 'Updated ' + new Date(s.time).toLocaleTimeString();
    previous = s;
  }
  async function tick() {
    if (!paused) {
      try {
        const r = await authFetch('/api/report');
        if (!r.ok) throw new Error('status ' + r.status);
        render(await r.json());
      } catch (e) {
        $('status').textContent = 'The node does not answer (' + e.message + '); retrying.';
      }
    }
    setTimeout(tick, 1000);
  }
  $('pause').addEventListener('click', () => {
    paused = !paused;
    $('pause').setAttribute('aria-pressed', String(paused));
    $('pause').textContent = paused ? 'Resume updates' : 'Pause updates';
  });
  tick();
})();
</script>
</body>
</html>
`;
