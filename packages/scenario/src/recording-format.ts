/**
 * A paging format as a recording carries it — the descriptor's level names,
 * spans and flag bits, plain data for a picture — made in one place for the
 * recorder and for a page that draws a bare trace
 * (`@faultline/scenario/recording-format`: vm-core and types only, no
 * schema library, so a client bundle can use it).
 */
import { entryFlags, leafSpan, type PagingFormat } from '@faultline/vm-core/hw';
import type { RecordedFormat } from './recording-schema.ts';

export function recordedFormatOf(format: PagingFormat): RecordedFormat {
  return {
    id: format.id,
    title: format.title,
    family: format.family,
    pageShift: format.pageShift,
    entryBytes: format.entryBytes,
    levels: format.levels.map((l, level) => ({
      name: l.name,
      indexBits: l.indexBits,
      leaf: l.leaf || level === format.levels.length - 1,
      span: leafSpan(format, level),
    })),
    flags: entryFlags(format).map((f) => ({ name: f.name, bit: f.bit })),
  };
}
