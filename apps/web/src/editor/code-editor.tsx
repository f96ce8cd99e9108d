'use client';

/**
 * The one wrapper around Monaco. The page is usable before Monaco arrives: a
 * plain text area holds the code until the editor has loaded (lazily, from
 * this app — no CDN), then the editor takes over with the same text. The
 * kernel API's type declarations go into Monaco's TypeScript service so the
 * learner gets completion and type errors for `kernel`, `FaultInfo`, ….
 */
import { useEffect, useRef, useState } from 'react';
import type { EditorMarker } from './markers.ts';
import { defineEditorTheme, editorOptions, typeScriptCompilerOptions } from './options.ts';

type MonacoModule = typeof import('monaco-editor');
type Editor = import('monaco-editor').editor.IStandaloneCodeEditor;

let monacoPromise: Promise<MonacoModule> | undefined;

/** Loads Monaco and its workers once per page, and the kernel API's types into it. */
function loadMonaco(): Promise<MonacoModule> {
  monacoPromise ??= (async () => {
    (self as unknown as { MonacoEnvironment: unknown }).MonacoEnvironment = {
      getWorker(_id: string, label: string) {
        if (label === 'typescript' || label === 'javascript')
          return new Worker(new URL('./ts.worker.ts', import.meta.url), { type: 'module' });
        return new Worker(new URL('./editor.worker.ts', import.meta.url), { type: 'module' });
      },
    };
    const monaco = await import('monaco-editor');
    defineEditorTheme(monaco);
    const defaults = monaco.typescript.typescriptDefaults;
    defaults.setCompilerOptions(typeScriptCompilerOptions(monaco));
    const response = await fetch('/editor/kernel-api.json');
    if (response.ok) {
      const { files } = (await response.json()) as { files: Record<string, string> };
      for (const [path, content] of Object.entries(files)) defaults.addExtraLib(content, path);
    }
    return monaco;
  })();
  return monacoPromise;
}

export function CodeEditor({
  value,
  onChange,
  markers,
  label,
}: {
  value: string;
  onChange: (value: string) => void;
  markers: readonly EditorMarker[];
  label: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<Editor | null>(null);
  const monaco = useRef<MonacoModule | null>(null);
  const [ready, setReady] = useState(false);
  const latest = useRef({ value, onChange });
  latest.current = { value, onChange };

  useEffect(() => {
    let disposed = false;
    loadMonaco()
      .then((m) => {
        if (disposed || host.current === null) return;
        monaco.current = m;
        const model = m.editor.createModel(
          latest.current.value,
          'typescript',
          m.Uri.parse('file:///solution.ts'),
        );
        const created = m.editor.create(host.current, { ...editorOptions, model, ariaLabel: label });
        created.onDidChangeModelContent(() => latest.current.onChange(created.getValue()));
        editor.current = created;
        setReady(true);
      })
      .catch((error: unknown) =>
        console.error('faultline: the editor could not load; the plain editor stays', error),
      );
    return () => {
      disposed = true;
      editor.current?.getModel()?.dispose();
      editor.current?.dispose();
      editor.current = null;
    };
  }, [label]);

  // A value from outside (reset to starter) replaces the editor's text.
  useEffect(() => {
    const current = editor.current;
    if (current !== null && current.getValue() !== value) current.setValue(value);
  }, [value]);

  const markerKey = JSON.stringify(markers);
  // `ready` re-runs this once the editor exists, for markers that came first.
  // biome-ignore lint/correctness/useExhaustiveDependencies: see above
  useEffect(() => {
    const model = editor.current?.getModel();
    if (model && monaco.current)
      monaco.current.editor.setModelMarkers(model, 'faultline', JSON.parse(markerKey));
  }, [markerKey, ready]);

  return (
    <div className="relative h-[28rem] min-h-64 overflow-hidden rounded border border-slate-300 bg-white lg:h-[36rem]">
      <div
        ref={host}
        className="absolute inset-0"
        data-testid="editor"
        data-editor={ready ? 'monaco' : 'plain'}
      />
      {!ready && (
        <textarea
          aria-label={label}
          value={value}
          onChange={(event) => onChange(event.target.value)}
          spellCheck={false}
          className="absolute inset-0 h-full w-full resize-none p-3 font-mono text-sm"
        />
      )}
    </div>
  );
}
