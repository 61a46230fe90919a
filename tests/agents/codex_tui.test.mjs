// Codex's real TUI as a bosun agent against the fake model (tui.mjs says what is checked).
// `--no-daemon`: without it the TUI leaves a shared app-server running after it exits. The
// tool call asks for escalation: a plain command inside the workspace runs without asking.
import { bin } from './support.mjs';
import { tuiTests, turnTests } from './tui.mjs';

tuiTests('codex', { argv: () => [bin('codex'), '--no-daemon'], pauseMs: 400, approveKeys: 'y', escalate: true });
turnTests('codex', { argv: () => [bin('codex'), '--no-daemon'], pauseMs: 400 });
