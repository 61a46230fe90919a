// Terminal write batching in the dashboard: an agent floods its terminal while the page shows
// it, once writing to xterm.js once per animation frame (the default) and once per WebSocket
// frame (`?batch=0`). Prints frames received, term.write() calls and the time from Enter to
// xterm.js having parsed the last byte. Not part of `make test`:
//   BOSUN_BINARY=$PWD/build/bosun BOSUN_WEB_DIR=build/web node bench/web_terminal_flood.mjs \
//     [LINES] [ROUNDS] [seq|loop|trickle]
// `seq` prints LINES lines in big writes; `loop` one `echo` at a time; `trickle` one line every
// millisecond or so (many small frames, like a busy agent's status output).
import { Daemon, launchBrowser } from '../tests/web/support.mjs';

const lines = Number(process.argv[2] ?? 200000);
const rounds = Number(process.argv[3] ?? 3);
const kCommands = {
  seq: `seq 1 ${lines}`,
  loop: `for ((i=1;i<=${lines};i++)); do echo $i; done`,
  trickle: `for ((i=1;i<=${lines};i++)); do echo $i; sleep 0.001; done`,
};
const command = kCommands[process.argv[4] ?? 'seq'];
const daemon = new Daemon();
await daemon.start();
const browser = await launchBrowser();
const { page } = browser;
try {
  await page.goto(`${daemon.url}/#token=${daemon.token}`);
  await page.locator('.view.crew').waitFor();
  console.log(`${command}: ${rounds} rounds per mode`);
  console.log('mode            | frames | writes | bytes      | ms to parsed');
  for (let round = 0; round < rounds; ++round) {
    for (const batch of ['1', '0']) {
      // A new agent each time, so no earlier output is replayed into the terminal.
      const name = `flood-${round}-${batch}`;
      await daemon.api('POST', '/api/v1/agents', {
        name,
        argv: ['bash', '--norc', '--noprofile'],
        env: { PS1: 'flood$ ' },
      });
      await page.goto(`${daemon.url}/?batch=${batch}#/terminals/${name}`);
      const panel = page.locator(`.term-panel[data-agent=${name}]`);
      await panel.locator('[data-testid=term-link]', { hasText: 'live' }).waitFor();
      await page.waitForFunction(() => [...window.__bosunTerminals][0]?.text().includes('flood$'));
      await panel.locator('.term-host').click();
      await page.keyboard.type(command);
      const before = await page.evaluate(() => ({ ...[...window.__bosunTerminals][0].stats, t: performance.now() }));
      await page.keyboard.press('Enter');
      await page.waitForFunction(
        (want) => [...window.__bosunTerminals][0].text().includes(want),
        `\n${lines}\nflood$`,
        { timeout: 120000 },
      );
      const after = await page.evaluate(() => ({ ...[...window.__bosunTerminals][0].stats }));
      const mode = batch === '1' ? 'per anim. frame' : 'per WS frame   ';
      await daemon.api('DELETE', `/api/v1/agents/${name}`);
      console.log(
        `${mode} | ${String(after.frames - before.frames).padStart(6)} | ${String(after.writes - before.writes).padStart(6)} | ` +
          `${String(after.bytes - before.bytes).padStart(10)} | ${(after.parsedAt - before.t).toFixed(0)}`,
      );
    }
  }
} finally {
  await browser.close();
  await daemon.stop();
}
