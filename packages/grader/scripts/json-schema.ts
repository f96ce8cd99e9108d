// Writes schema/report.schema.json from the zod schema, then formats it with
// Biome so `biome check` stays green. Run: pnpm --filter @faultline/grader build
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { reportJsonSchema } from '../src/json-schema.ts';

const target = fileURLToPath(new URL('../schema/report.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(reportJsonSchema(), null, 2)}\n`);

// Biome is the workspace root's devDependency: resolved by walking up from here, as Node does.
const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
execFileSync(process.execPath, [biome, 'format', '--write', target], { stdio: 'inherit' });
console.log(`wrote ${target}`);
