/**
 * `faultline user add` — accounts from the command line; the first
 * instructor of a fresh install comes from here (sign-up makes learners).
 *
 *   faultline user add --email E --name N [--role learner|instructor|author]
 *                      [--database URL] [--password-stdin]
 *
 * The database is --database, else FAULTLINE_DATABASE_URL (the web app
 * prints the exact command with its own database when it starts). The
 * password is the first line of standard input with --password-stdin;
 * without it a strong one is made up and printed once.
 *
 * Exit codes: 0 created, 1 refused (a field is wrong, the email is taken), 2 usage.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ExitCode, type Io } from '../io.ts';
import { shellQuote } from '../shell.ts';

const USAGE =
  'usage: faultline user add --email EMAIL --name NAME [--role learner|instructor|author] [--database URL] [--password-stdin]';

/** The command that makes the first instructor of the database at `databaseUrl`, as the web app prints it at start. */
export function firstInstructorCommand(databaseUrl: string): string {
  return `npx faultline user add --role instructor --email you@example.org --name "Your Name" --database ${shellQuote(databaseUrl)}`;
}

export async function user(
  argv: readonly string[],
  io: Io,
  stdin: AsyncIterable<string | Buffer> = process.stdin,
) {
  const [subcommand, ...rest] = argv;
  if (subcommand !== 'add') {
    io.err.write(
      `faultline user: ${subcommand === undefined ? 'say what to do' : `unknown subcommand "${subcommand}"`}\n${USAGE}\n`,
    );
    return ExitCode.Usage;
  }
  let values: { email?: string; name?: string; role?: string; database?: string; 'password-stdin'?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...rest],
      options: {
        email: { type: 'string' },
        name: { type: 'string' },
        role: { type: 'string', default: 'learner' },
        database: { type: 'string' },
        'password-stdin': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.err.write(`faultline user add: ${(error as Error).message}\n${USAGE}\n`);
    return ExitCode.Usage;
  }
  const accounts = await import('@faultline/accounts');
  const role = values.role ?? 'learner';
  if (!(accounts.ROLES as readonly string[]).includes(role)) {
    io.err.write(`faultline user add: --role must be one of ${accounts.ROLES.join(', ')}, not "${role}"\n`);
    return ExitCode.Usage;
  }
  if (values.email === undefined || values.name === undefined) {
    io.err.write(`faultline user add: --email and --name are required\n${USAGE}\n`);
    return ExitCode.Usage;
  }
  const url = values.database ?? process.env.FAULTLINE_DATABASE_URL;
  if (url === undefined) {
    io.err.write(
      'faultline user add: which database? Give --database URL (sqlite:/path/to/faultline.db or postgres://…) or set FAULTLINE_DATABASE_URL; the web app prints its own when it starts\n',
    );
    return ExitCode.Usage;
  }
  let password: string;
  let madeUp = false;
  if (values['password-stdin']) {
    password = (await firstLine(stdin)) ?? '';
  } else {
    password = randomBytes(15).toString('base64url');
    madeUp = true;
  }

  const { openDatabase } = await import('@faultline/db');
  let db: Awaited<ReturnType<typeof openDatabase>>;
  try {
    db = await openDatabase(url);
    await db.migrate();
  } catch (error) {
    io.err.write(`faultline user add: cannot open the database ${url}: ${(error as Error).message}\n`);
    return ExitCode.Usage;
  }
  try {
    const created = await accounts.createAccount(db, {
      email: values.email,
      password,
      displayName: values.name,
      role: role as (typeof accounts.ROLES)[number],
    });
    if (created.kind === 'err') {
      for (const [field, problem] of Object.entries(created.problems))
        io.err.write(`faultline user add: ${field === 'displayName' ? 'name' : field} ${problem}\n`);
      return ExitCode.Failed;
    }
    io.out.write(`Created ${role} ${created.user.email}.\n`);
    if (madeUp) io.out.write(`Password: ${password}\n(shown once; sign in with it at /signin)\n`);
    return ExitCode.Ok;
  } finally {
    await db.close();
  }
}

async function firstLine(stdin: AsyncIterable<string | Buffer>): Promise<string | null> {
  let text = '';
  for await (const chunk of stdin) {
    text += chunk.toString();
    const end = text.indexOf('\n');
    if (end >= 0) return text.slice(0, end).replace(/\r$/, '');
    if (text.length > 4096) break;
  }
  return text === '' ? null : text.replace(/\r?\n$/, '');
}
