/**
 * The scenarios that ship with Faultline (the CLI's `scenarios/` folder),
 * opened by name for /trace?scenario=…: a name is looked up in the folder's
 * listing, never joined into a path as given. Their recordings are the same
 * every time (the simulation is deterministic), so each is kept once made.
 *
 *   FAULTLINE_SCENARIOS   the folder (default: the workspace's packages/cli/scenarios)
 *
 * Server-only: it reads files.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatOfFileName, parseScenarioText, ScenarioError } from '@faultline/scenario';
import { type Opened, openScenario } from './open.ts';

export interface BundledScenario {
  /** The file's name without its extension: cow-fork, threads-smp. */
  readonly name: string;
  readonly file: string;
}

// Read at run time from the checkout: the build need not trace these paths.
function folder(): string {
  return resolve(
    /*turbopackIgnore: true*/ process.env.FAULTLINE_SCENARIOS ??
      join(/*turbopackIgnore: true*/ process.cwd(), '..', '..', 'packages', 'cli', 'scenarios'),
  );
}

const pathOf = (file: string) => join(/*turbopackIgnore: true*/ folder(), file);

const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

export async function listScenarios(): Promise<BundledScenario[]> {
  let files: string[];
  try {
    files = await readdir(/*turbopackIgnore: true*/ folder());
  } catch {
    return [];
  }
  return files
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((file) => ({ name: file.replace(/\.(ya?ml|json)$/, ''), file }))
    .filter((s) => NAME.test(s.name))
    .sort((a, b) => a.name.localeCompare(b.name));
}

const titles = new Map<string, string | null>();

/** A bundled scenario's title (from its text, not run), for the list of them. */
export async function scenarioTitle(entry: BundledScenario): Promise<string | null> {
  const text = await readFile(pathOf(entry.file), 'utf8').catch(() => null);
  if (text === null) return null;
  const key = `${entry.file}\n${text}`;
  if (!titles.has(key)) {
    let title: string | null = null;
    try {
      title = parseScenarioText(text, formatOfFileName(entry.file)).title ?? null;
    } catch {
      title = null;
    }
    if (titles.size > 256) titles.clear();
    titles.set(key, title);
  }
  return titles.get(key) ?? null;
}

export interface BundledOpened {
  readonly opened: Opened;
  /** The scenario's own title and description, when it parsed. */
  readonly title: string | null;
  readonly description: string | null;
  /** The text, for "edit this scenario". */
  readonly text: string;
}

const cache = new Map<string, BundledOpened>();

/** The bundled scenario `name`, recorded; null when there is none by that name. */
export async function openBundled(name: string): Promise<BundledOpened | null> {
  if (!NAME.test(name)) return null;
  const entry = (await listScenarios()).find((s) => s.name === name);
  if (entry === undefined) return null;
  const text = await readFile(pathOf(entry.file), 'utf8');
  const key = `${entry.file}\n${text}`;
  const kept = cache.get(key);
  if (kept !== undefined) return kept;
  let result: BundledOpened;
  try {
    const scenario = parseScenarioText(text, formatOfFileName(entry.file));
    result = {
      opened: openScenario(scenario),
      title: scenario.title ?? null,
      description: scenario.description ?? null,
      text,
    };
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    result = {
      opened: { kind: 'err', status: 400, message: `${entry.file}: ${error.message}` },
      title: null,
      description: null,
      text,
    };
  }
  if (cache.size > 64) cache.clear();
  cache.set(key, result);
  return result;
}
