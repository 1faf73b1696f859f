// Follows gradlab watch's live page in headless Chromium while a run trains (Debian's chromium,
// npm's playwright-core): it waits for the first epoch, lets the trainer go on (it is paused with
// SIGSTOP until the page has been read once, so that a fast machine cannot finish the run before
// the browser starts), waits for more epochs (the curves grow as the page redraws), then for the
// run to finish, and prints what it saw as one JSON line. Exit 1 on any console error or
// warning, page error, or request to anywhere but the watch server.
// Usage: node check_watch.js PLAYWRIGHT_MODULES URL TRAINER_PID [SCREENSHOT.png]
"use strict";
const [modules, url, trainer, screenshot] = process.argv.slice(2);
const { openBrowser, heatmapSizes } = require("../browser.js");

(async () => {
  const { browser, page, problems } = await openBrowser(modules, (address) => address.startsWith(url));
  try {
    await page.goto(url, { waitUntil: "load" });
    const rows = () => page.evaluate(() => document.querySelectorAll("#epochs tbody tr").length);
    const status = () => page.evaluate(() => (document.querySelector("#status") || {}).textContent);
    const wait = { timeout: 120000, polling: 100 };
    await page.waitForFunction(() => document.querySelectorAll("#epochs tbody tr").length > 0, null, wait);
    const first = await rows();
    const firstStatus = await status();
    const eta = await page.evaluate(() => !!document.querySelector('#summary [data-key="eta"]'));
    process.kill(Number(trainer), "SIGCONT");
    await page.waitForFunction((n) => document.querySelectorAll("#epochs tbody tr").length > n, first, wait);
    const grown = await rows();
    await page.waitForFunction(() => /^finished/.test(document.querySelector("#status").textContent), null, wait);
    const facts = await page.evaluate(() => ({
      epoch_rows: document.querySelectorAll("#epochs tbody tr").length,
      charts: [...document.querySelectorAll(".uplot .u-title")].map((n) => n.textContent),
      step_series: [...document.querySelectorAll("#loss-chart .u-legend .u-label")].map((n) => n.textContent),
      status: document.querySelector("#status").textContent,
      banner_hidden: document.querySelector("#watch-status").hidden,
    }));
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    facts.heatmaps = await page.evaluate(heatmapSizes);
    console.log(JSON.stringify(Object.assign({ first, first_status: firstStatus, eta_while_running: eta, grown }, facts)));
  } finally {
    await browser.close();
  }
  for (const problem of problems) console.error(problem);
  process.exit(problems.length ? 1 : 0);
})().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
