export {
  areaOf,
  checkWorkspace,
  codeFiles,
  describeViolation,
  findWorkspaceRoot,
  targetOf,
  type Violation,
  workspaceAreas,
  workspaceEntries,
} from './check.ts';
export { findSpecifiers, type Specifier, type SpecifierForm } from './specifiers.ts';
