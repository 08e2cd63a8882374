#!/usr/bin/env bash
# Makes prover/tests/fixtures/srs/pot7_final.ptau, the small snarkjs powers-of-tau file that
# prover/tests/srs_import.rs imports. It is made by the real snarkjs (installed into a temporary folder,
# not into this project) the way real ceremonies make theirs: a new bn128 ceremony of power 7, two
# contributions with fixed entropy, a beacon, then `prepare phase2` (the form of the public
# powersOfTau28_hez_final_*.ptau files: it adds the Lagrange sections 12..15 the importer skips).
# The fixed entropy makes it reproducible in structure; snarkjs also mixes in its own randomness, so the
# bytes differ between runs. A test SRS only: its toxic waste is derivable from this script's entropy.
set -euo pipefail
cd "$(dirname "$0")/.."
out=prover/tests/fixtures/srs
version=0.7.5
tool=$(mktemp -d)
trap 'rm -rf "$tool"' EXIT
(cd "$tool" && npm install --silent --no-audit --no-fund "snarkjs@$version" >/dev/null)
snarkjs() { node "$tool/node_modules/snarkjs/build/cli.cjs" "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$tool" "$work"' EXIT
snarkjs powersoftau new bn128 7 "$work/pot7_0000.ptau"
snarkjs powersoftau contribute "$work/pot7_0000.ptau" "$work/pot7_0001.ptau" \
  --name="zkinfer fixture one" -e="zkinfer srs import fixture entropy one"
snarkjs powersoftau contribute "$work/pot7_0001.ptau" "$work/pot7_0002.ptau" \
  --name="zkinfer fixture two" -e="zkinfer srs import fixture entropy two"
snarkjs powersoftau beacon "$work/pot7_0002.ptau" "$work/pot7_beacon.ptau" \
  0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 10 -n="zkinfer fixture beacon"
snarkjs powersoftau prepare phase2 "$work/pot7_beacon.ptau" "$work/pot7_final.ptau"
snarkjs powersoftau verify "$work/pot7_final.ptau"
mkdir -p "$out"
cp "$work/pot7_final.ptau" "$out/pot7_final.ptau"
# [tau]_2 of this file as snarkjs's own readers decode it (decimal, x = c0 + c1*u), which the test compares
# with what the Rust importer reads.
(cd "$tool" && node --input-type=module -e '
import * as binFileUtils from "@iden3/binfileutils";
import { buildBn128 } from "ffjavascript";
const { fd, sections } = await binFileUtils.readBinFile(process.argv[1], "ptau", 1);
const curve = await buildBn128(true);
const g2 = curve.G2;
await binFileUtils.startReadUniqueSection(fd, sections, 3);
const buff = await fd.read(g2.F.n8 * 2 * 2);
const tau = g2.toObject(g2.toAffine(g2.fromRprLEM(buff, g2.F.n8 * 2)));
console.log(JSON.stringify({ tau_g2: [tau[0][0], tau[0][1], tau[1][0], tau[1][1]].map(String) }, null, 2));
await fd.close();
await curve.terminate();
' "$work/pot7_final.ptau") >"$out/pot7_final.tau_g2.json"
ls -l "$out"
