#!/usr/bin/env node
// Compiles Solidity or Yul with the pinned solc (package.json): standard JSON in on stdin, standard JSON out on stdout.
// Exits 1 with the compiler's messages on stderr when any message has severity "error".
// Usage: node tools/solc/compile.js < input.json > output.json   (input format: docs.soliditylang.org, "Compiler Input and Output JSON Description")
"use strict";
const solc = require("solc");
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const output = JSON.parse(solc.compile(input));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    for (const e of errors) process.stderr.write((e.formattedMessage || e.message) + "\n");
    process.exit(1);
  }
  process.stdout.write(JSON.stringify(output));
});
