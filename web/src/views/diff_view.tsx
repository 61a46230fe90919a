// A task's changes: the files with +/−, then each file's patch, unified or side by side, with
// syntax highlighting and a whitespace toggle; j/k move through the files. Loaded lazily (with
// highlight.js) when a task with a branch is opened.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, get, type DiffFile, type TaskDiff } from '../api';
import { highlightLine, languageOf } from '../highlight';
import { typing } from '../keys';
import './diff_view.css';

interface Line {
  kind: ' ' | '+' | '-' | '@' | '\\';
  text: string;
  old?: number;
  new?: number;
}

interface FilePatch {
  path: string;
  lines: Line[];
}

// Highlighting stops after this many lines of one file (the text still shows).
const kHighlightLines = 3000;

// Splits a unified patch (git's) into files and their numbered lines.
export function parsePatch(patch: string): FilePatch[] {
  const files: FilePatch[] = [];
  let file: FilePatch | null = null;
  let oldNo = 0;
  let newNo = 0;
  let inHunk = false;
  for (const raw of patch.split('\n')) {
    if (raw.startsWith('diff --git ')) {
      const m = raw.match(/^diff --git "?a\/(.*?)"? "?b\/(.*?)"?$/);
      file = { path: m ? m[2] : raw.slice(11), lines: [] };
      files.push(file);
      inHunk = false;
      continue;
    }
    if (!file) continue;
    if (raw.startsWith('@@')) {
      const m = raw.match(/^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/);
      oldNo = m ? Number(m[1]) : 0;
      newNo = m ? Number(m[2]) : 0;
      inHunk = true;
      file.lines.push({ kind: '@', text: raw });
      continue;
    }
    if (!inHunk) continue;  // the file's header lines (index, ---, +++, modes)
    const kind = raw[0];
    if (kind === '+') file.lines.push({ kind: '+', text: raw.slice(1), new: newNo++ });
    else if (kind === '-') file.lines.push({ kind: '-', text: raw.slice(1), old: oldNo++ });
    else if (kind === ' ') file.lines.push({ kind: ' ', text: raw.slice(1), old: oldNo++, new: newNo++ });
    else if (kind === '\\') file.lines.push({ kind: '\\', text: raw });
    else inHunk = false;  // the end of the patch, or bosun's cut marker
  }
  return files;
}

interface Row {
  left?: Line;
  right?: Line;
  hunk?: string;
}

// Side by side: context on both sides, a run of removals beside the additions that follow it.
function splitRows(lines: Line[]): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < lines.length; ) {
    const l = lines[i];
    if (l.kind === '@') {
      rows.push({ hunk: l.text });
      ++i;
    } else if (l.kind === ' ') {
      rows.push({ left: l, right: l });
      ++i;
    } else if (l.kind === '\\') {
      ++i;
    } else {
      const del: Line[] = [];
      const add: Line[] = [];
      while (i < lines.length && lines[i].kind === '-') del.push(lines[i++]);
      while (i < lines.length && (lines[i].kind === '+' || lines[i].kind === '\\'))
        if (lines[i++].kind === '+') add.push(lines[i - 1]);
      for (let k = 0; k < Math.max(del.length, add.length); ++k) rows.push({ left: del[k], right: add[k] });
    }
  }
  return rows;
}

function Code({ line, lang, n }: { line: Line; lang: string; n: number }) {
  const html = n < kHighlightLines ? highlightLine(line.text, lang) : highlightLine(line.text, '');
  return <code class="hljs" dangerouslySetInnerHTML={{ __html: html || ' ' }} />;
}

function Unified({ patch, lang }: { patch: FilePatch; lang: string }) {
  return (
    <table class="diff-table unified">
      <colgroup>
        <col class="no" />
        <col class="no" />
        <col />
      </colgroup>
      <tbody>
        {patch.lines.map((l, i) =>
          l.kind === '@' ? (
            <tr key={i} class="hunk">
              <td colSpan={3}>{l.text}</td>
            </tr>
          ) : l.kind === '\\' ? (
            <tr key={i} class="meta">
              <td colSpan={3}>{l.text}</td>
            </tr>
          ) : (
            <tr key={i} class={l.kind === '+' ? 'add' : l.kind === '-' ? 'del' : ''}>
              <td class="no">{l.old ?? ''}</td>
              <td class="no">{l.new ?? ''}</td>
              <td class="code">
                <span class="sign">{l.kind}</span>
                <Code line={l} lang={lang} n={i} />
              </td>
            </tr>
          ),
        )}
      </tbody>
    </table>
  );
}

function Split({ patch, lang }: { patch: FilePatch; lang: string }) {
  const rows = useMemo(() => splitRows(patch.lines), [patch]);
  const side = (l: Line | undefined, which: 'old' | 'new', i: number) =>
    l ? (
      <>
        <td class="no">{l[which]}</td>
        <td class={`code ${l.kind === '+' ? 'add' : l.kind === '-' ? 'del' : ''}`}>
          <Code line={l} lang={lang} n={i} />
        </td>
      </>
    ) : (
      <>
        <td class="no" />
        <td class="code empty" />
      </>
    );
  return (
    <table class="diff-table split">
      <colgroup>
        <col class="no" />
        <col />
        <col class="no" />
        <col />
      </colgroup>
      <tbody>
        {rows.map((r, i) =>
          r.hunk !== undefined ? (
            <tr key={i} class="hunk">
              <td colSpan={4}>{r.hunk}</td>
            </tr>
          ) : (
            <tr key={i}>
              {side(r.left, 'old', i)}
              {side(r.right, 'new', i)}
            </tr>
          ),
        )}
      </tbody>
    </table>
  );
}

function FileSection({
  taskId,
  file,
  patch,
  active,
  whitespace,
  truncated,
}: {
  taskId: string;
  file: DiffFile;
  patch: FilePatch | undefined;
  active: boolean;
  whitespace: string;
  truncated: boolean;
}) {
  const [mode, setMode] = useState<'unified' | 'split'>('unified');
  const [own, setOwn] = useState<FilePatch | null>(null);
  const [error, setError] = useState('');
  useEffect(() => setOwn(null), [whitespace]);
  const shown = own ?? patch;
  const lang = languageOf(file.path);
  // A file the cut patch left out (or cut short) is fetched alone.
  const loadAlone = async () => {
    setError('');
    try {
      const d = await get<TaskDiff>(
        `/api/v1/tasks/${taskId}/diff?file=${encodeURIComponent(file.path)}&whitespace=${whitespace}&max_bytes=8388608`,
      );
      setOwn(parsePatch(d.patch)[0] ?? { path: file.path, lines: [] });
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };
  return (
    <section class={`diff-file${active ? ' active' : ''}`} data-file={file.path} id={`file-${file.path}`}>
      <header>
        <code class="path">{file.path}</code>
        <span class="muted">{file.status}</span>
        <span class="plus">+{file.added}</span>
        <span class="minus">−{file.removed}</span>
        <span class="grow" />
        <button
          class="secondary small"
          data-testid="diff-mode"
          onClick={() => setMode(mode === 'unified' ? 'split' : 'unified')}
          title="unified or side by side"
        >
          {mode === 'unified' ? 'Side by side' : 'Unified'}
        </button>
      </header>
      {file.binary ? (
        <p class="muted">binary file</p>
      ) : !shown || (truncated && !own && shown.lines.length === 0) ? (
        <p class="muted">
          Not in the shown part of the diff.{' '}
          <button class="secondary small" onClick={loadAlone}>
            Load this file
          </button>
          {error && <span class="error"> {error}</span>}
        </p>
      ) : shown.lines.length === 0 ? (
        <p class="muted">{whitespace === 'ignore' ? 'only whitespace changed' : 'no textual change'}</p>
      ) : mode === 'unified' ? (
        <Unified patch={shown} lang={lang} />
      ) : (
        <Split patch={shown} lang={lang} />
      )}
    </section>
  );
}

export default function DiffView({ taskId, version }: { taskId: string; version: string }) {
  const [whitespace, setWhitespace] = useState<'show' | 'ignore'>('show');
  const [diff, setDiff] = useState<TaskDiff | null>(null);
  const [error, setError] = useState('');
  const [active, setActive] = useState(0);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let cancelled = false;
    setError('');
    get<TaskDiff>(`/api/v1/tasks/${taskId}/diff?whitespace=${whitespace}`)
      .then((d) => !cancelled && setDiff(d))
      .catch((e) => !cancelled && setError(e instanceof ApiError ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [taskId, whitespace, version]);

  const patches = useMemo(() => {
    const m = new Map<string, FilePatch>();
    for (const p of parsePatch(diff?.patch ?? '')) m.set(p.path, p);
    return m;
  }, [diff]);

  // j/k: the next or previous file, scrolled into view.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey || !diff || diff.files.length === 0) return;
      if (document.querySelector('.modal')) return;
      if (e.key !== 'j' && e.key !== 'k') return;
      e.preventDefault();
      setActive((a) => {
        const next = Math.max(0, Math.min(diff.files.length - 1, a + (e.key === 'j' ? 1 : -1)));
        root.current?.querySelectorAll('.diff-file')[next]?.scrollIntoView({ block: 'start' });
        return next;
      });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [diff]);

  if (error) return <p class="error">{error}</p>;
  if (!diff) return <p class="muted">Loading the diff…</p>;
  return (
    <div class="diff-view" ref={root} data-testid="diff">
      <div class="diff-summary">
        <span>
          <code>{diff.branch}</code> → <code>{diff.base}</code>
        </span>
        <span>
          {diff.commits.length} commit{diff.commits.length === 1 ? '' : 's'}, {diff.stats.files} file
          {diff.stats.files === 1 ? '' : 's'} <span class="plus">+{diff.stats.added}</span>{' '}
          <span class="minus">−{diff.stats.removed}</span>
          {diff.behind > 0 && <span class="warn"> · {diff.behind} behind {diff.base}</span>}
        </span>
        <label class="inline">
          <input
            type="checkbox"
            data-testid="whitespace"
            checked={whitespace === 'ignore'}
            onChange={(e) => setWhitespace((e.target as HTMLInputElement).checked ? 'ignore' : 'show')}
          />{' '}
          hide whitespace changes
        </label>
      </div>
      {diff.commits.length > 0 && (
        <ul class="commits">
          {diff.commits.map((c) => (
            <li key={c.id}>
              <code>{c.id.slice(0, 8)}</code> {c.subject} <span class="muted">— {c.author}</span>
            </li>
          ))}
        </ul>
      )}
      <ul class="diff-files">
        {diff.files.map((f, i) => (
          <li key={f.path} class={i === active ? 'active' : ''}>
            <a
              onClick={() => {
                setActive(i);
                root.current?.querySelectorAll('.diff-file')[i]?.scrollIntoView({ block: 'start' });
              }}
            >
              <code>{f.path}</code>
            </a>{' '}
            <span class="plus">+{f.added}</span> <span class="minus">−{f.removed}</span>
          </li>
        ))}
      </ul>
      {diff.truncated && (
        <p class="warn" data-testid="diff-truncated">
          This diff is large: it is cut after the first part. Files past the cut load one at a time.
        </p>
      )}
      {diff.files.map((f, i) => (
        <FileSection
          key={f.path}
          taskId={taskId}
          file={f}
          patch={patches.get(f.path)}
          active={i === active}
          whitespace={whitespace}
          truncated={diff.truncated}
        />
      ))}
    </div>
  );
}
