// One set of real local services (kinesalite, fauxqs, Postgres) per run, started in a child
// process so that they are stopped even when jest itself dies. See __tests__/helpers/globalSetup.ts.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: { module: 'commonjs', moduleResolution: 'node10', isolatedModules: true, esModuleInterop: true } },
    ],
  },
  globalSetup: '<rootDir>/__tests__/helpers/globalSetup.ts',
  globalTeardown: '<rootDir>/__tests__/helpers/globalTeardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
