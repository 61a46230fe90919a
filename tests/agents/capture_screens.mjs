// Captures a real CLI's screens under bosun, labelled with what the CLI was doing when each
// was taken, for the screen reader's fixtures and its accuracy table (docs/agents.md).
//
//   BOSUN_BINARY=build/bosun BOSUN_AGENTS_DIR=build/agents \
//     node --experimental-websocket tests/agents/capture_screens.mjs CLI OUT_DIR
//
// The fake model drives four moments: a long turn (the answer held back for 6 s: the CLI shows
// its working indicator), the same with text a person typed into the composer while the CLI
// works (left there after the turn, then rubbed out), a silent retry (the CLI's own retries) (the first requests answered 503, then the answer),
// and an API error that stays on the screen while the next turn runs. The truth of each screen
// comes from the model's side — from the prompt until the turn's answer is sent (retries and
// their waits included) the CLI works, then it is idle — and screens taken within 700 ms of a
// change are not labelled. Each distinct screen is
// written as OUT_DIR/<cli>-<version>-<moment>-<n>.screen.txt, with index.json listing
// {file, moment, truth}.
import fs from 'node:fs';
import path from 'node:path';
import { FakeModel } from './fake_model.mjs';
import { Daemon, Events, pause, versions } from './support.mjs';
import { spawnCli, submit } from './tui.mjs';

const [cli, out] = process.argv.slice(2);
if (!cli || !out) throw new Error('usage: capture_screens.mjs CLI OUT_DIR');
const pauseMs = 300; // every pinned CLI's profile input.pause_ms
fs.mkdirSync(out, { recursive: true });

let retries = 0;
// The CLIs send the whole conversation: the latest moment's words are looked for first.
const script = (prompt) => {
  if (prompt.includes('AFTER ERROR')) return { text: 'Fine now.', delay_ms: 4000 };
  if (prompt.includes('PLEASE FAIL')) return { error: { status: 400, message: 'Invalid request (fake failure)' } };
  if (prompt.includes('PLEASE RETRY')) {
    retries += 1;
    if (retries <= 3) return { error: { status: 503, message: 'The model is overloaded (fake)' }, delay_ms: 300 };
    return { text: 'Answered after the retries.', delay_ms: 500 };
  }
  if (prompt.includes('PLEASE THINK')) return { text: 'Thought about it for a while.', delay_ms: 6000 };
  return { text: 'Plain answer.' };
};

const model = await new FakeModel(script).start();
// The truth, as the model sees it: a turn works from the prompt until a request is answered
// with a success (retries and their waits included); then the CLI draws the answer and is idle.
let turnOpen = false;
let changedAt = Date.now();
const handle = model.handle.bind(model);
model.handle = (req, res) => {
  // The request's record is pushed when its body has been read: the one at this index.
  const at = model.requests.length;
  res.on('finish', () => {
    const record = model.requests[at];
    if (res.statusCode === 200 && turnOpen && record && !record.side) {
      turnOpen = false;
      changedAt = Date.now();
    }
  });
  handle(req, res);
};
const daemon = await new Daemon().start();
const events = await Events.open(daemon);
const { id } = await spawnCli(daemon, model, cli, 'cap', null, { retries: true });
await events.wait('idle', 'agent.state', id, (d) => d.state === 'idle', 90000);

const index = [];
const seen = new Map(); // screen text → its index entry
async function sample(moment, ms, labelled = true) {
  const until = Date.now() + ms;
  let n = 0;
  while (Date.now() < until) {
    const screen = await daemon.api('GET', `/api/v1/agents/${id}/screen`);
    const text = screen.lines.join('\n') + '\n';
    const quiet = Date.now() - changedAt > 700;
    let truth = null;
    if (quiet && labelled) truth = turnOpen ? 'working' : 'idle';
    const known = seen.get(text);
    if (known) {
      // The same screen again, now far enough from a change to say what it shows.
      if (!known.truth && truth) known.truth = truth;
    } else {
      const file = `${cli}-${versions[cli]}-${moment}-${String(n++).padStart(2, '0')}.screen.txt`;
      fs.writeFileSync(path.join(out, file), text);
      const entry = { file, moment, truth };
      seen.set(text, entry);
      index.push(entry);
    }
    await pause(250);
  }
}

const turn = async (prompt, moment, ms, labelled = true) => {
  turnOpen = true;
  changedAt = Date.now();
  await submit(daemon, id, prompt, pauseMs);
  await sample(moment, ms, labelled);
};
await turn('PLEASE THINK about it', 'long-turn', 9000);
// A draft typed while the CLI works: the turn goes on, and after it the draft waits in the
// composer of an idle CLI.
const draft = 'a draft typed meanwhile';
turnOpen = true;
changedAt = Date.now();
await submit(daemon, id, 'PLEASE THINK again', pauseMs);
await pause(1500);
await daemon.api('POST', `/api/v1/agents/${id}/input`, { data: draft });
await sample('typed', 9000);
await daemon.api('POST', `/api/v1/agents/${id}/input`, { data: '\x7f'.repeat(draft.length) });
const rubbedOut = Date.now() + 10000;
while ((await daemon.screen(id)).includes(draft)) {
  if (Date.now() > rubbedOut) throw new Error('the draft stayed in the composer');
  await pause(100);
}
await turn('PLEASE RETRY this', 'retry', 25000);
// The failing turn ends with the CLI's own error (its retries first): not labelled here.
await turn('PLEASE FAIL this turn', 'error', 15000, false);
await turn('AFTER ERROR go on', 'after-error', 7000);
fs.writeFileSync(path.join(out, `${cli}-index.json`), JSON.stringify(index, null, 1) + '\n');
console.log(`${index.length} screens of ${cli} ${versions[cli]} in ${out}; states: ${events.states(id).join(' → ')}`);
events.close();
await daemon.stop();
await model.stop();
