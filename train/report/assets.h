// The run report's page assets, compiled into gradlab from text files at build time
// (cmake/embed_text.cmake), so that report.html needs no network and no other file.
#pragma once

namespace gradlab::report_assets {

extern const char* const uplot_js;   // uPlot's browser build (npm uplot, dist/uPlot.iife.min.js)
extern const char* const uplot_css;  // ...its style sheet
extern const char* const uplot_license;  // ...its MIT licence, kept in every page
extern const char* const page_js;        // train/report/page.js: draws the page from its data
extern const char* const page_css;       // train/report/page.css
extern const char* const watch_js;       // train/report/watch.js: gradlab watch's poller

}  // namespace gradlab::report_assets
