// Syntax highlighting for the diff view (highlight.js, core plus the languages a code review
// usually meets). Loaded with the diff view, not with the first page.
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cmake from 'highlight.js/lib/languages/cmake';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import dockerfile from 'highlight.js/lib/languages/dockerfile';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import makefile from 'highlight.js/lib/languages/makefile';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const kLanguages = {
  bash, c, cmake, cpp, css, dockerfile, go, ini, java, javascript, json, makefile, markdown,
  python, rust, sql, typescript, xml, yaml,
};
for (const [name, lang] of Object.entries(kLanguages)) hljs.registerLanguage(name, lang);

const kByExtension: Record<string, string> = {
  sh: 'bash', bash: 'bash', zsh: 'bash',
  c: 'c', h: 'cpp', cc: 'cpp', cpp: 'cpp', cxx: 'cpp', hpp: 'cpp', hh: 'cpp', ipp: 'cpp',
  cmake: 'cmake', css: 'css', scss: 'css', go: 'go', ini: 'ini', toml: 'ini', cfg: 'ini',
  java: 'java', kt: 'java', js: 'javascript', mjs: 'javascript', cjs: 'javascript',
  jsx: 'javascript', json: 'json', md: 'markdown', mk: 'makefile', py: 'python', rs: 'rust',
  sql: 'sql', ts: 'typescript', tsx: 'typescript', mts: 'typescript', html: 'xml', xml: 'xml',
  svg: 'xml', vue: 'xml', yaml: 'yaml', yml: 'yaml',
};
const kByName: Record<string, string> = {
  'CMakeLists.txt': 'cmake',
  Makefile: 'makefile',
  Dockerfile: 'dockerfile',
  'GNUmakefile': 'makefile',
};

// The language of a path, or '' for plain text.
export function languageOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (kByName[base]) return kByName[base];
  const dot = base.lastIndexOf('.');
  return dot > 0 ? (kByExtension[base.slice(dot + 1).toLowerCase()] ?? '') : '';
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// One line as HTML: highlight.js's markup (which escapes the text), or the escaped text.
export function highlightLine(text: string, language: string): string {
  if (!language) return escape(text);
  try {
    return hljs.highlight(text, { language, ignoreIllegals: true }).value;
  } catch {
    return escape(text);
  }
}
