// Lighthouse (mobile) and axe-core on the main pages of a running yicha,
// in Debian's Chromium through puppeteer-core. Run by deploy/dev/audit.sh
// (make audit), from the directory the npm packages are installed in.
//
//   node audit.mjs http://127.0.0.1:PORT
//
// Prints a table of Lighthouse scores and one of axe violations per page
// and state (phone size; the search suggestions open; large text at
// 320px), and the audits that cost points. Exits 1 when accessibility is
// below 100 on a page or axe finds a violation.

import fs from "node:fs";
import { createRequire } from "node:module";
import lighthouse from "lighthouse";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const base = process.argv[2];
if (!base) {
  console.error("usage: node audit.mjs BASE_URL");
  process.exit(2);
}
const chromium = process.env.CHROMIUM || "/usr/bin/chromium";

const q = encodeURIComponent;
const pages = [
  ["home", "/"],
  ["results", "/search?q=" + q("老人吃饭有补贴吗")],
  ["policy", "/policies/laonian-zonghe-jintie"],
  ["wizard", "/match"],
  ["wizard-results", "/match?age=75&hukou=" + q("本市户籍")],
  ["transparency", "/transparency"],
  ["list", "/list?ids=laonian-zonghe-jintie,shiye-dengji,linghuo-jiuye-yanglao-canbao"],
];
// Lighthouse runs on the pages the issue names; axe on all of them.
// AUDIT_ONLY=policy,results keeps only those pages.
const lighthousePages = new Set(["home", "results", "policy", "wizard", "transparency"]);
if (process.env.AUDIT_ONLY) {
  const only = new Set(process.env.AUDIT_ONLY.split(","));
  pages.splice(0, pages.length, ...pages.filter(([name]) => only.has(name)));
}

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--lang=zh-CN"],
});
let failed = false;
const lost = [];

try {
  // Lighthouse, mobile (its default): one fresh page each.
  const scores = [];
  for (const [name, path] of pages) {
    if (!lighthousePages.has(name)) continue;
    const page = await browser.newPage();
    const r = await lighthouse(base + path, {
      logLevel: "error", output: "json",
      onlyCategories: ["performance", "accessibility", "best-practices", "seo"],
    }, undefined, page);
    await page.close();
    const c = r.lhr.categories;
    if (r.lhr.runtimeError) {
      lost.push(`${name}: Lighthouse could not finish: ${r.lhr.runtimeError.code}: ${r.lhr.runtimeError.message}`);
    }
    for (const w of r.lhr.runWarnings || []) lost.push(`${name}: warning: ${w}`);
    const shifts = r.lhr.audits["layout-shifts"];
    if (shifts && shifts.details && shifts.details.items) {
      for (const it of shifts.details.items.slice(0, 3)) {
        lost.push(`${name}: layout shift ${it.score.toFixed(3)} at ${it.node && it.node.selector}`);
      }
    }
    const row = { name, perf: c.performance.score, a11y: c.accessibility.score, bp: c["best-practices"].score, seo: c.seo.score };
    scores.push(row);
    if (row.a11y < 1) failed = true;
    for (const cat of ["accessibility", "best-practices", "seo", "performance"]) {
      for (const ref of c[cat].auditRefs) {
        const a = r.lhr.audits[ref.id];
        if (ref.weight > 0 && a.score !== null && a.score < 1 && a.scoreDisplayMode !== "informative") {
          lost.push(`${name}: ${cat}: ${a.id} (${a.score})${a.displayValue ? " " + a.displayValue : ""}`);
        }
      }
    }
  }

  // axe-core in each state.
  const states = [];
  const phone = { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
  const narrow = { width: 320, height: 640, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
  async function axe(name, path, viewport, opts = {}) {
    try {
      await axeOnce(name, path, viewport, opts);
    } catch (e) {
      failed = true;
      states.push({ name, violations: "error", ids: String(e.message || e).split("\n")[0], overflow: "" });
    }
  }
  async function axeOnce(name, path, viewport, opts) {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.setViewport(viewport);
    if (opts.large) {
      await page.setCookie({ name: "yc_size", value: "l", url: base });
    }
    await page.goto(base + path, { waitUntil: "load" });
    if (opts.suggest) {
      await page.$eval("#q", (e) => { e.value = ""; });
      await page.focus("#q");
      await page.keyboard.type("dibao");
      await page.waitForSelector("#q-suggestions:not([hidden]) [role=option]", { timeout: 10000 });
    }
    await page.evaluate(axeSource);
    const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await ctx.close();
    const ids = res.violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length})`);
    if (ids.length) failed = true;
    states.push({ name, violations: res.violations.length, ids: ids.join(", "), overflow });
  }
  for (const [name, path] of pages) {
    await axe(name, path, phone);
  }
  for (const [name, path] of pages) {
    if (name === "home" || name === "results") await axe(name + ", suggestions open", path, phone, { suggest: true });
  }
  for (const [name, path] of pages) {
    await axe(name + ", large text 320px", path, narrow, { large: true });
  }
  if (pages.some(([name]) => name === "home")) {
    await axe("home, large 320px, suggestions open", "/", narrow, { large: true, suggest: true });
  }

  const pct = (s) => String(Math.round(s * 100)).padStart(4);
  console.log("\nLighthouse (mobile)");
  console.log("page                 perf a11y   bp  seo");
  for (const r of scores) {
    console.log(`${r.name.padEnd(20)} ${pct(r.perf)} ${pct(r.a11y)} ${pct(r.bp)} ${pct(r.seo)}`);
  }
  console.log("\naxe-core");
  console.log("state                                   violations  overflow(px)  rules");
  for (const s of states) {
    console.log(`${s.name.padEnd(40)} ${String(s.violations).padStart(10)}  ${String(s.overflow).padStart(12)}  ${s.ids}`);
  }
  if (lost.length) {
    console.log("\nAudits that cost points:");
    for (const l of lost) console.log("  " + l);
  }
} finally {
  await browser.close();
}
if (failed) {
  console.log("\naudit FAILED: accessibility below 100 or axe violations (above)");
  process.exit(1);
}
console.log("\naudit passed: accessibility 100 and no axe violations");
