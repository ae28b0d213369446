// Runs the pinned Prism CLI (node_modules/@stoplight/prism-cli) in this process, with this
// script's arguments: `node prism.js mock <spec> --host ... --port ...`.
//
// `cargo xtask` starts it with a pipe as stdin and never writes to it. When xtask ends, however
// it ends (even killed outright, with no chance to clean up), the pipe closes and Prism exits
// with it, so no mock server is ever left running.
'use strict';

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

const path = require('path');
const cli = path.join(__dirname, 'node_modules', '@stoplight', 'prism-cli');
require(path.join(cli, require(path.join(cli, 'package.json')).bin.prism));
