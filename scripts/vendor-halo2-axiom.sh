#!/usr/bin/env bash
# Re-creates vendor/halo2-axiom/ from the published halo2-axiom crate in cargo's registry cache, then removes
# "bn256-table" from its halo2curves features (see vendor/halo2-axiom/VENDORED.md for why), applies
# vendor/patches/halo2-axiom-*.patch (prover speed, same results) and allows the warnings its source trips,
# which cargo would otherwise print on every build of a path dependency.
# Usage: scripts/vendor-halo2-axiom.sh [VERSION]   (default 0.5.3; `cargo fetch` first if the crate is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-0.5.3}
crate=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"halo2-axiom-$version.crate" 2>/dev/null | head -n1 || true)
if [[ -z "$crate" ]]; then
  echo "error: halo2-axiom-$version.crate is not in cargo's registry cache; run 'cargo fetch' first" >&2
  exit 1
fi
dest=vendor/halo2-axiom
notes=$(mktemp)
[[ -f "$dest/VENDORED.md" ]] && cp "$dest/VENDORED.md" "$notes"
rm -rf "$dest"
mkdir -p "$dest"
tar -xzf "$crate" -C "$dest" --strip-components=1
[[ -s "$notes" ]] && cp "$notes" "$dest/VENDORED.md"
rm -f "$notes"
# the one change: the line `    "bn256-table",` inside [dependencies.halo2curves]'s features list
awk '
  /^\[/ { in_curves = ($0 == "[dependencies.halo2curves]") }
  in_curves && $0 == "    \"bn256-table\"," { removed++; next }
  { print }
  END { if (removed != 1) { print "error: expected one bn256-table line in [dependencies.halo2curves]" > "/dev/stderr"; exit 1 } }
' "$dest/Cargo.toml" >"$dest/Cargo.toml.new"
mv "$dest/Cargo.toml.new" "$dest/Cargo.toml"
# Second change, build noise only: a path dependency's warnings are not capped the way a registry crate's
# are, so every build would print upstream's warnings (unknown cfg values, an unused import, dead code).
cat >>"$dest/Cargo.toml" <<'TOML'

[lints.rust]
warnings = "allow"
TOML
# Third change, speed only (same outputs): the patches in vendor/patches (VENDORED.md says what each does)
for p in vendor/patches/halo2-axiom-*.patch; do
  patch -s -p1 -d "$dest" <"$p"
done
echo "vendored halo2-axiom $version into $dest (bn256-table removed from its halo2curves features, patches applied)"
diff -u <(tar -xzOf "$crate" "halo2-axiom-$version/Cargo.toml") "$dest/Cargo.toml" || true
