/**
 * Compile errors as Monaco markers: the report's 1-based line and column
 * become a marker under the rest of the word (or one character) there.
 * Monaco's own types are not imported, so this module stays testable
 * without loading the editor.
 */
import type { CompileError } from '@faultline/grader/report';

/** monaco.MarkerSeverity.Error */
export const MARKER_SEVERITY_ERROR = 8;

export interface EditorMarker {
  readonly startLineNumber: number;
  readonly startColumn: number;
  readonly endLineNumber: number;
  readonly endColumn: number;
  readonly message: string;
  readonly severity: number;
  readonly source: string;
}

export function compileErrorMarkers(errors: readonly CompileError[]): EditorMarker[] {
  return errors.map((e) => ({
    startLineNumber: e.line,
    startColumn: e.column,
    endLineNumber: e.line,
    endColumn: e.column + 1,
    message: e.message,
    severity: MARKER_SEVERITY_ERROR,
    source: 'compiler',
  }));
}
