// esbuild plugins for serverless-esbuild (custom.esbuild.plugins in serverless.yml).
//
// own-source-maps-only: CloudWatch stack traces need mappings for our code; for node_modules a
// frame naming the dependency file is enough. Dependencies get a one-line identity map, which keeps
// each function's zip under the 60 KB budget (their full mappings were most of the zip).
const fs = require('node:fs/promises');
const path = require('node:path');

// Modules of pg that the functions never reach: they always give pg host, port, user, password and
// database explicitly (lib/db/credentials.ts), never a connection string and never a missing
// password, so pg never parses a URL (pg-connection-string) nor reads ~/.pgpass (pgpass). Bundling
// them cost ~1.5 KB of every database function's zip. Should either be reached after all, it
// throws at once, naming the module, instead of misbehaving.
const UNREACHED = ['pg-connection-string', 'pgpass'];
// Likewise pg's certificate parsing for SCRAM-SHA-256-PLUS channel binding, which pg uses only with
// `enableChannelBinding: true`: the functions never set it (plain SCRAM over verified TLS).
const CHANNEL_BINDING = /^\.\/cert-signatures$/;
const STUB = (name) =>
  `const unreached = () => { throw new Error(${JSON.stringify(`${name} is not bundled: give pg its connection settings explicitly, without channel binding (lib/db/credentials.ts)`)}); };\n` +
  'module.exports = unreached; module.exports.parse = unreached;\n' +
  'module.exports.signatureAlgorithmHashFromCertificate = unreached;\n';

module.exports = [
  {
    name: 'pg-unreached-modules',
    setup(build) {
      const filter = new RegExp(`^(${UNREACHED.join('|')})$`);
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'unreached' }));
      build.onResolve({ filter: CHANNEL_BINDING }, (args) =>
        /[\\/]pg[\\/]lib[\\/]crypto[\\/]/.test(args.importer)
          ? { path: 'pg/lib/crypto/cert-signatures', namespace: 'unreached' }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'unreached' }, (args) => ({ contents: STUB(args.path), loader: 'js' }));
    },
  },
  {
    name: 'own-source-maps-only',
    setup(build) {
      const identity = async (file, loader) => {
        const map = { version: 3, sources: [path.basename(file)], names: [], mappings: 'AAAA' };
        const inline = Buffer.from(JSON.stringify(map)).toString('base64');
        const contents = `${await fs.readFile(file, 'utf8')}\n//# sourceMappingURL=data:application/json;base64,${inline}\n`;
        return { loader, contents };
      };
      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.[cm]?js$/ }, ({ path: file }) => identity(file, 'js'));
      // The OTLP decoders' field tables and readers too: they catch what they throw and answer with
      // the field path, so a frame naming the decoder's file is enough, and their mappings would
      // take the ingest function's zip to its 60 KB budget.
      build.onLoad({ filter: /[\\/]lib[\\/]otlp[\\/](protobuf|json)[\\/].*\.ts$/ }, ({ path: file }) =>
        identity(file, 'ts'),
      );
    },
  },
];
