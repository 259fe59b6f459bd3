#!/usr/bin/env node
// CommonJS (bin/package.json): an ES module as the main module starts Node's ES module loader, 15-25 ms.
require("../dist/slipway.js");
