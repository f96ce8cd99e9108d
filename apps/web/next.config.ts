import type { NextConfig } from 'next';

const config: NextConfig = {
  transpilePackages: ['@faultline/db', '@faultline/grader', '@faultline/scenario', '@faultline/vm-core'],
  serverExternalPackages: ['better-sqlite3', 'pg', '@node-rs/argon2', 'esbuild', '@faultline/cli'],
  // The project type-checks with its own `tsc` (TypeScript 7, the native compiler, has no JS API for Next to use).
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  productionBrowserSourceMaps: false,
};

export default config;
