// The @nestjs/swagger CLI plugin as a ts-jest AST transformer (jest.config.js), with the options
// `nest build` uses, read from nest-cli.json.
const { before } = require('@nestjs/swagger/plugin');
const nestCli = require('../../nest-cli.json');

const options = nestCli.compilerOptions.plugins.find((plugin) => plugin.name === '@nestjs/swagger').options;

module.exports = {
  name: 'tally-openapi-plugin',
  // ts-jest caches transformed files by name and version: bump it when this file changes.
  version: 3,
  // ts-jest calls this for every file it emits. Its `program` is the one its language service
  // started with; the plugin needs the current one, which knows the file and all it imports.
  factory: (compiler) => before({ ...options }, compiler._languageService?.getProgram() ?? compiler.program),
};
