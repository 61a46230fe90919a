// opencode's real TUI as a bosun agent against the fake model (tui.mjs says what is checked).
// No API-error test: after a 400 the 1.18.33 TUI leaves nothing on the screen that tells an
// error from an idle box, so the opencode profile has no errored rule (docs/agents.md).
import { bin } from './support.mjs';
import { tuiTests, turnTests } from './tui.mjs';

tuiTests('opencode', { argv: () => [bin('opencode')], pauseMs: 300, approveKeys: '\r', errorOnScreen: 'opencode shows nothing after an API error that tells it from an idle box' });
turnTests('opencode', { argv: () => [bin('opencode')], pauseMs: 300, errorOnScreen: false });
