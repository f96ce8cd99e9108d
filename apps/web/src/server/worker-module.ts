/**
 * The CLI's grading worker library (`@faultline/cli/worker`: grading from
 * the queue, validating exercise folders). It is the CLI's build — plain
 * JavaScript with its sandbox and native modules beside it — loaded by Node
 * at run time: bundling it again would cut it off from the files it finds
 * relative to itself, so the import is hidden from the bundler.
 */
export function loadWorkerModule(): Promise<typeof import('@faultline/cli/worker')> {
  return import(/* turbopackIgnore: true */ /* webpackIgnore: true */ '@faultline/cli/worker');
}
