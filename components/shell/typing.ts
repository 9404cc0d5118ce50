// Whether a key press belongs to a text field or a console rather than to the shortcuts.
export function isTypingTarget(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  return (
    t.isContentEditable ||
    /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) ||
    t.closest(".xterm, [data-console], [role=dialog], dialog[open]") !== null
  );
}
