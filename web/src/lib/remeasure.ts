// Projector layouts are measured on the real window: again at once when it is resized (a
// narrower window must not keep the wider layout, even for a moment), once more when it has
// settled, and when the web fonts are ready (they change every text's size).

/** Calls `measure` as the window and its fonts change; returns what stops it. */
export function remeasureOnResize(measure: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const later = () => {
    measure();
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(measure, 200);
  };
  window.addEventListener('resize', later);
  void document.fonts?.ready.then(measure);
  return () => {
    window.removeEventListener('resize', later);
    if (timer !== null) clearTimeout(timer);
  };
}
