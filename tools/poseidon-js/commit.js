#!/usr/bin/env node
// The commitment of circuits/src/poseidon/mod.rs ("The commitment"), and raw circomlib Poseidon hashes, with
// poseidon-lite (package.json pins it): the JavaScript side of evm/tests/poseidon_parity.rs.
//
// stdin: one JSON request or an array of them; stdout: the answer (or an array of answers, in order), each a
// field element as 0x + 64 lower-case hex digits, big-endian (as zkinfer_circuits::poseidon::fr_to_be_hex
// writes it).
//   {"values": [u_0, ...], "salt": "0x.."}   the commitment (values in [0, 2^24), numbers or decimal strings;
//                                             salt below the BN254 scalar modulus)
//   {"hash": ["0x..", ...]}                   Poseidon(x_1..x_k) for 1 to 5 inputs (widths 2 to 6)
// Exits 1 with a message on stderr for a malformed request or an out-of-range value.
// Usage: echo '{"values":[1,2,3],"salt":"0x2a"}' | node tools/poseidon-js/commit.js
"use strict";
const { poseidon1, poseidon2, poseidon3, poseidon4, poseidon5 } = require("poseidon-lite");

const P = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;
const VALUE_BITS = 24n;
const PER_ELEMENT = 10;
const HASHES = [null, poseidon1, poseidon2, poseidon3, poseidon4, poseidon5];

function fail(msg) {
  process.stderr.write(`commit.js: ${msg}\n`);
  process.exit(1);
}

function field(x, what) {
  let v;
  try {
    v = BigInt(x);
  } catch (e) {
    fail(`${what}: '${x}' is not an integer`);
  }
  if (v < 0n || v >= P) fail(`${what}: ${v} is not below the BN254 scalar modulus`);
  return v;
}

function hex(v) {
  return "0x" + v.toString(16).padStart(64, "0");
}

// E = [salt, n, P_0, ..., P_{m-1}], P_k = sum_{i<10} u_{10k+i} 2^(24 i); a chain of Poseidon(5) calls.
function commit(values, salt) {
  const elements = [field(salt, "salt"), BigInt(values.length)];
  for (let k = 0; k < values.length; k += PER_ELEMENT) {
    let packed = 0n;
    for (let i = 0; i < PER_ELEMENT && k + i < values.length; i++) {
      let u;
      try {
        u = BigInt(values[k + i]);
      } catch (e) {
        fail(`value ${k + i} ('${values[k + i]}') is not an integer`);
      }
      if (u < 0n || u >= 1n << VALUE_BITS) fail(`value ${k + i} (${u}) is outside [0, 2^24)`);
      packed += u << (VALUE_BITS * BigInt(i));
    }
    elements.push(packed);
  }
  const at = (e) => (e < elements.length ? elements[e] : 0n);
  let h = poseidon5([0, 1, 2, 3, 4].map(at));
  for (let e = 5; e < elements.length; e += 4) {
    h = poseidon5([h, at(e), at(e + 1), at(e + 2), at(e + 3)]);
  }
  return h;
}

function answer(req) {
  if (req && Array.isArray(req.values) && req.salt !== undefined) return hex(commit(req.values, req.salt));
  if (req && Array.isArray(req.hash)) {
    const f = HASHES[req.hash.length];
    if (!f) fail(`hash takes 1 to 5 inputs, got ${req.hash.length}`);
    return hex(f(req.hash.map((x, i) => field(x, `input ${i}`))));
  }
  fail(`not a request: ${JSON.stringify(req).slice(0, 200)}`);
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  let req;
  try {
    req = JSON.parse(input);
  } catch (e) {
    fail(`stdin is not JSON: ${e.message}`);
  }
  const out = Array.isArray(req) ? req.map(answer) : answer(req);
  process.stdout.write(JSON.stringify(out) + "\n");
});
