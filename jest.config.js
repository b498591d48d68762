/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec|fault-spec|browser-spec|container-spec)\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Type checking is its own step (npm run typecheck), so tests only transpile: much faster.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  // e2e tests share one Redis db and one PostgreSQL database: run files one at a time.
  maxWorkers: 1,
  // A leaked socket or timer in one file must never hold CI past the run: once every test has finished, exit.
  // (Each file still closes what it opens; --detectOpenHandles finds the one that did not.)
  forceExit: true,
};
