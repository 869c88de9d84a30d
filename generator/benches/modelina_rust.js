// The generator bench's baseline: Rust models of one AsyncAPI document with the official
// Modelina generator, written to a directory. Usage: node modelina_rust.js SPEC OUT_DIR
// (NODE_PATH = the node_modules of scripts/install-bench-deps.sh).
const { RustFileGenerator } = require('@asyncapi/modelina');
const { Parser, fromFile } = require('@asyncapi/parser');

async function main() {
  const [spec, out] = process.argv.slice(2);
  const { document, diagnostics } = await fromFile(new Parser(), spec).parse();
  if (!document) {
    console.error(JSON.stringify(diagnostics.filter((d) => d.severity === 0), null, 1));
    process.exit(2);
  }
  const models = await new RustFileGenerator().generateToFiles(document, out, { packageName: 'models' }, true);
  if (models.length === 0) {
    console.error('no models generated');
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
