/**
 * Monaco's settings for learner code, apart from the wrapper so they can be
 * read (and changed) without the editor: the TypeScript the kernel API is
 * written in, checked strictly, with no DOM types — the sandbox has none.
 */
type MonacoModule = typeof import('monaco-editor');

export const editorOptions = {
  automaticLayout: true,
  minimap: { enabled: false },
  fontSize: 14,
  scrollBeyondLastLine: false,
  tabSize: 2,
  renderWhitespace: 'selection',
  fixedOverflowWidgets: true,
} as const;

export function typeScriptCompilerOptions(monaco: MonacoModule) {
  const ts = monaco.typescript;
  return {
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.NodeJs,
    strict: true,
    noEmit: true,
    lib: ['es2022'],
    allowNonTsExtensions: true,
  };
}
