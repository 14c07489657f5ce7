/** One jest run over every workspace package; each test file starts its own redis-server / S3 server. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/packages', '<rootDir>/e2e', '<rootDir>/bench'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  testTimeout: 30000,
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 2,
};
