// Realistic Apache access log lines (combined log format) for the streaming demo and its tests: a web
// shop's pages requested with a skewed popularity (a few pages get most hits, as real traffic does),
// from a pool of client addresses, with referers, user agents, statuses and sizes. Seeded, so a test
// can generate the same traffic twice; it counts the URLs it wrote, so the aggregator can be checked.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PAGES = [
  '/',
  '/index.html',
  '/products',
  '/products/espresso-machine',
  '/products/grinder',
  '/products/kettle',
  '/products/beans-1kg',
  '/cart',
  '/checkout',
  '/login',
  '/account/orders',
  '/search?q=espresso',
  '/search?q=grinder',
  '/blog/latte-art',
  '/blog/water-hardness',
  '/static/app.js',
  '/static/site.css',
  '/static/logo.svg',
  '/api/cart/items',
  '/api/stock/espresso-machine',
  '/favicon.ico',
  '/robots.txt',
  '/about',
  '/contact',
];
const REFERERS = [
  '-',
  'https://www.google.com/',
  'https://duckduckgo.com/',
  'https://shop.example/',
  'https://news.example/coffee',
];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Googlebot/2.1 (+http://www.google.com/bot.html)',
  'curl/8.5.0',
];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Apache's %t: `[30/Nov/2026:10:41:19 +0000]` (UTC). */
function apacheTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export class AccessLogGenerator {
  /** Lines written per URL so far. */
  readonly counts = new Map<string, number>();
  lines = 0;
  private state: number;
  /** Cumulative weights of PAGES: page i weighs 1/(i+1) (Zipf). */
  private readonly cumulative: number[];

  constructor(seed = 42) {
    this.state = seed >>> 0 || 1;
    let sum = 0;
    this.cumulative = PAGES.map((_, i) => (sum += 1 / (i + 1)));
  }

  /** One line; its URL is counted. */
  line(now = Date.now()): string {
    const r = this.random() * this.cumulative[this.cumulative.length - 1]!;
    let i = 0;
    while (this.cumulative[i]! < r) i++;
    const url = PAGES[i]!;
    this.counts.set(url, (this.counts.get(url) ?? 0) + 1);
    this.lines++;
    const ip = `${[203, 198, 192][this.pick(3)]}.${this.pick(256)}.${this.pick(256)}.${1 + this.pick(254)}`;
    const method = url.startsWith('/api/cart') && this.pick(3) === 0 ? 'POST' : 'GET';
    const status =
      this.pick(50) === 0
        ? 404
        : this.pick(200) === 0
          ? 500
          : url === '/checkout' && this.pick(4) === 0
            ? 302
            : 200;
    const size = status === 302 ? '-' : String(200 + this.pick(40_000));
    const user = url.startsWith('/account') ? `user${this.pick(500)}` : '-';
    return `${ip} - ${user} [${apacheTime(now)}] "${method} ${url} HTTP/1.1" ${status} ${size} "${REFERERS[this.pick(REFERERS.length)]}" "${AGENTS[this.pick(AGENTS.length)]}"`;
  }

  /**
   * Writes `n` lines as a new file in `spoolDir`, the way a spooling directory wants files: written under
   * a hidden name first, then renamed, so the agent never reads a half-written file.
   */
  writeSpoolFile(spoolDir: string, n: number, name: string): void {
    const lines: string[] = [];
    const now = Date.now();
    for (let i = 0; i < n; i++) lines.push(this.line(now));
    const tmp = join(spoolDir, `.${name}.tmp`);
    writeFileSync(tmp, `${lines.join('\n')}\n`);
    renameSync(tmp, join(spoolDir, name));
  }

  /** Counts per URL, most requested first (ties by URL), as the aggregator's JSON lines hold them. */
  sortedCounts(): [string, number][] {
    return [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** xorshift32: small, fast, and the same sequence for the same seed everywhere. */
  private random(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x1_0000_0000;
  }

  private pick(n: number): number {
    return Math.floor(this.random() * n);
  }
}
