// Opens a gradlab report.html in headless Chromium (Debian's chromium, driven by npm's
// playwright-core from scripts/fetch-npm.sh playwright) and prints what the page shows as one JSON
// line. Exit 1 on any console error or warning, page error, failed image, or request that would
// need the network (the page must open offline).
// Usage: node check_report.js PLAYWRIGHT_MODULES REPORT.html [SCREENSHOT.png]
"use strict";
const path = require("path");
const [modules, report, screenshot] = process.argv.slice(2);
const { openBrowser, heatmapSizes } = require("../browser.js");

(async () => {
  // The page must open offline: nothing but itself and its data: URIs.
  const { browser, page, problems } = await openBrowser(modules,
    (url) => url.startsWith("file:") || url.startsWith("data:"));
  try {
    await page.goto("file://" + path.resolve(report), { waitUntil: "load" });
    const facts = await page.evaluate(() => {
      const count = (selector) => document.querySelectorAll(selector).length;
      const text = (selector) => {
        const node = document.querySelector(selector);
        return node ? node.textContent.trim() : null;
      };
      const images = [...document.querySelectorAll("#mistakes img")];
      return {
        title: document.title,
        status: text("#status"),
        epoch_rows: count("#epochs tbody tr"),
        charts: count(".uplot canvas"),
        chart_titles: [...document.querySelectorAll(".uplot .u-title")].map((n) => n.textContent),
        accuracy_series: [...document.querySelectorAll("#accuracy-chart .u-legend .u-label")].map((n) => n.textContent),
        confusion_rows: count("#confusion tbody tr"),
        confusion_columns: count("#confusion thead th.predicted"),
        class_names: [...document.querySelectorAll("#confusion tbody th")].map((n) => n.textContent),
        per_class_rows: count("#per-class tbody tr"),
        mistakes_shown: count("#mistakes figure"),
        mistakes_card: text('#summary [data-key="mistakes"] .value'),
        images_decoded: images.filter((img) => img.complete && img.naturalWidth > 0).length,
        rows_shown: count("#mistakes code.row"),
        config_shown: text("#config") !== null && text("#config").includes('"epochs"'),
        notes: [...document.querySelectorAll(".note")].map((n) => n.textContent),
      };
    });
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    facts.heatmaps = await page.evaluate(heatmapSizes);
    console.log(JSON.stringify(facts));
  } finally {
    await browser.close();
  }
  for (const problem of problems) console.error(problem);
  process.exit(problems.length ? 1 : 0);
})().catch((error) => {
  console.error("check_report: " + error.message);
  process.exit(1);
});
