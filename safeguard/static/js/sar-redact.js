// Redacting a subject access request: selecting words in a passage fills its form's "from", "to" and "words"
// fields with the selection's characters, so the server redacts exactly what was selected. Without this script
// the DSL types the words (or the characters) instead.
(function () {
  "use strict";

  function offsetOf(node, offset, passage) {
    const element = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    const run = element && element.closest("[data-offset]");
    if (!run || !passage.contains(run)) {
      return null;
    }
    return Number(run.dataset.offset) + offset;
  }

  document.addEventListener("selectionchange", function () {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) {
      return;
    }
    const range = selection.getRangeAt(0);
    const anchor = range.startContainer.nodeType === Node.TEXT_NODE ? range.startContainer.parentElement : range.startContainer;
    const passage = anchor && anchor.closest(".passage-text");
    if (!passage || !passage.contains(range.endContainer)) {
      return;
    }
    const start = offsetOf(range.startContainer, range.startOffset, passage);
    const end = offsetOf(range.endContainer, range.endOffset, passage);
    if (start === null || end === null || end <= start) {
      return;
    }
    const key = passage.dataset.passage;
    document.getElementById(key + "-start").value = String(start);
    document.getElementById(key + "-end").value = String(end);
    document.getElementById(key + "-words").value = selection.toString();
  });
})();
