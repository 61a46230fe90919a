// A confirmation dialog for destructive actions: askConfirm() opens it and resolves with the
// person's answer; <ConfirmHost/> (once, in the shell) draws it. Enter confirms, Escape cancels.
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';

interface Ask {
  title: string;
  body: string;
  action: string;
  resolve: (ok: boolean) => void;
}

let show: (ask: Ask | null) => void = () => {};

export function askConfirm(title: string, body: string, action: string): Promise<boolean> {
  return new Promise((resolve) => show({ title, body, action, resolve }));
}

export function ConfirmHost() {
  const [ask, setAsk] = useState<Ask | null>(null);
  useEffect(() => {
    show = setAsk;
  }, []);
  // In the same task as the render that shows the dialog: a key pressed as soon as it is on
  // screen is already heard (useEffect would attach only after the next frame).
  useLayoutEffect(() => {
    if (!ask) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' || e.key === 'Enter') {
        e.preventDefault();
        answer(e.key === 'Enter');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [ask]);
  if (!ask) return null;
  const answer = (ok: boolean) => {
    ask.resolve(ok);
    setAsk(null);
  };
  return (
    <div class="modal" role="dialog" aria-modal="true" data-testid="confirm">
      <div class="card">
        <h2>{ask.title}</h2>
        <p>{ask.body}</p>
        <div class="row">
          <button class="danger" data-testid="confirm-yes" onClick={() => answer(true)}>
            {ask.action}
          </button>
          <button class="secondary" data-testid="confirm-no" onClick={() => answer(false)}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
