// Login: the daemon token (from the state directory's `token` file, or the link that
// `bosun status` prints) is exchanged for an HttpOnly cookie.
import { useState } from 'preact/hooks';
import { ApiError, post } from '../api';

export async function loginWithToken(token: string): Promise<void> {
  await post('/api/v1/login', { token: token.trim() });
}

export function Login({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await loginWithToken(token);
      onDone();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'That token is not this daemon’s.' : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="login">
      <form onSubmit={submit} class="card">
        <h1>
          <img src="/favicon.svg" alt="" width="28" height="28" /> bosun
        </h1>
        <p>
          Paste the daemon’s token: it is in <code>.bosun/token</code>, and <code>bosun status</code> prints
          a link that logs you in.
        </p>
        <input
          type="password"
          name="token"
          placeholder="token"
          autocomplete="current-password"
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          autofocus
        />
        <button type="submit" disabled={busy || !token.trim()}>
          Log in
        </button>
        {error && <p class="error">{error}</p>}
      </form>
    </div>
  );
}
