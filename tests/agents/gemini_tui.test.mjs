// Gemini CLI's real TUI as a bosun agent against the fake model (tui.mjs says what is checked).
import { bin } from './support.mjs';
import { tuiTests } from './tui.mjs';

tuiTests('gemini', { argv: () => [bin('gemini')], pauseMs: 300, approveKeys: '\r' });
