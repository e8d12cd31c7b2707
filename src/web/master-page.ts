import { THROUGHPUT_MAX_POINTS, THROUGHPUT_WINDOW_MS } from './throughput.js';
import { TOKEN_SCRIPT, TOKEN_STYLE, tokenBox } from './token-prompt.js';

/**
 * The master's page: one static HTML document with its style and script inline (no framework, no build
 * step; the charts are uPlot, served by the process under /assets/). It reads `/api/master` once a
 * second and fills labelled tables (text set through textContent, never parsed as HTML), draws each
 * node's throughput (asking only for the points recorded since its last answer, which it appends to
 * what it has and trims to the window the master keeps), hands `/api/flows` to the flow picture when there is one, and submits the forms'
 * commands with the control header, following each
 * command until it SUCCEEDED or FAILED. A spec error is shown at its line and column. Every request
 * carries the token once given (src/web/token-prompt.ts asks for it on a 401).
 * docs/web.md describes it.
 */
export const MASTER_PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice master</title>
<link rel="stylesheet" href="/assets/uPlot.min.css">
<script src="/assets/uPlot.iife.min.js" defer></script>
<script src="/assets/dagre.js" defer></script>
<script src="/assets/flows.js" defer></script>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fff; }
  main { max-width: 1400px; margin: 0 auto; padding: 1rem 2rem 3rem; }
  h1 { font-size: 1.45rem; margin: 0 0 .25rem; }
  h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; border-bottom: 1px solid #d5d5d5; padding-bottom: .2rem; }
  .bar { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin: .25rem 0 .75rem; }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; margin-bottom: .75rem; min-width: 40rem; }
  caption { text-align: left; font-weight: 600; padding: .25rem 0; }
  th, td { border: 1px solid #c8c8c8; padding: .2rem .5rem; text-align: left; vertical-align: top; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  thead th { background: #f0f0f0; }
  code, .spec { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; white-space: pre-wrap; word-break: break-word; }
  .ACTIVE, .SUCCEEDED, .APPLIED { color: #0a6b1f; font-weight: 600; }
  .ERROR, .LOST, .FAILED { color: #b00020; font-weight: 700; }
  .IDLE, .HELLO, .DECOMMISSIONED { color: #555; } .CONFIGURING, .PENDING { color: #8a5a00; }
  button, input, textarea { font: inherit; }
  button { padding: .3rem .9rem; border: 1px solid #1a5fb4; background: #1a5fb4; color: #fff; border-radius: 3px; cursor: pointer; }
  button.quiet { background: #fff; color: #1a5fb4; }
  button:disabled { opacity: .6; cursor: wait; }
  :focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
  input, textarea { border: 1px solid #8c8c8c; border-radius: 3px; padding: .25rem .4rem; }
  input[aria-invalid=true], textarea[aria-invalid=true] { border: 2px solid #b00020; }
  .forms { display: grid; grid-template-columns: repeat(auto-fit, minmax(24rem, 1fr)); gap: 1rem 2rem; }
  form { border: 1px solid #d5d5d5; border-radius: 4px; padding: .5rem 1rem 1rem; }
  form h3 { font-size: 1rem; margin: .25rem 0 .5rem; }
  label { display: block; font-weight: 600; margin: .5rem 0 .15rem; }
  .hint { color: #4a4a4a; margin: .15rem 0; font-size: 13px; }
  form input[type=text], form input[type=password], textarea { width: 100%; box-sizing: border-box; }
  textarea { min-height: 8rem; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
  .result { margin: .5rem 0 0; min-height: 1.4em; }
  .error { color: #b00020; margin: .5rem 0 0; }
  .error:empty { display: none; }
  pre.mark { background: #fff4f4; border-left: 4px solid #b00020; padding: .25rem .5rem; margin: .25rem 0 0; overflow-x: auto; white-space: pre; }
  pre.mark:empty { display: none; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr)); gap: 1rem; }
  figure { margin: 0; border: 1px solid #d5d5d5; border-radius: 4px; padding: .5rem; }
  figcaption { font-weight: 600; }
  ${TOKEN_STYLE}
  #flow-picture { min-height: 2rem; overflow: auto; }
</style>
</head>
<body>
<main>
<h1>Sluice master <span id="master"></span></h1>
<p id="status" role="status" aria-live="polite">Loading the fleet…</p>
<div class="bar">
  <button id="pause" class="quiet" type="button" aria-pressed="false">Pause updates</button>
  <a href="/components">Components of every node</a>
  <a href="/metrics">Prometheus metrics</a>
  <a href="/api/master">fleet (JSON)</a>
  <a href="/api/v1/health">health</a>
</div>

${tokenBox('The master asks for its token', 'Master token', 'The token of the master (its --token-file or $SLUICE_MASTER_TOKEN).')}

<section aria-labelledby="nodes-title">
<h2 id="nodes-title">Nodes</h2>
<div class="scroll"><table id="nodes">
  <caption>Node status: each logical node, the physical node running it, its state and last configuration</caption>
  <thead><tr><th scope="col">Logical node</th><th scope="col">Physical node</th><th scope="col">Host</th><th scope="col">State</th><th scope="col" class="num">Version</th><th scope="col">Last configuration</th><th scope="col">Last seen</th><th scope="col" class="num">Events in</th><th scope="col" class="num">Events out</th></tr></thead>
  <tbody></tbody>
</table></div>
</section>

<section aria-labelledby="throughput-title">
<h2 id="throughput-title">Throughput</h2>
<p class="hint">Events per second read (in) and delivered (out) by each logical node over the last minutes, from the reports nodes send with their heartbeats.</p>
<div id="charts" class="charts"></div>
</section>

<section aria-labelledby="flows-title"><h2 id="flows-title">Flows</h2><div id="flow-picture"></div></section>

<section aria-labelledby="configure-title">
<h2 id="configure-title">Configure</h2>
<div class="forms">
  <form id="config-form" novalidate>
    <h3>One logical node</h3>
    <label for="config-name">Logical node</label>
    <input id="config-name" type="text" required autocomplete="off" spellcheck="false" aria-describedby="config-error">
    <label for="config-source">Source</label>
    <input id="config-source" type="text" required autocomplete="off" spellcheck="false" placeholder='tail("/var/log/syslog")' aria-describedby="config-error">
    <label for="config-sink">Sink</label>
    <input id="config-sink" type="text" required autocomplete="off" spellcheck="false" placeholder='text("/tmp/copy.txt")' aria-describedby="config-error">
    <p><button type="submit">Configure</button></p>
    <p class="result" id="config-result" role="status" aria-live="polite"></p>
    <p class="error" id="config-error" role="alert"></p>
  </form>
  <form id="multi-form" novalidate>
    <h3>Several logical nodes</h3>
    <label for="multi-spec">Aggregated spec</label>
    <p class="hint" id="multi-hint">One <code>name : source | sink ;</code> per logical node (the multiconfig command).</p>
    <textarea id="multi-spec" required spellcheck="false" aria-describedby="multi-hint multi-error" placeholder='agent1 : tail("/var/log/syslog") | agentSink("collector") ;&#10;collector : collectorSource | text("/tmp/all.txt") ;'></textarea>
    <p><button type="submit">Configure these nodes</button></p>
    <p class="result" id="multi-result" role="status" aria-live="polite"></p>
    <div id="multi-error" role="alert"><p class="error" id="multi-message"></p><pre class="mark spec" id="multi-mark"></pre></div>
  </form>
  <form id="raw-form" novalidate>
    <h3>A command</h3>
    <label for="raw-line">Command line</label>
    <p class="hint" id="raw-hint">As the shell takes it, with its quoting: <code>spawn host1 collector</code>, <code>config n1 'tail("/x")' 'null'</code>.</p>
    <input id="raw-line" type="text" required autocomplete="off" spellcheck="false" aria-describedby="raw-hint raw-error">
    <p><button type="submit">Run</button></p>
    <p class="result" id="raw-result" role="status" aria-live="polite"></p>
    <p class="error" id="raw-error" role="alert"></p>
  </form>
</div>
</section>

<section aria-labelledby="configs-title">
<h2 id="configs-title">Configurations</h2>
<div class="scroll"><table id="configs">
  <caption>Configurations: each logical node's spec as entered and as translated for the node</caption>
  <thead><tr><th scope="col">Logical node</th><th scope="col" class="num">Version</th><th scope="col">Entered</th><th scope="col">Translated</th><th scope="col">Flow</th></tr></thead>
  <tbody></tbody>
</table></div>
</section>

<section aria-labelledby="mappings-title">
<h2 id="mappings-title">Mapping</h2>
<div class="scroll"><table id="mappings">
  <caption>Logical to physical mapping: the logical nodes each physical node runs</caption>
  <thead><tr><th scope="col">Physical node</th><th scope="col">Logical nodes</th></tr></thead>
  <tbody></tbody>
</table></div>
</section>

<section aria-labelledby="commands-title">
<h2 id="commands-title">Commands</h2>
<div class="scroll"><table id="commands">
  <caption>Command history, newest first</caption>
  <thead><tr><th scope="col" class="num">Id</th><th scope="col">Command</th><th scope="col">Arguments</th><th scope="col">State</th><th scope="col">Message</th><th scope="col">Time</th></tr></thead>
  <tbody></tbody>
</table></div>
</section>
</main>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
${TOKEN_SCRIPT}
  const charts = new Map();
  // The window the master keeps (web/throughput.ts): the page keeps as much of what it was sent.
  const WINDOW_S = ${THROUGHPUT_WINDOW_MS / 1000};
  const MAX_POINTS = ${THROUGHPUT_MAX_POINTS};
  // Each node's throughput as far as the page has it, and the master's cursor to ask for what is newer.
  const kept = new Map();
  let since = null;
  let latest = Date.now() / 1000;
  let paused = false;
  const fmt = (n) => (Number.isInteger(n) ? n.toLocaleString('en') : n.toFixed(1));
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function cell(row, text, opts) {
    const c = document.createElement(opts && opts.header ? 'th' : 'td');
    if (opts && opts.header) c.scope = 'row';
    if (opts && opts.cls) c.className = opts.cls;
    if (opts && opts.title) c.title = opts.title;
    c.textContent = text;
    row.appendChild(c);
    return c;
  }
  function fill(id, items, build) {
    $(id).tBodies[0].replaceChildren(...items.map((x) => {
      const tr = document.createElement('tr');
      build(tr, x);
      return tr;
    }));
  }
  function ago(ms, now) {
    if (!ms) return '';
    const s = Math.max(0, Math.round((now - ms) / 1000));
    return s < 60 ? s + ' s ago' : Math.round(s / 60) + ' min ago';
  }

  function render(d) {
    $('master').textContent = d.master;
    fill('nodes', d.nodes, (tr, n) => {
      cell(tr, n.name, { header: true });
      cell(tr, n.physical);
      cell(tr, n.host);
      cell(tr, n.state, { cls: n.state });
      cell(tr, String(n.version), { cls: 'num' });
      const last = cell(tr, n.applied ? n.applied : '', { cls: n.applied || '' });
      if (n.error) {
        const e = document.createElement('div');
        e.className = 'spec';
        e.textContent = n.error;
        last.appendChild(e);
      }
      cell(tr, ago(n.lastSeen, d.time), { title: n.lastSeen ? new Date(n.lastSeen).toISOString() : '' });
      cell(tr, fmt(n.eventsIn), { cls: 'num' });
      cell(tr, fmt(n.eventsOut), { cls: 'num' });
    });
    fill('configs', d.configs, (tr, c) => {
      cell(tr, c.name, { header: true });
      cell(tr, String(c.version), { cls: 'num' });
      cell(tr, c.source + ' | ' + c.sink, { cls: 'spec' });
      cell(tr, c.translated === null ? '(not translated yet)' : c.translated, { cls: 'spec' });
      cell(tr, c.flow || '');
    });
    fill('mappings', d.mappings, (tr, m) => {
      cell(tr, m.physical, { header: true });
      cell(tr, m.logical.length ? m.logical.join(', ') : '(none)');
    });
    fill('commands', d.commands, (tr, c) => {
      cell(tr, String(c.id), { header: true, cls: 'num' });
      cell(tr, c.cmd);
      cell(tr, c.args.join(' '), { cls: 'spec' });
      cell(tr, c.state, { cls: c.state });
      cell(tr, c.message, { cls: 'spec' });
      cell(tr, new Date(c.time).toLocaleTimeString());
    });
    latest = d.time / 1000;
    drawCharts(merge(d.throughput));
    since = d.throughputUntil;
    const bad = d.nodes.filter((n) => n.state === 'ERROR' || n.state === 'LOST').length;
    const active = d.nodes.filter((n) => n.state === 'ACTIVE').length;
    $('status').textContent = 'Updated ' + new Date(d.time).toLocaleTimeString() + ': ' + d.nodes.length +
      ' logical node(s), ' + active + ' ACTIVE' + (bad ? ', ' + bad + ' in ERROR or LOST' : '') + '.';
  }

  /**
   * Appends each node's new points to what the page has (a point not later than the last one kept is
   * one it has) and trims to the master's window; a node the answer no longer names is gone.
   * Answers the series to draw, in the answer's order.
   */
  function merge(fresh) {
    const shown = {};
    const oldest = latest - WINDOW_S;
    for (const name of Object.keys(fresh)) {
      const add = fresh[name];
      let s = kept.get(name);
      if (!s) { s = { t: [], in: [], out: [] }; kept.set(name, s); }
      const last = s.t.length ? s.t[s.t.length - 1] : -Infinity;
      for (let i = 0; i < add.t.length; i++) {
        if (add.t[i] <= last) continue;
        s.t.push(add.t[i]); s.in.push(add.in[i]); s.out.push(add.out[i]);
      }
      let drop = 0;
      while (drop < s.t.length && (s.t[drop] < oldest || s.t.length - drop > MAX_POINTS)) drop++;
      if (drop) { s.t.splice(0, drop); s.in.splice(0, drop); s.out.splice(0, drop); }
      shown[name] = s;
    }
    for (const name of [...kept.keys()]) if (!(name in fresh)) kept.delete(name);
    return shown;
  }

  function drawCharts(series) {
    const names = Object.keys(series);
    for (const [name, c] of charts) if (!names.includes(name)) { c.plot && c.plot.destroy(); c.figure.remove(); charts.delete(name); }
    names.forEach((name, i) => {
      const s = series[name];
      let c = charts.get(name);
      if (!c) {
        const figure = document.createElement('figure');
        const cap = document.createElement('figcaption');
        cap.id = 'chart-title-' + i + '-' + Math.random().toString(36).slice(2, 8);
        cap.textContent = name + ': events per second in and out';
        const area = document.createElement('div');
        area.className = 'chart';
        area.setAttribute('role', 'img');
        const now = document.createElement('p');
        now.className = 'now';
        now.id = cap.id + '-now';
        area.setAttribute('aria-labelledby', cap.id + ' ' + now.id);
        figure.append(cap, area, now);
        $('charts').appendChild(figure);
        c = { figure, area, now, plot: null };
        charts.set(name, c);
      }
      const data = [s.t, s.in, s.out];
      if (!c.plot && window.uPlot) {
        c.plot = new window.uPlot({
          width: Math.max(300, c.area.clientWidth || 480),
          height: 170,
          // A window ending now (a minute at least, five at most) and rates from 0: the picture does not
          // jump with each point.
          scales: {
            x: { time: true, range: (u) => [Math.max(latest - WINDOW_S, Math.min(u.data[0][0] || latest, latest - 60)), latest] },
            y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] },
          },
          series: [
            {},
            { label: 'in (events/s)', stroke: '#1a5fb4', width: 2 },
            { label: 'out (events/s)', stroke: '#c64600', width: 2, dash: [6, 4] },
          ],
          axes: [{}, { label: 'events/s', size: 60 }],
        }, data, c.area);
      } else if (c.plot) c.plot.setData(data);
      const last = s.t.length - 1;
      c.now.textContent = last < 0 ? 'No report with figures yet.' :
        'Now ' + fmt(Math.round(s.in[last])) + ' events/s in, ' + fmt(Math.round(s.out[last])) + ' events/s out; highest ' +
        fmt(Math.round(Math.max(...s.in, ...s.out))) + ' events/s over ' + (s.t.length) + ' heartbeat(s).';
    });
    if (names.length === 0 && !$('charts').firstChild) {
      const p = document.createElement('p');
      p.id = 'no-charts';
      p.textContent = 'No node has reported figures yet.';
      $('charts').appendChild(p);
    } else if (names.length > 0 && $('no-charts')) $('no-charts').remove();
  }

  async function flows() {
    try {
      const r = await authFetch('/api/flows');
      if (r.ok && typeof window.renderFlows === 'function') window.renderFlows($('flow-picture'), await r.json());
    } catch (e) { /* the flow picture is optional */ }
  }

  async function tick() {
    if (!paused) {
      try {
        const r = await authFetch(since === null ? '/api/master' : '/api/master?since=' + since);
        if (!r.ok) throw new Error('status ' + r.status);
        render(await r.json());
      } catch (e) {
        $('status').textContent = 'The master does not answer (' + e.message + '); retrying.';
      }
      await flows();
    }
    setTimeout(tick, 1000);
  }
  $('pause').addEventListener('click', () => {
    paused = !paused;
    $('pause').setAttribute('aria-pressed', String(paused));
    $('pause').textContent = paused ? 'Resume updates' : 'Pause updates';
  });

  async function post(path, body) {
    const headers = { 'content-type': 'application/json', 'x-sluice-request': '1' };
    const r = await authFetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
    const answer = await r.json();
    if (!r.ok) throw new Error(answer.error || 'status ' + r.status);
    return answer;
  }

  async function follow(rec, result) {
    const deadline = Date.now() + 120000;
    while (rec.state === 'PENDING' && Date.now() < deadline) {
      result.textContent = 'Command ' + rec.id + ' (' + rec.cmd + ') is running…';
      await sleep(250);
      const r = await authFetch('/api/command?id=' + rec.id);
      if (r.ok) rec = await r.json();
    }
    return rec;
  }

  /** Offset of line and column (1-based) in text, kept inside it. */
  function offsetOf(text, line, column) {
    const lines = text.split('\n');
    let at = 0;
    for (let i = 0; i < Math.min(line - 1, lines.length - 1); i++) at += lines[i].length + 1;
    return Math.min(text.length, at + Math.max(0, column - 1));
  }
  function markAt(field, line, column) {
    const at = offsetOf(field.value, line, column);
    field.setAttribute('aria-invalid', 'true');
    field.focus();
    field.setSelectionRange(at, Math.min(field.value.length, at + 1));
  }
  function clearMarks(form) {
    for (const f of form.querySelectorAll('[aria-invalid]')) f.removeAttribute('aria-invalid');
    for (const e of form.querySelectorAll('.error, pre.mark')) e.textContent = '';
  }

  /** Submits, follows the command and shows its outcome; a FAILED one goes to onFailed. */
  function wire(formId, request, onFailed) {
    const form = $(formId);
    const result = form.querySelector('.result');
    const button = form.querySelector('button[type=submit]');
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearMarks(form);
      const r = request();
      if (!r) return;
      button.disabled = true;
      result.textContent = 'Submitting…';
      try {
        const rec = await follow(await post(r.path, r.body), result);
        // A failure's message goes to the form's alert (once), placed where it can be.
        const said = rec.state === 'FAILED' || !rec.message ? '' : ': ' + rec.message;
        result.textContent = 'Command ' + rec.id + ' ' + rec.cmd + ' ' + rec.state + said;
        result.className = 'result ' + rec.state;
        if (rec.state === 'FAILED') onFailed(rec.message);
      } catch (e) {
        result.textContent = '';
        onFailed(e.message);
      } finally {
        button.disabled = false;
      }
    });
  }

  const configFields = ['config-name', 'config-source', 'config-sink'].map($);
  wire('config-form', () => {
    const [name, source, sink] = configFields.map((f) => f.value.trim());
    const empty = configFields.find((f) => f.value.trim() === '');
    if (empty) { $('config-error').textContent = 'Fill in ' + empty.labels[0].textContent + '.'; markAt(empty, 1, 1); return; }
    return { path: '/api/commands', body: { cmd: 'config', args: [name, source, sink] } };
  }, (message) => {
    $('config-error').textContent = message;
    const m = /config \S+ (source|sink):(\d+):(\d+)/.exec(message);
    if (m) {
      const field = m[1] === 'source' ? $('config-source') : $('config-sink');
      $('config-error').textContent = 'The ' + m[1] + ', column ' + m[3] + ': ' + message.slice(m.index + m[0].length).replace(/^:\s*/, '');
      markAt(field, 1, Number(m[3]));
    }
  });

  wire('multi-form', () => {
    const text = $('multi-spec').value;
    if (text.trim() === '') { $('multi-message').textContent = 'Write the spec first.'; markAt($('multi-spec'), 1, 1); return; }
    return { path: '/api/commands', body: { cmd: 'multiconfig', args: [text] } };
  }, (message) => {
    const area = $('multi-spec');
    const m = /multiconfig:(\d+):(\d+)/.exec(message);
    if (!m) { $('multi-message').textContent = message; return; }
    const line = Number(m[1]);
    const column = Number(m[2]);
    $('multi-message').textContent = 'Line ' + line + ', column ' + column + ': ' + message.slice(m.index + m[0].length).replace(/^:\s*/, '');
    const text = area.value.split('\n')[line - 1];
    if (text !== undefined) {
      const prefix = line + ' | ';
      $('multi-mark').textContent = prefix + text + '\n' + ' '.repeat(prefix.length + column - 1) + '^';
    }
    markAt(area, line, column);
  });

  wire('raw-form', () => {
    const line = $('raw-line').value;
    if (line.trim() === '') { $('raw-error').textContent = 'Write a command first.'; markAt($('raw-line'), 1, 1); return; }
    return { path: '/api/command-line', body: { line } };
  }, (message) => {
    $('raw-error').textContent = message;
  });

  tick();
})();
</script>
</body>
</html>
`;
