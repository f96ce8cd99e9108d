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
  // Monaco dims the number of a final empty line below readable contrast.
  renderFinalNewline: 'on',
  theme: 'faultline',
} as const;

/**
 * Monaco's light theme with line numbers dark enough to read (WCAG AA,
 * 4.5:1 on white; the stock #237893 family and the dimmed #a7c9d3 are not).
 */
export function defineEditorTheme(monaco: MonacoModule): void {
  monaco.editor.defineTheme('faultline', {
    base: 'vs',
    inherit: true,
    rules: [],
    colors: {
      'editorLineNumber.foreground': '#4b5563',
      'editorLineNumber.activeForeground': '#111827',
      'editorLineNumber.dimmedForeground': '#4b5563',
    },
  });
}

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
