// The browser tests' common part (tests/report/check_report.js, tests/watch/check_watch.js):
// Debian's chromium, headless, driven by npm's playwright-core (scripts/fetch-npm.sh playwright),
// with every console error or warning, page error and request that `allowed(url)` refuses
// collected in `problems`.
"use strict";
const path = require("path");

async function openBrowser(modules, allowed) {
  const { chromium } = require(path.resolve(modules, "playwright-core"));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    // Chromium's sandbox needs user namespaces, which CI's containers (as root) do not give.
    args: ["--no-sandbox"],
  });
  const problems = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning")
      problems.push("console " + message.type() + ": " + message.text());
  });
  page.on("pageerror", (error) => problems.push("page error: " + error.message));
  page.on("request", (request) => {
    if (!allowed(request.url())) problems.push("request elsewhere: " + request.url());
  });
  return { browser, page, problems };
}

// Run in the page (page.evaluate(heatmapSizes)): each heat map's [rows, columns], by its id.
function heatmapSizes() {
  return Object.fromEntries([...document.querySelectorAll(".heatmap canvas")].map((canvas) =>
    [canvas.id, [Number(canvas.dataset.rows), Number(canvas.dataset.columns)]]));
}

module.exports = { openBrowser, heatmapSizes };
