// Checks generated HTML docs in a real headless Chromium (driven by playwright-core):
// no console errors, no network, every expected anchor exists and scrolls into view, the
// filter hides exactly the entries that do not match, phone-width layout, screenshots.
//
// usage: node check-docs.mjs EXPECTATIONS.json ARTIFACT_DIR
// EXPECTATIONS.json: [{"html": "/abs/page.html", "anchors": ["message-x", ...], "query": "text"}]
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const require = createRequire(path.join(process.env.DOCS_NODE_MODULES || ".", "x.js"));
const { chromium } = require("playwright-core");

const [expectationsPath, artifacts] = process.argv.slice(2);
const expectations = JSON.parse(fs.readFileSync(expectationsPath, "utf8"));
fs.mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
const failures = [];
const report = [];
for (const exp of expectations) {
  const name = path.basename(exp.html, ".html");
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  const external = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => { if (!r.url().startsWith("file:")) external.push(r.url()); });
  const url = "file://" + exp.html;
  await page.goto(url, { waitUntil: "load" });

  const missing = [];
  const notScrolled = [];
  for (const anchor of exp.anchors) {
    await page.goto(url + "#" + anchor, { waitUntil: "load" });
    const where = await page.evaluate((id) => {
      const el = document.getElementById(id);
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return { top: r.top, height: window.innerHeight };
    }, anchor);
    if (where === null) missing.push(anchor);
    else if (where.top < -2 || where.top > where.height / 2) notScrolled.push(`${anchor} (top ${Math.round(where.top)})`);
  }

  await page.goto(url, { waitUntil: "load" });
  await page.fill("#search", exp.query);
  const filter = await page.evaluate((q) => {
    const sections = Array.from(document.querySelectorAll("section.entry"));
    const wrong = [];
    let visible = 0;
    for (const s of sections) {
      const shown = getComputedStyle(s).display !== "none";
      const matches = ((s.getAttribute("data-search") || "") + " " + s.textContent.toLowerCase()).includes(q.toLowerCase());
      if (shown) visible++;
      if (shown !== matches) wrong.push(`${s.id}: shown=${shown} matches=${matches}`);
    }
    const navWrong = Array.from(document.querySelectorAll("nav li[data-target]"))
      .filter((li) => {
        const target = document.getElementById(li.getAttribute("data-target"));
        return (getComputedStyle(li).display !== "none") !== (getComputedStyle(target).display !== "none");
      })
      .map((li) => li.getAttribute("data-target"));
    return { total: sections.length, visible, wrong, navWrong };
  }, exp.query);
  await page.screenshot({ path: path.join(artifacts, `${name}-filtered.png`) });
  await page.fill("#search", "");
  const restored = await page.evaluate(() => document.querySelectorAll("section.entry.hidden").length);
  await page.screenshot({ path: path.join(artifacts, `${name}.png`) });

  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: path.join(artifacts, `${name}-phone.png`) });
  await page.close();

  const problems = [];
  if (errors.length) problems.push(`console errors: ${errors.join(" | ")}`);
  if (external.length) problems.push(`network requests: ${external.join(", ")}`);
  if (missing.length) problems.push(`missing anchors: ${missing.join(", ")}`);
  if (notScrolled.length) problems.push(`anchors not scrolled into view: ${notScrolled.join(", ")}`);
  if (filter.wrong.length || filter.navWrong.length) problems.push(`filter wrong: ${filter.wrong.concat(filter.navWrong).join(", ")}`);
  if (!(filter.visible > 0 && filter.visible < filter.total)) problems.push(`filter "${exp.query}" showed ${filter.visible} of ${filter.total}`);
  if (restored !== 0) problems.push(`${restored} entries still hidden after clearing the filter`);
  if (overflow > 2) problems.push(`page is ${overflow}px wider than a phone screen`);
  report.push({ page: name, anchors: exp.anchors.length, filter: `${filter.visible}/${filter.total}`, problems });
  if (problems.length) failures.push(`${name}: ${problems.join("; ")}`);
}
await browser.close();
console.log(JSON.stringify(report));
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
