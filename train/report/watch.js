// gradlab watch's live page (train/watch.h): reads data.json from the server every few seconds
// and redraws the report (page.js) when the run folder has changed. The interval is the page's
// data-interval attribute, in seconds.
(function () {
  "use strict";
  const interval = 1000 * Number(document.body.dataset.interval || 2);
  const banner = document.getElementById("watch-status");
  let shown = "";
  async function poll() {
    try {
      const response = await fetch("data.json", { cache: "no-store" });
      const text = await response.text();
      if (!response.ok) throw new Error(text);
      const data = JSON.parse(text);
      // "generated" changes with every reading; the page is redrawn only when the run did.
      const reading = JSON.stringify(Object.assign({}, data, { generated: null }));
      if (reading !== shown) {
        shown = reading;
        gradlabReport.render(data);
      }
      banner.textContent = "";
      banner.hidden = true;
    } catch (error) {
      banner.textContent = "gradlab watch: " + error.message + " (retrying every " + interval / 1000 + " s)";
      banner.hidden = false;
    }
    setTimeout(poll, interval);
  }
  poll();
})();
