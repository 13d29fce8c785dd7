// esbuild plugins for serverless-esbuild (custom.esbuild.plugins in serverless.yml).
//
// own-source-maps-only: CloudWatch stack traces need mappings for our code; for node_modules a
// frame naming the dependency file is enough. Dependencies get a one-line identity map, which keeps
// each function's zip under the 60 KB budget (their full mappings were most of the zip).
const fs = require('node:fs/promises');
const path = require('node:path');

module.exports = [
  {
    name: 'own-source-maps-only',
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.[cm]?js$/ }, async ({ path: file }) => {
        const map = { version: 3, sources: [path.basename(file)], names: [], mappings: 'AAAA' };
        const inline = Buffer.from(JSON.stringify(map)).toString('base64');
        const contents = `${await fs.readFile(file, 'utf8')}\n//# sourceMappingURL=data:application/json;base64,${inline}\n`;
        return { loader: 'js', contents };
      });
    },
  },
];
