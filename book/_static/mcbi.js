/* mcbi book: small presentation helpers (no dependencies, runs once the page is parsed).
 *
 * 1. A table's caption is copied above the table's horizontally scrolling container, so on a
 *    phone it wraps to the screen width instead of scrolling away with the table; the
 *    original <caption> stays in the table for assistive technology, visually hidden.
 * 2. A figure's image opens at full size on click (a link to the image itself), and an image
 *    whose alt text is only its file name gets its figure caption as alt text.
 * 3. On a wide screen (1200 px and more) a table wider than the text column may use the
 *    room to the right of it (the page margin) instead of scrolling sideways while that
 *    margin is empty; on resize it is measured again.
 * (Phone reflow of tables needs no script: the cells carry data-label from the build.)
 */
(function () {
  "use strict";

  function moveCaptions() {
    document.querySelectorAll(".bd-article table > caption").forEach(function (caption) {
      var table = caption.parentElement;
      var box = table.closest(".pst-scrollable-table-container") || table;
      if (caption.classList.contains("mcbi-moved")) { return; }
      var shown = document.createElement("div");
      shown.className = "mcbi-table-caption";
      shown.setAttribute("aria-hidden", "true");
      shown.innerHTML = caption.innerHTML;
      box.parentElement.insertBefore(shown, box);
      caption.classList.add("mcbi-moved");
    });
  }

  function captionText(img) {
    var figure = img.closest("figure");
    var text = figure && figure.querySelector("figcaption .caption-text");
    return text ? text.textContent.trim() : "";
  }

  function zoomableFigures() {
    document.querySelectorAll(".bd-article figure img").forEach(function (img) {
      var alt = img.getAttribute("alt") || "";
      if (!alt || /\.(png|jpe?g|svg|gif|webp)$/i.test(alt)) {
        var text = captionText(img);
        if (text) { img.setAttribute("alt", text); }
      }
      if (img.closest("a")) { return; }
      var link = document.createElement("a");
      link.href = img.getAttribute("src");
      link.className = "mcbi-image-link";
      link.title = "Open the full-size image";
      img.classList.add("mcbi-zoomable");
      img.parentElement.insertBefore(link, img);
      link.appendChild(img);
    });
  }

  var WIDE_FROM = 1200;
  var MARGIN = 16;

  function scrollers(box) {
    // the ancestors between the table's box and the article that clip or scroll sideways
    // (a notebook cell's output area does)
    var out = [];
    for (var el = box.parentElement; el && !el.classList.contains("bd-article"); el = el.parentElement) {
      var style = getComputedStyle(el).overflowX;
      if (style !== "visible" || el.classList.contains("mcbi-wide-host")) { out.push(el); }
    }
    return out;
  }

  function widenTables() {
    document.querySelectorAll(".bd-article .pst-scrollable-table-container").forEach(function (box) {
      var hosts = scrollers(box);
      box.style.width = "";
      box.classList.remove("mcbi-wide-box");
      hosts.forEach(function (el) { el.classList.remove("mcbi-wide-host"); });
      if (window.innerWidth < WIDE_FROM) { return; }
      var table = box.querySelector("table");
      if (!table || table.scrollWidth <= box.clientWidth + 1) { return; }
      var room = document.documentElement.clientWidth - box.getBoundingClientRect().left - MARGIN;
      // only as much of the margin as the table needs (the contents list there stays free
      // when it can)
      var width = Math.min(table.scrollWidth + 2, room);
      if (width > box.clientWidth) {
        hosts.forEach(function (el) { el.classList.add("mcbi-wide-host"); });
        box.classList.add("mcbi-wide-box");
        box.style.width = width + "px";
      }
    });
  }

  function run() {
    moveCaptions();
    zoomableFigures();
    widenTables();
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(widenTables, 100);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
