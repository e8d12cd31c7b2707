import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The picture of the flows on the master's page: logical nodes as boxes inside a box per physical
 * node, an arrow for every rpc, logical and chain link with its events per second. The master computes
 * the data (master/flow-graph.ts); this module holds its shape and the browser script that draws it,
 * laid out by dagre. No build step: the script is plain ES2017 served as it is written here.
 */

/** One logical node's box. */
export interface FlowNodeBox {
  name: string;
  /** Its state as the master sees it (ACTIVE, LOST ...; UNKNOWN: its physical node never heartbeated). */
  state: string;
  /** The configuration version it runs (0: none yet). */
  version: number;
  /** Its flow id; absent for the default flow. */
  flow?: string;
}

/** A physical node and the logical nodes it runs (physical '': configured but not mapped). */
export interface FlowGroup {
  physical: string;
  host: string;
  nodes: FlowNodeBox[];
}

export type FlowLinkKind = 'rpc' | 'logical' | 'chain';

/**
 * What a link's arrow shows: `active` both ends ACTIVE, `idle` otherwise while neither is down,
 * `down` an end is LOST, ERROR or DECOMMISSIONED, `waiting` the master could not resolve it yet (the
 * sender waits on a fail sink).
 */
export type FlowLinkState = 'active' | 'idle' | 'down' | 'waiting';

export interface FlowLink {
  from: string;
  to: string;
  kind: FlowLinkKind;
  /** Links of a chain or failover: true for the first choice, false for the backups. */
  primary?: boolean;
  eventsPerSec: number;
  state: FlowLinkState;
}

export interface FlowPicture {
  groups: FlowGroup[];
  links: FlowLink[];
}

/**
 * The browser script (served at /assets/flows.js, after /assets/dagre.js): defines
 * `window.renderFlows(el, data)`. The layout is computed again only when the boxes or links change;
 * otherwise states, colors and rates are updated in place, so a page refreshing every second does
 * not flicker or lose the keyboard focus. Every text goes through textContent.
 */
export const FLOWS_SCRIPT = String.raw`(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var NODE_H = 44;
  // Fill and border by node state; LOST also gets a dashed border, and the state is written in the box.
  var NODE_COLORS = {
    ACTIVE: ['#e6f4ea', '#1e7e34'],
    IDLE: ['#eef2f7', '#5a6b7d'],
    HELLO: ['#fff8e1', '#9a6700'],
    CONFIGURING: ['#fff8e1', '#9a6700'],
    CLOSING: ['#fff8e1', '#9a6700'],
    ERROR: ['#fde8e8', '#b00020'],
    LOST: ['#fde8e8', '#b00020'],
  };
  var OTHER = ['#f2f2f2', '#6b6b6b'];
  var LINK_COLORS = { active: '#1e7e34', idle: '#5a6b7d', down: '#b00020', waiting: '#9a6700' };
  var number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
  var whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

  function make(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(e);
    return e;
  }
  function rateText(n) {
    var v = typeof n === 'number' && isFinite(n) && n > 0 ? n : 0;
    return (v >= 100 ? whole : number).format(v) + ' events/s';
  }
  function role(l) {
    return l.primary === true ? ' primary' : l.primary === false ? ' backup' : '';
  }
  function linkKeys(links) {
    var seen = {};
    return links.map(function (l) {
      var k = l.from + '\u0000' + l.to + '\u0000' + l.kind + '\u0000' + role(l);
      seen[k] = (seen[k] || 0) + 1;
      return k + '\u0000' + seen[k];
    });
  }
  // What the layout depends on: the boxes and their groups, the links and their kinds.
  function structureOf(data) {
    var parts = [];
    data.groups.forEach(function (g) {
      parts.push('g', g.physical, g.host);
      g.nodes.forEach(function (n) { parts.push('n', n.name); });
    });
    return JSON.stringify([parts, linkKeys(data.links)]);
  }
  function nodeWidth(name) {
    return Math.max(120, Math.min(320, 24 + name.length * 7.5));
  }
  function groupLabel(g) {
    if (g.physical === '') return 'not mapped';
    return g.host && g.host !== g.physical ? g.physical + ' (' + g.host + ')' : g.physical;
  }

  function layout(el, data) {
    while (el.firstChild) el.removeChild(el.firstChild);
    var g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
    g.setGraph({ rankdir: 'LR', nodesep: 44, ranksep: 150, marginx: 16, marginy: 36 });
    g.setDefaultEdgeLabel(function () { return {}; });
    data.groups.forEach(function (gr, i) {
      g.setNode('g' + i, { label: groupLabel(gr) });
      gr.nodes.forEach(function (n) {
        g.setNode('n:' + n.name, { width: nodeWidth(n.name), height: NODE_H });
        g.setParent('n:' + n.name, 'g' + i);
      });
    });
    var keys = linkKeys(data.links);
    data.links.forEach(function (l, i) {
      if (!g.hasNode('n:' + l.from) || !g.hasNode('n:' + l.to)) return;
      g.setEdge('n:' + l.from, 'n:' + l.to, { width: 110, height: 18, labelpos: 'c' }, keys[i]);
    });
    dagre.layout(g);
    var size = g.graph();
    // An empty graph has no finite extent.
    var width = Math.ceil(isFinite(size.width) && size.width > 0 ? size.width : 200);
    var height = Math.ceil(isFinite(size.height) && size.height > 0 ? size.height : 80);

    var svg = make('svg', {
      role: 'img',
      width: width,
      height: height,
      viewBox: '0 0 ' + width + ' ' + height,
      class: 'flow-picture',
      'font-family': 'system-ui, sans-serif',
      'font-size': 13,
    }, el);
    var defs = make('defs', {}, svg);
    Object.keys(LINK_COLORS).forEach(function (s) {
      var m = make('marker', {
        id: 'flow-arrow-' + s, viewBox: '0 0 10 10', refX: 9, refY: 5,
        markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse',
      }, defs);
      make('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: LINK_COLORS[s] }, m);
    });

    var st = { svg: svg, nodes: {}, links: {}, list: null };
    var groupsLayer = make('g', { class: 'flow-groups' }, svg);
    data.groups.forEach(function (gr, i) {
      var c = g.node('g' + i);
      if (!c || c.width === undefined) return;
      var box = make('g', { class: 'flow-group', 'data-physical': gr.physical }, groupsLayer);
      // The label sits above the children, in the room nodesep leaves between groups.
      make('rect', {
        x: c.x - c.width / 2, y: c.y - c.height / 2 - 22, width: c.width, height: c.height + 22,
        rx: 8, fill: '#fafafa', stroke: '#8a8a8a', 'stroke-width': 1,
      }, box);
      var t = make('text', { x: c.x - c.width / 2 + 8, y: c.y - c.height / 2 - 7, 'font-weight': 600, fill: '#333' }, box);
      t.textContent = groupLabel(gr);
    });

    var linksLayer = make('g', { class: 'flow-links' }, svg);
    data.links.forEach(function (l, i) {
      var e = g.edge({ v: 'n:' + l.from, w: 'n:' + l.to, name: keys[i] });
      if (!e) return;
      var lg = make('g', {
        class: 'flow-link', 'data-from': l.from, 'data-to': l.to, 'data-kind': l.kind,
        'data-primary': l.primary === undefined ? '' : String(l.primary),
      }, linksLayer);
      var d = e.points.map(function (p, j) { return (j === 0 ? 'M ' : 'L ') + p.x + ' ' + p.y; }).join(' ');
      var path = make('path', { d: d, fill: 'none', 'stroke-width': l.kind === 'logical' ? 2.5 : 2 }, lg);
      if (l.primary === false) path.setAttribute('stroke-dasharray', '6 4');
      var label = make('text', {
        class: 'flow-rate', x: e.x, y: e.y + 4, 'text-anchor': 'middle', 'font-size': 12,
        // A halo wide enough to cover the arrow in the gaps between the words too.
        stroke: '#fff', 'stroke-width': 7, 'paint-order': 'stroke', 'stroke-linejoin': 'round',
      }, lg);
      st.links[keys[i]] = { g: lg, path: path, label: label };
    });

    var nodesLayer = make('g', { class: 'flow-nodes' }, svg);
    data.groups.forEach(function (gr) {
      gr.nodes.forEach(function (n) {
        var p = g.node('n:' + n.name);
        if (!p) return;
        var w = p.width;
        var ng = make('g', {
          class: 'flow-node', tabindex: 0, 'data-name': n.name, 'data-physical': gr.physical,
          transform: 'translate(' + (p.x - w / 2) + ',' + (p.y - NODE_H / 2) + ')',
        }, nodesLayer);
        var title = make('title', {}, ng);
        var rect = make('rect', { width: w, height: NODE_H, rx: 6, 'stroke-width': 2 }, ng);
        var name = make('text', { x: w / 2, y: 18, 'text-anchor': 'middle', 'font-weight': 600, fill: '#1b1b1b' }, ng);
        name.textContent = n.name;
        var state = make('text', { class: 'flow-state', x: w / 2, y: 35, 'text-anchor': 'middle', 'font-size': 12 }, ng);
        st.nodes[n.name] = { g: ng, rect: rect, state: state, title: title, physical: gr.physical };
      });
    });

    var list = document.createElement('ul');
    list.className = 'flow-links-list';
    // Visually hidden, read by screen readers: the picture's links as text.
    list.setAttribute('style', 'position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0');
    list.setAttribute('aria-label', 'Links between logical nodes');
    el.appendChild(list);
    st.list = list;
    return st;
  }

  function update(st, data) {
    var nodes = 0;
    data.groups.forEach(function (gr) {
      gr.nodes.forEach(function (n) {
        nodes++;
        var b = st.nodes[n.name];
        if (!b) return;
        var c = NODE_COLORS[n.state] || OTHER;
        b.rect.setAttribute('fill', c[0]);
        b.rect.setAttribute('stroke', c[1]);
        if (n.state === 'LOST') b.rect.setAttribute('stroke-dasharray', '5 3');
        else b.rect.removeAttribute('stroke-dasharray');
        b.state.setAttribute('fill', c[1]);
        b.state.textContent = n.state + (n.version ? ' · v' + n.version : '');
        b.g.setAttribute('data-state', n.state);
        var text = n.name + ': ' + n.state + ', version ' + n.version + ', on ' +
          (gr.physical === '' ? 'no physical node' : gr.physical) + (n.flow ? ', flow ' + n.flow : '');
        b.title.textContent = text;
        b.g.setAttribute('aria-label', text);
      });
    });
    var keys = linkKeys(data.links);
    var items = [];
    data.links.forEach(function (l, i) {
      var rate = rateText(l.eventsPerSec);
      var line = l.from + ' -> ' + l.to + ', ' + l.kind + role(l) + ', ' + rate + ', ' + l.state;
      items.push(line);
      var a = st.links[keys[i]];
      if (!a) return;
      var color = LINK_COLORS[l.state] || LINK_COLORS.idle;
      a.path.setAttribute('stroke', color);
      a.path.setAttribute('marker-end', 'url(#flow-arrow-' + (LINK_COLORS[l.state] ? l.state : 'idle') + ')');
      a.label.setAttribute('fill', color);
      a.label.textContent = rate;
      a.g.setAttribute('data-state', l.state);
      a.g.setAttribute('data-rate', String(l.eventsPerSec));
    });
    while (st.list.children.length > items.length) st.list.removeChild(st.list.lastChild);
    items.forEach(function (t, i) {
      var li = st.list.children[i] || st.list.appendChild(document.createElement('li'));
      if (li.textContent !== t) li.textContent = t;
    });
    var down = data.links.filter(function (l) { return l.state === 'down'; }).length;
    st.svg.setAttribute('aria-label', 'Flows: ' + nodes + ' logical node(s) on ' +
      data.groups.filter(function (g) { return g.physical !== ''; }).length + ' physical node(s), ' +
      data.links.length + ' link(s)' + (down ? ', ' + down + ' down' : '') + '; the links are listed below');
  }

  window.renderFlows = function (el, data) {
    var key = structureOf(data);
    var st = el.__sluiceFlows;
    if (!st || st.key !== key || !el.contains(st.svg)) {
      st = layout(el, data);
      st.key = key;
      el.__sluiceFlows = st;
    }
    update(st, data);
  };
})();
`;

/**
 * dagre's browser bundle (it defines the global `dagre` the script uses), found through the package's
 * own resolution so it works from the sources, the CLI bundle and an installed package alike. Read
 * once, on first use.
 */
let dagreText: string | undefined;
export function dagreScript(): string {
  if (dagreText === undefined) {
    const pkg = createRequire(import.meta.url).resolve('@dagrejs/dagre/package.json');
    // The source map is not shipped with the page: without the comment the browser does not ask for it.
    dagreText = readFileSync(join(dirname(pkg), 'dist', 'dagre.min.js'), 'utf8').replace(
      /^\/\/# sourceMappingURL=.*$/m,
      '',
    );
  }
  return dagreText;
}
