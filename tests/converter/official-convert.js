// The official AsyncAPI 2.x → 3.0.0 conversion of one document, the reference for
// tests/tests/convert.rs: node official-convert.js IN OUT (YAML in, YAML out).
// NODE_PATH: the node_modules printed by scripts/install-test-deps.sh (ASYNCAPI_CONVERTER_NODE_MODULES).
const fs = require('fs');
const { convert } = require('@asyncapi/converter');

const [input, output] = process.argv.slice(2);
Promise.resolve(convert(fs.readFileSync(input, 'utf8'), '3.0.0'))
  .then((out) => fs.writeFileSync(output, typeof out === 'string' ? out : JSON.stringify(out, null, 2)))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
