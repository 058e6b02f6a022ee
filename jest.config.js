// Unit specs live next to the code (src/**/*.spec.ts); HTTP and process tests in test/*.e2e-spec.ts.
const nestCli = require('./nest-cli.json');

// The files the @nestjs/swagger CLI plugin rewrites in `nest build` (DTOs, responses, controllers)
// go through it under jest too (test/support/openapi-ts-jest.js), with the build's options, so that
// the OpenAPI document under test is the one the built server serves.
const plugin = nestCli.compilerOptions.plugins.find((p) => p.name === '@nestjs/swagger').options;
const suffixes = [...plugin.dtoFileNameSuffix, ...plugin.controllerFileNameSuffix];
const pluginFiles = `(${suffixes.map((s) => s.replace(/\./g, '\\.')).join('|')})$`;

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: ['src/.*\\.spec\\.ts$', 'test/.*\\.e2e-spec\\.ts$'],
  transform: {
    [pluginFiles]: '<rootDir>/test/support/openapi-ts-jest.js',
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json' }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
};
