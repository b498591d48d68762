'use strict';
// Loads @prisma/schema-engine-wasm by hand: its entry point imports the .wasm file as an ES module, which
// Node 20 cannot do, so instantiate the module ourselves and hand it to the wasm-bindgen glue.
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

let panicMessage;
// The engine reports a Rust panic's reason through this global before trapping.
globalThis.PRISMA_WASM_PANIC_REGISTRY = { set_message: (message) => (panicMessage = message) };
const takePanicMessage = () => [panicMessage, (panicMessage = undefined)][0];

async function loadWasm() {
  const glue = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const bindings = await import(pathToFileURL(glue).href);
  const bytes = fs.readFileSync(path.join(path.dirname(glue), 'schema_engine_bg.wasm'));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { './schema_engine_bg.js': bindings });
  bindings.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return bindings; // { SchemaEngine, version }
}

module.exports = { loadWasm, takePanicMessage };
