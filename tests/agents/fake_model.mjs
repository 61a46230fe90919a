// A fake model server on 127.0.0.1 for the real agent CLIs: it speaks the wire formats they
// use (Anthropic Messages SSE, OpenAI Responses SSE, OpenAI Chat Completions SSE, Gemini
// streamGenerateContent SSE and generateContent JSON) and answers from a script keyed by words
// in the prompt. Only the model is fake: the CLIs, their tools and bosun are real.
import http from 'node:http';

// An answer: {text}, {tool: {command}} (a shell tool call), {tool: {name, input}} (a call of
// another tool by its name, e.g. an MCP server's; Anthropic, Responses and Chat Completions), {error: {status, message}}, with
// an optional delay_ms before it starts, and (Anthropic) an optional usage the message reports
// ({input_tokens, cache_read_input_tokens, …}: a context as full as a test needs). After a tool
// result comes back the fake answers {text: afterTool} unless the script says otherwise; an `afterTool` function is given the tool's
// result and returns the answer (another tool call, say).
//
// script(prompt) → answer for a prompt; prompts it does not know get {text: 'ok'}.
export class FakeModel {
  constructor(script, { afterTool = 'The command ran.' } = {}) {
    this.script = script;
    this.afterTool = afterTool;
    this.requests = []; // {api, prompt, afterTool, side}
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  // The requests of one API that carried a prompt of the user (not titles or routing).
  prompts(api) {
    return this.requests.filter((r) => r.api === api && !r.side);
  }

  handle(req, res) {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      let json = {};
      try {
        json = JSON.parse(body || '{}');
      } catch {
        res.writeHead(400).end();
        return;
      }
      const url = new URL(req.url, 'http://x');
      let api;
      if (req.method === 'POST' && url.pathname.endsWith('/messages')) api = anthropic;
      else if (req.method === 'POST' && url.pathname.endsWith('/responses')) api = responses;
      else if (req.method === 'POST' && url.pathname.endsWith('/chat/completions')) api = chat;
      else if (req.method === 'POST' && url.pathname.includes(':streamGenerateContent')) api = gemini;
      else if (req.method === 'POST' && url.pathname.includes(':generateContent')) api = geminiJson;
      else {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      const turn = api.read(json);
      this.requests.push({ api: api.name, ...turn });
      let answer;
      if (turn.side) answer = api.side ? api.side(turn) : { text: 'Fake title' };
      else if (turn.afterTool) answer = typeof this.afterTool === 'function' ? this.afterTool(turn.prompt) : { text: this.afterTool };
      else answer = this.script(turn.prompt) ?? { text: 'ok' };
      const send = () => {
        if (res.destroyed) return;
        if (answer.error) {
          res.writeHead(answer.error.status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(api.error(answer.error)));
          return;
        }
        api.write(res, answer);
      };
      if (answer.delay_ms) setTimeout(send, answer.delay_ms);
      else send();
    });
  }
}

function sse(res) {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  return (event, data) => res.write((event ? `event: ${event}\n` : '') + `data: ${JSON.stringify(data)}\n\n`);
}

// What the user said in a request: every user message's text, so that the CLIs' own context
// blocks (environment, reminders) around the prompt do not hide it. Each test session has one.
const userText = (texts) => texts.filter(Boolean).join('\n');

const textOf = (content) =>
  typeof content === 'string'
    ? content
    : (content ?? []).map((c) => c.text ?? '').join('\n');

// Anthropic Messages: POST /v1/messages, stream: true.
const anthropic = {
  name: 'anthropic',
  read(body) {
    const messages = body.messages ?? [];
    const last = messages[messages.length - 1] ?? {};
    const blocks = typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : last.content ?? [];
    // The last meaningful block decides: a denied tool_result and a new prompt can share a message.
    const meaningful = blocks.filter((b) => b.type === 'tool_result' || (b.type === 'text' && !b.text.startsWith('<system-reminder>')));
    const b = meaningful[meaningful.length - 1] ?? {};
    const side = !(body.tools?.length > 0);
    if (b.type === 'tool_result') return { afterTool: true, prompt: textOf(b.content), side };
    return { prompt: userText(messages.map((m) => (m.role === 'user' ? textOf(m.content) : ''))), side };
  },
  write(res, answer) {
    const send = sse(res);
    const id = `msg_fake_${Date.now()}`;
    send('message_start', {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model: 'claude-fake', content: [], stop_reason: null, stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...answer.usage } },
    });
    send('ping', { type: 'ping' });
    if (answer.tool) {
      const named = answer.tool.name !== undefined;
      const input = JSON.stringify(named ? answer.tool.input : { command: answer.tool.command, description: answer.tool.description ?? 'Run a command' });
      send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: `toolu_fake_${Date.now()}`, name: named ? answer.tool.name : 'Bash', input: {} } });
      const half = Math.floor(input.length / 2);
      send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: input.slice(0, half) } });
      send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: input.slice(half) } });
    } else {
      send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
      send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: answer.text } });
    }
    send('content_block_stop', { type: 'content_block_stop', index: 0 });
    send('message_delta', { type: 'message_delta', delta: { stop_reason: answer.tool ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } });
    send('message_stop', { type: 'message_stop' });
    res.end();
  },
  error: ({ status, message }) => ({ type: 'error', error: { type: status === 429 ? 'rate_limit_error' : 'invalid_request_error', message } }),
};

// OpenAI Responses: POST {base}/responses (Codex).
const responses = {
  name: 'responses',
  read(body) {
    const input = body.input ?? [];
    const last = input[input.length - 1] ?? {};
    const tools = (body.tools ?? []).map((t) => t.name);
    const side = !tools.includes('exec_command') && !tools.includes('shell');
    if (last.type === 'function_call_output') return { afterTool: true, prompt: String(last.output ?? ''), side };
    return { prompt: userText(input.map((i) => (i.role === 'user' ? textOf(i.content) : ''))), side };
  },
  write(res, answer) {
    const send = sse(res);
    const id = `resp_fake_${Date.now()}`;
    send('response.created', { type: 'response.created', response: { id, status: 'in_progress', output: [] } });
    send('response.in_progress', { type: 'response.in_progress', response: { id, status: 'in_progress', output: [] } });
    let item;
    if (answer.tool) {
      const named = answer.tool.name !== undefined;
      const args = named ? JSON.stringify(answer.tool.input) : JSON.stringify({ cmd: answer.tool.command, ...(answer.tool.escalate
        ? { sandbox_permissions: 'require_escalated', justification: answer.tool.description ?? 'The test asks for it' } : {}) });
      item = { type: 'function_call', id: `fc_${id}`, call_id: `call_${id}`, name: named ? answer.tool.name : 'exec_command', arguments: args, status: 'completed' };
      send('response.output_item.added', { type: 'response.output_item.added', output_index: 0, item: { ...item, arguments: '', status: 'in_progress' } });
      send('response.function_call_arguments.delta', { type: 'response.function_call_arguments.delta', item_id: item.id, output_index: 0, delta: args });
      send('response.function_call_arguments.done', { type: 'response.function_call_arguments.done', item_id: item.id, output_index: 0, arguments: args });
    } else {
      item = { type: 'message', id: `msg_${id}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: answer.text, annotations: [] }] };
      send('response.output_item.added', { type: 'response.output_item.added', output_index: 0, item: { ...item, content: [], status: 'in_progress' } });
      send('response.content_part.added', { type: 'response.content_part.added', item_id: item.id, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
      send('response.output_text.delta', { type: 'response.output_text.delta', item_id: item.id, output_index: 0, content_index: 0, delta: answer.text });
      send('response.output_text.done', { type: 'response.output_text.done', item_id: item.id, output_index: 0, content_index: 0, text: answer.text });
      send('response.content_part.done', { type: 'response.content_part.done', item_id: item.id, output_index: 0, content_index: 0, part: item.content[0] });
    }
    send('response.output_item.done', { type: 'response.output_item.done', output_index: 0, item });
    send('response.completed', {
      type: 'response.completed',
      response: { id, status: 'completed', output: [item],
        usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 } },
    });
    res.end();
  },
  error: ({ status, message }) => ({ error: { message, type: status === 429 ? 'rate_limit_exceeded' : 'invalid_request_error', code: null } }),
};

// OpenAI Chat Completions: POST {base}/chat/completions (opencode).
const chat = {
  name: 'chat',
  read(body) {
    const messages = body.messages ?? [];
    const last = messages[messages.length - 1] ?? {};
    const side = !(body.tools?.length > 0);
    if (last.role === 'tool') return { afterTool: true, prompt: textOf(last.content), side };
    return { prompt: userText(messages.map((m) => (m.role === 'user' ? textOf(m.content) : ''))), side };
  },
  write(res, answer) {
    const send = sse(res);
    const id = `chatcmpl-fake-${Date.now()}`;
    const chunk = (delta, finish) => send(null, { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: 'fake-model',
      choices: [{ index: 0, delta, finish_reason: finish }] });
    if (answer.tool) {
      const named = answer.tool.name !== undefined;
      chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: `call_${id}`, type: 'function',
        function: named ? { name: answer.tool.name, arguments: JSON.stringify(answer.tool.input) }
          : { name: 'bash', arguments: JSON.stringify({ command: answer.tool.command, description: answer.tool.description ?? 'Run a command' }) } }] }, null);
      chunk({}, 'tool_calls');
    } else {
      chunk({ role: 'assistant', content: answer.text }, null);
      chunk({}, 'stop');
    }
    send(null, { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: 'fake-model', choices: [],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } });
    res.write('data: [DONE]\n\n');
    res.end();
  },
  error: ({ status, message }) => ({ error: { message, type: 'invalid_request_error', code: status } }),
};

// Gemini: POST /v1beta/models/<m>:streamGenerateContent?alt=sse.
const gemini = {
  name: 'gemini',
  read(body) {
    const contents = body.contents ?? [];
    const last = contents[contents.length - 1] ?? {};
    const parts = last.parts ?? [];
    const side = !(body.tools?.length > 0);
    if (parts.some((p) => p.functionResponse)) return { afterTool: true, prompt: '', side };
    return { prompt: userText(contents.map((c) => (c.role === 'user' ? (c.parts ?? []).map((p) => p.text ?? '').join('\n') : ''))), side };
  },
  write(res, answer) {
    const send = sse(res);
    const part = answer.tool
      ? { functionCall: { name: 'run_shell_command', args: { command: answer.tool.command, description: answer.tool.description ?? 'Run a command' } } }
      : { text: answer.text };
    send(null, { candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 } });
    res.end();
  },
  error: ({ status, message }) => ({ error: { code: status, message, status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'INVALID_ARGUMENT' } }),
};

// Gemini's non-streaming calls: the model router (JSON answers) and other side requests.
const geminiJson = {
  name: 'gemini-json',
  read(body) {
    const contents = body.contents ?? [];
    const last = contents[contents.length - 1] ?? {};
    return { prompt: (last.parts ?? []).map((p) => p.text ?? '').join('\n'), side: true, json: body.generationConfig?.responseMimeType === 'application/json' };
  },
  side: (turn) => ({ text: turn.json ? JSON.stringify({ complexity_reasoning: 'a simple request', complexity_score: 10,
    reasoning: 'the user spoke last', next_speaker: 'user' }) : 'ok' }),
  write(res, answer) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: answer.text }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 } }));
  },
  error: gemini.error,
};
