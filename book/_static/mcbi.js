/* mcbi book: small presentation helpers (no dependencies, runs once the page is parsed).
 *
 * 1. A table's caption is copied above the table's horizontally scrolling container, so on a
 *    phone it wraps to the screen width instead of scrolling away with the table; the
 *    original <caption> stays in the table for assistive technology, visually hidden.
 * 2. A figure's image opens at full size on click (a link to the image itself), and an image
 *    whose alt text is only its file name gets its figure caption as alt text.
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

  function run() { moveCaptions(); zoomableFigures(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
