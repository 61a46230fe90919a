// Single-key shortcuts (j/k, a, r) must not fire while the person types: in a text field, a
// text area, a select or an editable element. A checkbox or a button keeps them working.
const kTextInputs = new Set(['text', 'search', 'email', 'url', 'tel', 'password', 'number', 'date', 'time']);

export function typing(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  if (t.tagName === 'INPUT') return kTextInputs.has((t as HTMLInputElement).type);
  return t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable;
}
