/**
 * `pnpm --filter @faultline/boundaries check [ROOT]`: checks the whole
 * workspace (the one around the working directory, or ROOT). Every
 * package's turbo `lint` depends on it, so `npm test`'s lint phase runs it.
 *
 * Exit 0 when no relative path leaves its area, 1 with one line per
 * violation on stderr, 2 when there is no workspace to check.
 */
import { checkWorkspace, describeViolation, findWorkspaceRoot } from './check.ts';

const [folder] = process.argv.slice(2).filter((arg) => arg !== '--');
const root = findWorkspaceRoot(folder ?? process.cwd());
if (root === null) {
  console.error('boundaries: no pnpm-workspace.yaml here or above');
  process.exit(2);
}
const violations = checkWorkspace(root);
for (const v of violations) console.error(describeViolation(v));
if (violations.length > 0) {
  console.error(`boundaries: ${violations.length} relative path(s) leave their package`);
  process.exit(1);
}
console.log(`boundaries: no relative path leaves its package (${root})`);
