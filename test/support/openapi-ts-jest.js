// ts-jest for the files the @nestjs/swagger CLI plugin rewrites in `nest build` (DTOs, responses,
// controllers; the suffixes in nest-cli.json). The plugin reads types across files, which the
// fast isolated mode of the rest of the suite cannot give it, so these compile with the full
// program (tsconfig.json) and the plugin as an AST transformer (openapi-plugin.transformer.js).
//
// ts-jest keeps one compiler per Jest project config, whatever the options of the transform entry,
// so a second ts-jest entry would silently share the first one's compiler: this one is told apart
// by a marked copy of the config.
const tsJest = require('ts-jest').default;

const transformer = tsJest.createTransformer({
  tsconfig: 'tsconfig.json',
  astTransformers: { before: ['<rootDir>/test/support/openapi-plugin.transformer.js'] },
  // 151002: ts-jest's note that module "node16" is meant for isolated mode; the emit is the same.
  diagnostics: { ignoreCodes: [151002] },
});

const marked = new WeakMap();
function mark(options) {
  let config = marked.get(options.config);
  if (!config) {
    config = { ...options.config, tallyOpenApiPlugin: true };
    marked.set(options.config, config);
  }
  return { ...options, config };
}

module.exports = {
  getCacheKey: (source, path, options) => transformer.getCacheKey(source, path, mark(options)),
  process: (source, path, options) => transformer.process(source, path, mark(options)),
};
