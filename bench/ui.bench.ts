// The dashboard in a real browser: Debian's Chromium, driven by Playwright, against a Tandem with
// the fake driver and 1,000 guests (the production build, as the fake-driver e2e spec runs it).
// Figures: frame times while the guest list scrolls at a steady speed, keystroke → paint in the
// search box, and the first-load JavaScript of the list page read from the build. Each has a
// same-run floor: the same scroll and keystroke on a static page of 1,000 plain rows (what the
// browser costs with no React work), and the first-load JavaScript of the /login page.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { chromium, type CDPSession, type Page } from "@playwright/test";
import { chromiumLaunchOptions } from "../e2e/chromium";
import { startFakeServer } from "../e2e/fake-server";
import { freePort } from "../server/test/support";
import { atMost, fmt, median, percentile, type Bench, type BenchRow } from "./harness";

const GUESTS = 1000;
/** A laptop-sized window; the list shows about 13 rows in it. */
const VIEWPORT = { width: 1280, height: 900 };
/** Steady scroll speed: 50 rows of 48 px a second, about a row per frame at 60 fps. */
const SCROLL_PX_PER_S = 2400;
const SCROLL_MS = 4000;
const ROUNDS = 3;

/**
 * requestAnimationFrame intervals (ms) for `ms` while `selector` scrolls at a steady speed (set
 * from the frame's timestamp, so a slow frame jumps further, as a fling would), wrapping at the end.
 * With `speed` 0 it measures the idle page.
 */
function frameTimes(page: Page, selector: string, speed: number, ms: number): Promise<number[]> {
  return page.evaluate(
    ({ selector, speed, ms }) => {
      const el = document.querySelector<HTMLElement>(selector);
      if (!el) throw new Error(`no ${selector}`);
      const deltas: number[] = [];
      return new Promise<number[]>((resolve) => {
        let start = 0;
        let last = 0;
        const step = (t: number) => {
          if (!start) start = t;
          else deltas.push(t - last);
          last = t;
          if (speed) {
            const range = el.scrollHeight - el.clientHeight;
            el.scrollTop = (((t - start) / 1000) * speed) % range;
          }
          if (t - start < ms) requestAnimationFrame(step);
          else resolve(deltas);
        };
        requestAnimationFrame(step);
      });
    },
    { selector, speed, ms },
  );
}

type Round = { p50: number; p95: number; max: number; cpu: number; script: number; styleLayout: number };

/**
 * One scroll round: frame-time percentiles, and from Chromium's own counters (CDP Performance)
 * the renderer main thread's CPU time per frame, of it JavaScript, and style + layout. CPU time
 * barely moves with the machine's load, where frame times do.
 */
async function scrollRound(page: Page, cdp: CDPSession, selector: string): Promise<Round> {
  const counters = async () =>
    Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  const a = await counters();
  const frames = await frameTimes(page, selector, SCROLL_PX_PER_S, SCROLL_MS);
  const b = await counters();
  const perFrame = (...keys: string[]) => (keys.reduce((s, k) => s + (b[k]! - a[k]!), 0) * 1000) / (frames.length + 1);
  return {
    p50: percentile(frames, 50),
    p95: percentile(frames, 95),
    max: Math.max(...frames),
    cpu: perFrame("ThreadTime"),
    script: perFrame("ScriptDuration"),
    styleLayout: perFrame("RecalcStyleDuration", "LayoutDuration"),
  };
}

/**
 * Keystroke → paint (ms) for each key typed into `selector`: from the keydown's timestamp to the
 * first task after the frame that follows the input event (that frame holds React's commit).
 */
async function keystrokeToPaint(
  page: Page,
  cdp: CDPSession,
  selector: string,
  keys: string[],
): Promise<{ paint: number[]; cpu: number }> {
  await page.evaluate(() => {
    const w = window as unknown as { __keyPaint: number[]; __keyDown: number };
    w.__keyPaint = [];
    window.addEventListener("keydown", (e) => (w.__keyDown = e.timeStamp), { capture: true });
    window.addEventListener("input", () => {
      const t0 = w.__keyDown;
      requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => w.__keyPaint.push(performance.now() - t0);
        ch.port2.postMessage(null);
      });
    });
  });
  await page.focus(selector);
  const before = await threadTime(cdp);
  for (const [i, k] of keys.entries()) {
    await page.keyboard.press(k);
    // One keystroke at a time, as a person types: wait until it has painted.
    await page.waitForFunction((n) => (window as unknown as { __keyPaint: number[] }).__keyPaint.length >= n, i + 1);
    await page.waitForTimeout(120);
  }
  const cpu = ((await threadTime(cdp)) - before) / keys.length;
  return { paint: await page.evaluate(() => (window as unknown as { __keyPaint: number[] }).__keyPaint), cpu };
}

/** The renderer main thread's CPU time so far (ms). */
async function threadTime(cdp: CDPSession): Promise<number> {
  const m = (await cdp.send("Performance.getMetrics")).metrics.find((x) => x.name === "ThreadTime");
  return (m?.value ?? NaN) * 1000;
}

/** Types a query and deletes it again: every key re-filters the whole list. */
const TYPING = [..."vm-04", ..."vm-04"].map((c, i) => (i < 5 ? c : "Backspace"));

/** The same 1,000 rows as plain HTML, no React, no virtualisation: the browser's own cost. */
function staticRows(): string {
  const rows = Array.from({ length: GUESTS }, (_, i) => {
    const name = `${i % 2 ? "ct" : "vm"}-${String(i >> 1).padStart(4, "0")}`;
    return `<div class="r"><input type="checkbox"><span>${name}</span><span>running</span><span>${(i * 7) % 100}%</span><span>2 CPU · 1 GiB</span><span>web</span></div>`;
  });
  return `<!doctype html><style>body{font:14px system-ui;margin:0}
    #s{height:calc(100dvh - 22rem);overflow-y:auto;contain:strict}
    .r{height:48px;display:grid;grid-template-columns:2rem 1fr 8rem 6rem 8rem 8rem;align-items:center;border-bottom:1px solid #eee}</style>
    <input type="search" id="q"><div id="s">${rows.join("")}</div>`;
}

/** The JavaScript files (path under .next/) a page's first load fetches, from the build manifests. */
export function firstLoadChunks(nextDir: string, appPage: string): string[] {
  const build = JSON.parse(readFileSync(path.join(nextDir, "build-manifest.json"), "utf8")) as {
    rootMainFiles: string[];
  };
  // The client reference manifest lists, per layout/page/boundary of this route, the chunks its
  // client components need; the page's first load fetches them all beside the framework's.
  const src = readFileSync(path.join(nextDir, "server", "app", `${appPage}_client-reference-manifest.js`), "utf8");
  const entry = /"entryJSFiles":(\{.*?\})[,}]/.exec(src);
  if (!entry) throw new Error(`no entryJSFiles in ${appPage}'s client reference manifest`);
  const perEntry = JSON.parse(entry[1]!) as Record<string, string[]>;
  return [...new Set([...build.rootMainFiles, ...Object.values(perEntry).flat()])];
}

function gzippedKB(nextDir: string, files: string[]): number {
  return files.reduce((sum, f) => sum + gzipSync(readFileSync(path.join(nextDir, f)), { level: 9 }).length, 0) / 1000;
}

const bench: Bench = {
  title: "Dashboard in Chromium: 1,000-guest list (fake driver, production build)",
  async run() {
    const root = path.resolve(import.meta.dirname, "..");
    const nextDir = path.join(root, ".next");
    const listJs = gzippedKB(nextDir, firstLoadChunks(nextDir, "(dashboard)/page"));
    const loginJs = gzippedKB(nextDir, firstLoadChunks(nextDir, "(auth)/login/page"));

    const server = await startFakeServer({ port: await freePort(), guests: GUESTS });
    const browser = await chromium.launch(chromiumLaunchOptions);
    try {
      const context = await browser.newContext({ viewport: VIEWPORT });
      // tsx (esbuild, keepNames) wraps named functions in a `__name(...)` call; the functions
      // handed to page.evaluate carry it into the page, where it must exist.
      await context.addInitScript("globalThis.__name = (f) => f;");
      const page = await context.newPage();
      await page.goto(`${server.url}/login`);
      await page.getByLabel("User name").fill("admin");
      await page.getByLabel("Password").fill(server.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByText(`${GUESTS} guests`).waitFor();
      // A few overview ticks, so the sparklines draw while we measure (as a user would see it).
      await page.waitForTimeout(4000);
      const scroller = '[data-testid="guest-scroller"]';
      const idle = await frameTimes(page, scroller, 0, 3000);
      const cdp = await context.newCDPSession(page);
      await cdp.send("Performance.enable");
      const rounds: Round[] = [];
      for (let r = 0; r < ROUNDS; r++) rounds.push(await scrollRound(page, cdp, scroller));
      const { paint: typing, cpu: typingCpu } = await keystrokeToPaint(
        page,
        cdp,
        'input[aria-label="Search guests"]',
        TYPING,
      );
      await page.close();

      const plain = await context.newPage();
      await plain.setContent(staticRows());
      const plainCdp = await context.newCDPSession(plain);
      await plainCdp.send("Performance.enable");
      const plainRounds: Round[] = [];
      for (let r = 0; r < ROUNDS; r++) plainRounds.push(await scrollRound(plain, plainCdp, "#s"));
      const plainIdle = await frameTimes(plain, "#s", 0, 3000);
      const { paint: plainTyping, cpu: plainTypingCpu } = await keystrokeToPaint(plain, plainCdp, "#q", TYPING);
      await plain.close();

      const m = (k: keyof Round, rs: Round[]) => median(rs.map((s) => s[k]));
      const staticName = "static page, 1,000 plain rows, same scroll";
      const load = `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`;
      const rows: BenchRow[] = [
        {
          name: "list scroll frame p50",
          value: m("p50", rounds),
          unit: "ms",
          baseline: { name: staticName, value: m("p50", plainRounds) },
          note: `${SCROLL_PX_PER_S} px/s for ${SCROLL_MS / 1000} s, median of ${ROUNDS} rounds; ${VIEWPORT.width}×${VIEWPORT.height}`,
        },
        {
          name: "list scroll frame p95",
          value: m("p95", rounds),
          unit: "ms",
          baseline: { name: staticName, value: m("p95", plainRounds) },
          targets: [atMost(20, "≤ 20 ms")],
          note: load,
        },
        {
          name: "list scroll frame max",
          value: m("max", rounds),
          unit: "ms",
          baseline: { name: staticName, value: m("max", plainRounds) },
        },
        {
          name: "list scroll: renderer main-thread CPU per frame",
          value: m("cpu", rounds),
          unit: "ms",
          baseline: { name: staticName, value: m("cpu", plainRounds) },
          note: `of it JavaScript ${fmt(m("script", rounds))} ms, style + layout ${fmt(m("styleLayout", rounds))} ms (static page: ${fmt(m("script", plainRounds))}, ${fmt(m("styleLayout", plainRounds))}); the rest is paint and compositing`,
        },
        {
          name: "list idle frame p95 (overview ticking, no scroll)",
          value: percentile(idle, 95),
          unit: "ms",
          baseline: { name: "static page, idle", value: percentile(plainIdle, 95) },
        },
        {
          name: "search keystroke → paint p50",
          value: median(typing),
          unit: "ms",
          baseline: { name: "plain input on the static page", value: median(plainTyping) },
          note: `${typing.length} keys: "vm-04" typed, then deleted`,
        },
        {
          name: "search keystroke → paint max",
          value: Math.max(...typing),
          unit: "ms",
          baseline: { name: "plain input on the static page", value: Math.max(...plainTyping) },
        },
        {
          name: "search keystroke: renderer main-thread CPU per key",
          value: typingCpu,
          unit: "ms",
          baseline: { name: "plain input on the static page", value: plainTypingCpu },
          note: "includes the 120 ms pause after each key (live ticks keep drawing)",
        },
        {
          name: "first-load JS of / (guest list), gzip -9",
          value: listJs,
          unit: "KB",
          baseline: { name: "first-load JS of /login", value: loginJs },
          targets: [atMost(250, "≤ 250 KB gzipped")],
          note: "framework chunks + the route's client chunks, from .next/build-manifest.json and the client reference manifest",
        },
      ];
      return rows;
    } finally {
      await browser.close();
      await server.stop();
    }
  },
};

export default bench;
