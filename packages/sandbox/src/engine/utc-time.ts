/**
 * The guest's local time is UTC, whatever the host's time zone.
 *
 * QuickJS computes every local-time answer (`getHours`, `getTimezoneOffset`,
 * `toString`, `new Date(2026, 0, 1)`, `Date.parse` of a string without an
 * offset) from C's `localtime_r` and `tzset`, which emscripten implements by
 * asking the host's JavaScript `Date` — that is, the grading machine's TZ. The
 * same submission would then get another verdict on a machine in another
 * zone. So the two imports are replaced, before the module is instantiated,
 * with ones that answer as a host in UTC would (the prelude already puts "now"
 * on the guest's own clock).
 *
 * The imports are minified; they are found by what they do (their source asks
 * the host's Date for its time-zone offset), and booting fails loudly if a
 * QuickJS build ever lays them out otherwise, rather than quietly keeping the
 * host's zone.
 */

type Imports = Record<string, Record<string, unknown>>;

const CUMULATIVE_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/** `imports` with emscripten's `_localtime_js` and `_tzset_js` answering in UTC. */
export function withUtcTime(imports: unknown, memory: WebAssembly.Memory): unknown {
  const namespaces = imports as Imports;
  let localtime: [Record<string, unknown>, string] | null = null;
  let tzset: [Record<string, unknown>, string] | null = null;
  for (const namespace of Object.values(namespaces)) {
    for (const [name, value] of Object.entries(namespace)) {
      if (typeof value !== 'function') continue;
      const source = Function.prototype.toString.call(value);
      if (!source.includes('getTimezoneOffset')) continue;
      if (source.includes('getHours')) localtime = [namespace, name];
      else if (source.includes('UTC')) tzset = [namespace, name];
    }
  }
  if (localtime === null || tzset === null)
    throw new Error(
      "sandbox engine: this QuickJS build's localtime/tzset imports were not found, so the guest's local time cannot be pinned to UTC",
    );
  const int32 = () => new Int32Array((memory as unknown as { buffer: ArrayBuffer }).buffer);
  const bytes = () => new Uint8Array((memory as unknown as { buffer: ArrayBuffer }).buffer);

  // localtime_r(time, tm): struct tm as emscripten lays it out (int fields, 4 bytes each).
  localtime[0][localtime[1]] = (time: number | bigint, tm: number) => {
    const seconds =
      typeof time === 'bigint' ? (time < -(2n ** 53n) || time > 2n ** 53n ? Number.NaN : Number(time)) : time;
    const d = new Date(1000 * seconds);
    const heap = int32();
    const at = tm >> 2;
    const year = d.getUTCFullYear();
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const month = d.getUTCMonth();
    heap[at] = d.getUTCSeconds();
    heap[at + 1] = d.getUTCMinutes();
    heap[at + 2] = d.getUTCHours();
    heap[at + 3] = d.getUTCDate();
    heap[at + 4] = month;
    heap[at + 5] = year - 1900;
    heap[at + 6] = d.getUTCDay();
    heap[at + 7] = ((CUMULATIVE_DAYS[month] ?? 0) + (leap && month > 1 ? 1 : 0) + d.getUTCDate() - 1) | 0;
    heap[at + 8] = 0; // tm_isdst
    heap[at + 9] = 0; // tm_gmtoff
  };

  // tzset(timezone, daylight, std_name, dst_name): no offset, no daylight
  // saving, and the names a UTC host gets from emscripten ("UTC-0000").
  tzset[0][tzset[1]] = (timezone: number, daylight: number, stdName: number, dstName: number) => {
    const heap = int32();
    heap[timezone >> 2] = 0;
    heap[daylight >> 2] = 0;
    const name = new TextEncoder().encode('UTC-0000\0');
    bytes().set(name, stdName);
    bytes().set(name, dstName);
  };
  return imports;
}
