// Two projects, both run by `npm test`:
// - unit: no local services, seconds to run (`npm run test:unit`);
// - integration: real kinesalite, fauxqs and Postgres, started once per run in a child process so that
//   they are stopped even when jest itself dies (local/src/servicesChild.ts).
// Each package keeps its tests beside it: __tests__/, emulator/__tests__/, local/__tests__/.
const transform = {
  '^.+\\.ts$': [
    'ts-jest',
    { tsconfig: { module: 'commonjs', moduleResolution: 'node10', isolatedModules: true, esModuleInterop: true } },
  ],
};
const roots = ['<rootDir>/__tests__', '<rootDir>/emulator', '<rootDir>/local'];

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60_000,
  maxWorkers: 2,
  projects: [
    { displayName: 'unit', testEnvironment: 'node', roots, testMatch: ['**/__tests__/unit/**/*.test.ts'], transform },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots,
      testMatch: ['**/__tests__/integration/**/*.test.ts'],
      transform,
      globalSetup: '<rootDir>/__tests__/helpers/globalSetup.ts',
      globalTeardown: '<rootDir>/__tests__/helpers/globalTeardown.ts',
      testTimeout: 60_000,
    },
  ],
};
