'use client';

/**
 * A moment shown in the reader's own time zone. The server renders UTC (it
 * cannot know the zone) and the browser replaces it with local time once
 * hydrated; the machine-readable value stays in `dateTime`.
 */
import { useEffect, useState } from 'react';

// dateStyle/timeStyle cannot be combined with timeZoneName (a TypeError): the fields are spelled out.
const FIELDS = {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
} as const;
const utc = new Intl.DateTimeFormat('en-GB', { ...FIELDS, timeZone: 'UTC' });

export function LocalTime({ at }: { at: number }) {
  const [text, setText] = useState(`${utc.format(at)} UTC`);
  useEffect(() => {
    const local = new Intl.DateTimeFormat(undefined, { ...FIELDS, timeZoneName: 'short' });
    setText(local.format(at));
  }, [at]);
  return (
    <time dateTime={new Date(at).toISOString()} suppressHydrationWarning>
      {text}
    </time>
  );
}
