// highlight.js types its core build like the full one; only the full one is declared upstream.
declare module 'highlight.js/lib/core' {
  import hljs from 'highlight.js';
  export default hljs;
}
