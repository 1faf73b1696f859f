// The run report's page: draws everything from the JSON that train/report/report.cpp embeds in
// <script id="report-data">. The charts are uPlot's (inlined beside this script); the confusion
// matrix is a table whose cells are shaded by their share of the row, so the numbers stay
// readable and selectable.
// The same script draws gradlab watch's live page (train/watch.h), which calls
// gradlabReport.render(data) again with each new reading of the run folder.
(function () {
  "use strict";
  const main = document.querySelector("main");

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    for (const child of children)
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }
  function section(id, title) {
    const node = element("section", { id: id + "-section" }, element("h2", {}, title));
    main.append(node);
    return node;
  }
  const percent = (x, digits = 2) => (x == null ? "–" : (100 * x).toFixed(digits) + "%");
  const fixed = (x, digits = 4) => (x == null ? "–" : Number(x).toFixed(digits));
  function duration(seconds) {
    const s = Math.round(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + " h " : "") + (h || m ? m + " min " : "") + (s % 60) + " s";
  }
  const median = (values) => {
    const sorted = values.slice().sort((a, b) => a - b);
    return sorted.length ? sorted[Math.floor(sorted.length / 2)] : null;
  };

  function render(data) {
    const classNames = data.class_names;
    // A redraw keeps the reader where they were on the page.
    const scrolled = window.scrollY;
    main.replaceChildren();

    // --- header and summary cards ---------------------------------------------------------------
    const epochs = data.epochs, last = epochs[epochs.length - 1];
    const plannedEpochs = data.config.epochs;
    main.append(element("h1", {}, "gradlab run: " + data.title));
    main.append(element("div", { class: "subtitle" },
      element("span", { class: "status-" + data.status.state, id: "status" }, data.status.text),
      " · " + data.config.data.dataset + (data.live ? " · read " : " · report made ") + data.generated +
      " by gradlab " + data.gradlab_version));

    const summary = element("div", { id: "summary" });
    function card(key, label, value) {
      summary.append(element("div", { class: "card", "data-key": key },
        element("div", { class: "value" }, value), element("div", { class: "label" }, label)));
    }
    const evaluation = data.evaluation;
    if (evaluation) card("accuracy", "accuracy, " + evaluation.split, percent(evaluation.metrics.accuracy));
    if (evaluation) card("mistakes", "mistakes of " + evaluation.metrics.count, evaluation.mistakes_total);
    card("epochs", "epochs of " + plannedEpochs, epochs.length);
    if (last && last.val_accuracy != null) card("val", "validation accuracy, last epoch", percent(last.val_accuracy));
    if (data.final) card("wall", "wall time", duration(data.final.wall_seconds));
    else if (epochs.length) card("wall", "training time so far", duration(epochs.reduce((t, e) => t + e.seconds, 0)));
    // A running run's time left: its remaining epochs at the median epoch's time so far.
    if (data.status.state === "running" && epochs.length && plannedEpochs > epochs.length)
      card("eta", "time left (estimate)", duration((plannedEpochs - epochs.length) * median(epochs.map((e) => e.seconds))));
    if (epochs.length) card("speed", "images/s (median epoch)", Math.round(median(epochs.map((e) => e.images_per_second))).toLocaleString("en"));
    const memory = data.final ? data.final.peak_memory_bytes : last && last.peak_memory_bytes;
    if (memory) card("memory", "peak memory", (memory / 2 ** 20).toFixed(0) + " MiB");
    if (data.model) card("parameters", "parameters", data.model.parameters.toLocaleString("en"));
    main.append(summary);

    // --- curves -----------------------------------------------------------------------------------
    const curves = section("curves", "Learning curves");
    if (!epochs.length && !data.steps.length) {
      curves.append(element("p", { class: "note" }, data.history_note || "No epoch has finished yet."));
    } else {
      const charts = element("div", { class: "charts" });
      curves.append(charts);
      const width = Math.max(320, Math.min(560, (main.clientWidth - 40) / 2));
      const colours = { train: "#1f77b4", validation: "#d62728", average: "#9467bd", step: "rgba(31,119,180,0.35)", lr: "#2ca02c" };
      // Series on different x values (per epoch, per logged step) share one x axis in epochs.
      function chart(id, title, yLabel, series, format) {
        const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
        const columns = [xs];
        for (const s of series) {
          const byX = new Map(s.points);
          columns.push(xs.map((x) => (byX.has(x) ? byX.get(x) : null)));
        }
        const holder = element("div", { class: "chart", id: id });
        charts.append(holder);
        new uPlot({
          title: title, width: width, height: 260,
          scales: { x: { time: false } },
          axes: [{ label: "epoch" }, { label: yLabel, size: 60, values: (u, ticks) => ticks.map(format) }],
          series: [{ label: "epoch", value: (u, v) => (v == null ? "–" : v.toFixed(2)) }].concat(series.map((s) => ({
            label: s.label, stroke: s.colour, width: s.width || 2, spanGaps: true,
            points: { show: s.points.length <= 60 }, value: (u, v) => (v == null ? "–" : format(v)),
          }))),
        }, columns, holder);
      }
      const perStep = data.steps_per_epoch || 1;
      const stepPoints = (key) => data.steps.map((s) => [s.step / perStep, s[key]]);
      const epochPoints = (key) => epochs.filter((e) => e[key] != null).map((e) => [e.epoch, e[key]]);
      const lossSeries = [];
      if (data.steps.length) lossSeries.push({ label: "train (per logged step)", colour: colours.step, width: 1, points: stepPoints("train_loss") });
      lossSeries.push({ label: "train", colour: colours.train, points: epochPoints("train_loss") });
      lossSeries.push({ label: "validation", colour: colours.validation, points: epochPoints("val_loss") });
      // A run that keeps a weight average (config "ema") validates it too.
      const averaged = epochs.some((e) => e.ema_val_accuracy != null);
      if (averaged) lossSeries.push({ label: "validation, weight average", colour: colours.average, points: epochPoints("ema_val_loss") });
      chart("loss-chart", "Loss", "loss", lossSeries, (v) => v.toPrecision(3));
      const accuracySeries = [
        { label: "train", colour: colours.train, points: epochPoints("train_accuracy") },
        { label: "validation", colour: colours.validation, points: epochPoints("val_accuracy") },
      ];
      if (averaged) accuracySeries.push({ label: "validation, weight average", colour: colours.average, points: epochPoints("ema_val_accuracy") });
      chart("accuracy-chart", "Accuracy", "accuracy", accuracySeries, (v) => (100 * v).toFixed(1) + "%");
      const lrSeries = [{ label: "schedule", colour: colours.lr, points: data.schedule }];
      if (data.steps.length) lrSeries.push({ label: "logged steps", colour: colours.train, width: 1, points: stepPoints("lr") });
      chart("lr-chart", "Learning rate", "learning rate", lrSeries, (v) => v.toExponential(1));
    }

    // --- layer health (train/layer_stats.h): heat maps, a row per tensor or layer, a column per
    // reading; a cell's values in words on hover -----------------------------------------------
    const readings = data.layer_stats || [];
    if (readings.length) {
      const health = section("layer-health", "Layer health");
      const every = (data.config.log || {}).layer_stats_every;
      const byName = (entries) => Object.fromEntries((entries || []).map((e) => [e.name, e]));
      // rows: [{name, label}]; entries[column][name]: that reading's entry for the row, if any.
      const heatmap = (id, intro, rows, entries, colour, words) => {
        health.append(element("p", {}, intro));
        const cell = { w: Math.max(2, Math.min(24, Math.floor(900 / readings.length))), h: 14 };
        const labelWidth = 170;
        const canvas = element("canvas", { id, "data-rows": rows.length,
          "data-columns": readings.length, width: labelWidth + cell.w * readings.length,
          height: cell.h * rows.length + 20 });
        canvas.width = Math.max(canvas.width, labelWidth + 160);  // room for the steps' label
        const context = canvas.getContext("2d");
        context.font = "11px sans-serif";
        context.textBaseline = "middle";
        rows.forEach((row, r) => {
          context.fillStyle = "#333";
          const label = row.label;
          context.fillText(label.length > 26 ? "…" + label.slice(-25) : label, 2, r * cell.h + cell.h / 2);
          readings.forEach((reading, column) => {
            const entry = entries[column][row.name];
            context.fillStyle = entry ? colour(entry) : "#888";
            context.fillRect(labelWidth + column * cell.w, r * cell.h, cell.w, cell.h - 1);
          });
        });
        context.fillStyle = "#333";
        context.fillText("steps " + readings[0].step + "–" + readings[readings.length - 1].step + " →",
          labelWidth, rows.length * cell.h + 10);
        const readout = element("p", { class: "note", id: id + "-readout" }, "");
        canvas.addEventListener("mousemove", (event) => {
          const box = canvas.getBoundingClientRect();
          const column = Math.floor((event.clientX - box.left - labelWidth) / cell.w);
          const row = rows[Math.floor((event.clientY - box.top) / cell.h)];
          const entry = row && entries[column] && entries[column][row.name];
          readout.textContent = entry ? row.label + " at step " + readings[column].step + ": " + words(entry) : "";
        });
        health.append(element("div", { class: "heatmap" }, canvas), readout);
      };
      // log10(value / middle) over ±span onto blue (below) .. white (middle) .. red (above).
      const diverging = (value, middle, span) => {
        if (!(value > 0)) return "#888";
        const t = Math.max(-1, Math.min(1, Math.log10(value / middle) / span));
        const fade = Math.round(255 * (1 - Math.abs(t)));
        return t < 0 ? "rgb(" + fade + "," + fade + ",255)" : "rgb(255," + fade + "," + fade + ")";
      };
      const tensors = readings[0].layers.map((l) => ({ name: l.name, label: l.name }));
      heatmap("layer-heatmap", "Each parameter tensor (row) at each of " + readings.length +
        " readings (columns, every " + every + " steps): how far the step moved it, ‖Δθ‖ / ‖θ‖, " +
        "on a log scale — blue below 1e-4 (barely moving), white about 1e-3 (the usual rule of " +
        "thumb), red above 1e-2. Point at a cell for its values.",
        tensors, readings.map((r) => byName(r.layers)), (e) => diverging(e.update_ratio, 1e-3, 2),
        (e) => "‖θ‖ " + e.norm.toPrecision(3) + ", ‖g‖ " + e.grad_norm.toPrecision(3) +
          ", update ratio " + e.update_ratio.toExponential(2));
      // Runs written before 0.2.0's activation statistics have none.
      const outputs = (readings[0].activations || []).map((a) => ({ name: a.name, label: a.name + " " + a.kind, kind: a.kind }));
      const activations = readings.map((r) => byName(r.activations));
      const outputWords = (e) => "mean " + e.mean.toPrecision(3) + ", std " + e.std.toPrecision(3) +
        ", " + (100 * e.zero_fraction).toFixed(1) + "% zeros";
      if (outputs.length)
        heatmap("activation-heatmap", "Each layer's output (row) over the reading step's batch: " +
          "its standard deviation, on a log scale — white about 1, blue toward 0.1 (the signal " +
          "fades), red toward 10 (it grows). A layer whose ReLU runs inside it (on oneDNN) has " +
          "no output of its own: the ReLU's row shows the pair's.",
          outputs, activations, (e) => diverging(e.std, 1, 1), outputWords);
      const relus = outputs.filter((o) => o.kind === "relu");
      if (relus.length)
        heatmap("relu-heatmap", "Each ReLU's share of outputs that are 0: white none, dark red " +
          "all (units that pass nothing back either; the log warns from 99%).",
          relus, activations, (e) => {
            const fade = Math.round(255 * (1 - e.zero_fraction));
            return "rgb(" + Math.round(155 + 100 * (1 - e.zero_fraction)) + "," + fade + "," + fade + ")";
          }, outputWords);
    }

    // --- evaluation: confusion matrix, per-class metrics, mistakes --------------------------------
    const confusionSection = section("confusion", "Confusion matrix");
    const perClass = section("per-class", "Per-class precision, recall and F1");
    const gallery = section("mistakes", "Mistakes");
    if (!evaluation) {
      const why = element("p", { class: "note" }, data.evaluation_note || "No evaluation.");
      confusionSection.append(why);
      perClass.append(why.cloneNode(true));
      gallery.append(why.cloneNode(true));
    } else {
      const m = evaluation.metrics, C = classNames.length;
      const about = element("p", {}, evaluation.source + ". Rows: true class; columns: predicted; " +
        "each cell is its share of the row (diagonal = recall), count on hover.");
      confusionSection.append(about);
      const table = element("table", { id: "confusion" });
      const head = element("tr", {}, element("th", { class: "axis" }, "true ↓ predicted →"));
      for (const name of classNames) head.append(element("th", { class: "predicted" }, name));
      table.append(element("thead", {}, head));
      const body = element("tbody");
      // Confusions are shaded against the largest one (√ scale), so that a 0.2% confusion of a
      // 99.5% model shows as clearly as a 20% one of a weak model; the number gives the size.
      let largestConfusion = 0;
      for (let t = 0; t < C; ++t) {
        const total = m.confusion[t].reduce((a, b) => a + b, 0);
        for (let p = 0; p < C; ++p)
          if (p !== t && total) largestConfusion = Math.max(largestConfusion, m.confusion[t][p] / total);
      }
      for (let t = 0; t < C; ++t) {
        const row = element("tr", {}, element("th", { class: "name" }, classNames[t]));
        const total = m.confusion[t].reduce((a, b) => a + b, 0);
        for (let p = 0; p < C; ++p) {
          const count = m.confusion[t][p], share = total ? count / total : 0;
          const cell = element("td", { title: count + " of " + total + " " + classNames[t] + " predicted " + classNames[p] },
            count ? (100 * share).toFixed(1) : "");
          // Diagonal blue by recall, confusions red: the eye finds them.
          const hue = t === p ? "31,119,180" : "214,39,40";
          const alpha = t === p ? share : count ? 0.12 + 0.68 * Math.sqrt(share / largestConfusion) : 0;
          cell.style.background = "rgba(" + hue + "," + alpha.toFixed(3) + ")";
          if (alpha > 0.55) cell.style.color = "#fff";
          row.append(cell);
        }
        body.append(row);
      }
      table.append(body);
      confusionSection.append(table);

      const metricsTable = element("table", { id: "per-class" },
        element("thead", {}, element("tr", {}, ...["class", "precision", "recall", "F1", "support"].map((h, i) => element("th", i ? {} : { class: "name" }, h)))));
      const metricsBody = element("tbody");
      for (let c = 0; c < C; ++c) {
        const support = m.confusion[c].reduce((a, b) => a + b, 0);
        metricsBody.append(element("tr", {}, element("td", { class: "name" }, classNames[c]),
          element("td", {}, fixed(m.precision[c])), element("td", {}, fixed(m.recall[c])),
          element("td", {}, fixed(m.f1[c])), element("td", {}, support)));
      }
      metricsBody.append(element("tr", {}, element("th", { class: "name" }, "macro mean"),
        element("th", {}, fixed(m.precision.reduce((a, b) => a + b, 0) / C)),
        element("th", {}, fixed(m.balanced_accuracy)), element("th", {}, fixed(m.macro_f1)),
        element("th", {}, m.count)));
      metricsTable.append(metricsBody);
      perClass.append(metricsTable);

      const shown = evaluation.mistakes.length;
      gallery.append(element("p", {}, evaluation.mistakes_total === 0 ? "No mistakes." :
        (shown < evaluation.mistakes_total ? "The " + shown + " most confident of " : "All ") +
        evaluation.mistakes_total + " mistakes, most confident first: the image (a table row: its first standardised features), its true class " +
        "and the predicted one with the model's probability."));
      const images = element("div", { id: "mistakes" });
      for (const mistake of evaluation.mistakes) {
        // An image, or for a table the row's first standardised features.
        const sample = mistake.image
          ? element("img", { src: mistake.image, alt: "image " + mistake.index })
          : element("code", { class: "row" }, mistake.row.map((v) => v.toFixed(2)).join(", ") +
              (mistake.features > mistake.row.length ? ", …" : ""));
        images.append(element("figure", { "data-index": mistake.index }, sample,
          element("figcaption", {}, "#" + mistake.index, element("br"),
            "true: " + classNames[mistake.label], element("br"),
            element("span", { class: "predicted" }, "pred: " + classNames[mistake.predicted]),
            " " + percent(mistake.confidence, 0))));
      }
      gallery.append(images);
    }

    // --- epochs, timing and memory ----------------------------------------------------------------
    const epochSection = section("epochs", "Epochs");
    const columns = [
      ["epoch", (e) => e.epoch], ["train loss", (e) => fixed(e.train_loss)],
      ["train acc", (e) => percent(e.train_accuracy)], ["val loss", (e) => fixed(e.val_loss)],
      ["val acc", (e) => percent(e.val_accuracy)],
      ...(epochs.some((e) => e.ema_val_accuracy != null) ? [["val acc, average", (e) => percent(e.ema_val_accuracy)]] : []),
      ["lr", (e) => Number(e.lr).toExponential(2)],
      ["seconds", (e) => fixed(e.seconds, 1)], ["images/s", (e) => Math.round(e.images_per_second)],
      ["peak memory", (e) => (e.peak_memory_bytes ? (e.peak_memory_bytes / 2 ** 20).toFixed(0) + " MiB" : "–")],
    ];
    const epochTable = element("table", { id: "epochs" },
      element("thead", {}, element("tr", {}, ...columns.map(([name]) => element("th", {}, name)))));
    const epochBody = element("tbody");
    for (const e of epochs) epochBody.append(element("tr", {}, ...columns.map(([, value]) => element("td", {}, value(e)))));
    epochTable.append(epochBody);
    epochSection.append(epochTable);
    if (data.final && data.final.best_epoch)
      epochSection.append(element("p", {}, "Best epoch (the weights evaluated at the end): " + data.final.best_epoch + "."));

    const configSection = section("config", "Config (as run, defaults filled in)");
    configSection.append(element("pre", { id: "config" }, JSON.stringify(data.config, null, 2)));

    main.append(element("footer", {}, "Charts drawn by uPlot (MIT licence, © Leon Sorokin; its " +
      "licence text is in this file's source). " + (data.live ? "gradlab watch serves this page " +
      "and redraws it as the run folder changes (read " + data.generated + ")." :
      "This page needs no network and no server.")));
    window.scrollTo(0, scrolled);
  }

  window.gradlabReport = { render: render };
})();
