// The dashboard's shell: login, the navigation bar, hash routes to the views, and the page
// title, favicon and browser notifications that count what waits for a person (tasks in
// review, agents waiting for an answer).
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, setUnauthorizedHandler } from './api';
import { needsYou, store, useStore } from './store';
import { Announcer, askPermission, shouldOffer } from './notify';
import { ConfirmHost } from './views/confirm';
import { Review } from './views/review';
import { Projects } from './views/projects';
import { Login, loginWithToken } from './views/login';
import { Crew } from './views/crew';
import { Terminals } from './views/terminals';
import { Board } from './views/board';
import { Mailbox } from './views/mailbox';
import { Events } from './views/events';
import { Hosts } from './views/hosts';
import { kViews, parseHash } from './nav';
import './style.css';

// The favicon with a red count of what waits for a person (the plain icon when nothing does).
function setFavicon(waiting: number) {
  const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) return;
  if (waiting === 0) {
    link.href = '/favicon.svg';
    return;
  }
  const n = waiting > 9 ? '9+' : String(waiting);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
    `<rect width="32" height="32" rx="7" fill="#1f6feb"/>` +
    `<circle cx="20" cy="12" r="12" fill="#f85149"/>` +
    `<text x="20" y="17" font-size="15" font-family="sans-serif" font-weight="bold" ` +
    `text-anchor="middle" fill="#fff">${n}</text></svg>`;
  link.href = 'data:image/svg+xml,' + encodeURIComponent(svg);
}

function App() {
  const s = useStore();
  const [auth, setAuth] = useState<'checking' | 'in' | 'out' | 'down'>('checking');
  const [route, setRoute] = useState(parseHash());
  const [terminalsSeen, setTerminalsSeen] = useState(route.view === 'terminals');

  useEffect(() => {
    const onHash = () => {
      const r = parseHash();
      setRoute(r);
      if (r.view === 'terminals') setTerminalsSeen(true);
    };
    window.addEventListener('hashchange', onHash);
    setUnauthorizedHandler(() => {
      store.stop();
      setAuth('out');
    });
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // Log in from a `bosun status` link (#token=…), else check the cookie.
  useEffect(() => {
    if (auth !== 'checking') return;
    let cancelled = false;
    (async () => {
      const m = location.hash.match(/token=([^&]+)/);
      if (m) {
        history.replaceState(null, '', location.pathname + location.search + '#/crew');
        setRoute(parseHash());
        try {
          await loginWithToken(decodeURIComponent(m[1]));
        } catch {
          if (!cancelled) setAuth('out');
          return;
        }
      }
      try {
        await get('/api/v1/status');
        if (cancelled) return;
        setAuth('in');
        await store.start();
      } catch (e) {
        if (cancelled) return;
        if (e instanceof ApiError && e.status === 401) setAuth('out');
        else {
          setAuth('down');
          setTimeout(() => !cancelled && setAuth('checking'), 1000);
        }
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [auth]);

  const waiting = auth === 'in' ? needsYou() : [];
  const announcer = useRef(new Announcer());
  const [offerNotify, setOfferNotify] = useState(shouldOffer());
  useEffect(() => {
    const label = kViews.find((v) => v.id === route.view)?.label ?? '';
    document.title = `${waiting.length ? `(${waiting.length}) ` : ''}bosun · ${label}`;
    setFavicon(waiting.length);
  }, [waiting.length, route.view]);
  const waitingKeys = waiting.map((w) => w.key).join(' ');
  useEffect(() => {
    if (s.link === 'live') announcer.current.update(waiting);
  }, [waitingKeys, s.link]);
  useEffect(
    () =>
      store.onEvent((e) => {
        if (e.type === 'notify.edge') announcer.current.edge(e);
      }),
    [],
  );

  if (auth === 'out') return <Login onDone={() => setAuth('checking')} />;
  if (auth !== 'in') {
    return (
      <div class="splash">{auth === 'down' ? 'The daemon cannot be reached; retrying…' : 'Loading…'}</div>
    );
  }

  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href="#/crew">
          <img src="/favicon.svg" alt="" width="20" height="20" /> bosun
        </a>
        <nav>
          {kViews.filter((v) => v.id !== 'hosts' || s.shared).map((v) => (
            <a key={v.id} href={`#/${v.id}`} class={route.view === v.id ? 'active' : ''} data-view={v.id}>
              {v.label}
            </a>
          ))}
        </nav>
        {waiting.length > 0 && (
          <a class="waiting-pill" href="#/review" data-testid="waiting-count">
            {waiting.length} waiting for you
          </a>
        )}
        {offerNotify && (
          <button
            class="secondary small notify-offer"
            data-testid="notify-offer"
            title="a browser notification when something starts needing you"
            onClick={async () => {
              await askPermission();
              setOfferNotify(false);
            }}
          >
            Notify me
          </button>
        )}
        <span class={`link link-${s.link}`} title="event stream" data-testid="link">
          {s.link === 'live' ? 'live' : s.link === 'connecting' ? 'connecting…' : 'reconnecting…'}
        </span>
      </header>
      <main>
        {route.view === 'crew' && <Crew />}
        {route.view === 'review' && <Review openTask={route.arg} />}
        {terminalsSeen && <Terminals visible={route.view === 'terminals'} arg={route.view === 'terminals' ? route.arg : null} />}
        {route.view === 'board' && <Board openTask={route.arg} />}
        {route.view === 'mail' && <Mailbox mailbox={route.arg} />}
        {route.view === 'projects' && <Projects />}
        {route.view === 'hosts' && <Hosts />}
        {route.view === 'events' && <Events />}
      </main>
      <ConfirmHost />
    </div>
  );
}

render(<App />, document.getElementById('app')!);
