#!/usr/bin/env bash
# vendor/<crate>/ is a published crate plus zkinfer's edits, kept as files this script applies:
#   halo2-axiom 0.5.3:    Cargo.toml loses "bn256-table" from [dependencies.halo2curves] and gains
#                         `[lints.rust] warnings = "allow"` (scripted below), then vendor/patches/halo2-axiom-*.patch
#   snark-verifier 0.2.7: vendor/patches/snark-verifier-*.patch
# Patches apply in file-name order (LC_ALL=C), with no fuzz. Our notes (VENDORED.md, ZKINFER-PATCH.md) are kept.
#
# Usage: scripts/vendor.sh           rewrite vendor/<crate>/ from the published crate (only files that differ)
#        scripts/vendor.sh --check   rebuild in a temp dir and compare with vendor/<crate>/; exit 1 on any difference
# The pristine .crate comes from cargo's registry cache; a missing one is fetched by `cargo fetch` in a throwaway
# project. To move to another version, change it below, re-make the patches, and update the root Cargo.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

# name version notes-files (ours, not in the published crate)
CRATES=(
  "halo2-axiom 0.5.3 VENDORED.md"
  "snark-verifier 0.2.7 ZKINFER-PATCH.md"
)

mode=write
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cache_glob() { echo "${CARGO_HOME:-$HOME/.cargo}/registry/cache/*/$1-$2.crate"; }
find_crate() { compgen -G "$(cache_glob "$1" "$2")" | head -n1 || true; }

# Fetch every missing .crate with one throwaway project (exact versions, no features).
missing=()
for c in "${CRATES[@]}"; do
  read -r name version _ <<<"$c"
  [[ -n "$(find_crate "$name" "$version")" ]] || missing+=("$name $version")
done
if ((${#missing[@]})); then
  echo "fetching into cargo's registry cache: ${missing[*]}" >&2
  mkdir -p "$tmp/fetch/src"
  : >"$tmp/fetch/src/lib.rs"
  {
    printf '[package]\nname = "zkinfer-vendor-fetch"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n'
    printf '[workspace]\n\n[dependencies]\n'
    for m in "${missing[@]}"; do
      read -r name version <<<"$m"
      printf '%s = { version = "=%s", default-features = false }\n' "$name" "$version"
    done
  } >"$tmp/fetch/Cargo.toml"
  (cd "$tmp/fetch" && cargo fetch --quiet)
fi

# The edits no patch file carries (manifest only), per crate.
scripted_edits() { # name dir
  case "$1" in
    halo2-axiom)
      # bn256-table: a 2 MB table the browser verifier does not need (VENDORED.md); the prover turns it back on
      awk '
        /^\[/ { in_curves = ($0 == "[dependencies.halo2curves]") }
        in_curves && $0 == "    \"bn256-table\"," { removed++; next }
        { print }
        END { if (removed != 1) { print "error: expected one bn256-table line in [dependencies.halo2curves]" > "/dev/stderr"; exit 1 } }
      ' "$2/Cargo.toml" >"$2/Cargo.toml.new"
      mv "$2/Cargo.toml.new" "$2/Cargo.toml"
      # a path dependency's rustc warnings are not capped as a registry crate's are: silence upstream's
      printf '\n[lints.rust]\nwarnings = "allow"\n' >>"$2/Cargo.toml"
      ;;
  esac
}

# Builds the published crate + edits + patches into $tmp/build/<name>.
build() { # name version
  local name=$1 version=$2 crate dir p
  crate=$(find_crate "$name" "$version")
  [[ -n "$crate" ]] || { echo "error: $name-$version.crate is not in cargo's registry cache after cargo fetch" >&2; exit 1; }
  dir="$tmp/build/$name"
  mkdir -p "$dir"
  tar -xzf "$crate" -C "$dir" --strip-components=1
  scripted_edits "$name" "$dir"
  while IFS= read -r p; do
    [[ -n "$p" ]] || continue
    patch --batch --forward --silent --fuzz=0 --no-backup-if-mismatch -r - -p1 -d "$dir" <"$p" \
      || { echo "error: $p does not apply to $name $version" >&2; exit 1; }
  done < <(LC_ALL=C compgen -G "vendor/patches/$name-*.patch" | LC_ALL=C sort)
}

# Relative paths of the regular files under a tree, minus our notes.
files() { # dir notes...
  local dir=$1; shift
  (cd "$dir" && find . -type f -printf '%P\n') | { if (($#)); then grep -vxF "$(printf '%s\n' "$@")" || true; else cat; fi; } | LC_ALL=C sort
}

status=0
for c in "${CRATES[@]}"; do
  read -r name version notes <<<"$c"
  read -r -a notes <<<"$notes"
  build "$name" "$version"
  built="$tmp/build/$name" dest="vendor/$name"
  npatches=$(compgen -G "vendor/patches/$name-*.patch" | wc -l || true)
  what="published $name $version$(if [[ $name == halo2-axiom ]]; then echo " + scripted Cargo.toml edits"; fi) + $npatches patches in vendor/patches"
  if [[ $mode == check ]]; then
    report=$(
      diff <(files "$built") <(files "$dest" "${notes[@]}") | sed -n 's/^< /  missing from vendor: /p; s/^> /  not in published+patches: /p'
      comm -12 <(files "$built") <(files "$dest" "${notes[@]}") | while IFS= read -r f; do
        cmp -s "$built/$f" "$dest/$f" || echo "  differs: $f ($(diff "$built/$f" "$dest/$f" | grep -c '^[<>]') lines)"
      done
      true
    )
    if [[ -n "$report" ]]; then
      echo "vendor/$name differs from $what:"
      echo "$report"
      status=1
    else
      echo "vendor/$name = $what: identical"
    fi
  else
    mkdir -p "$dest"
    # remove what the build does not have (but our notes), then copy only the files that differ
    comm -13 <(files "$built") <(files "$dest" "${notes[@]}") | while IFS= read -r f; do rm -f "$dest/$f"; done
    find "$dest" -mindepth 1 -type d -empty -delete
    files "$built" | while IFS= read -r f; do
      if ! cmp -s "$built/$f" "$dest/$f" 2>/dev/null; then
        mkdir -p "$(dirname "$dest/$f")"
        cp "$built/$f" "$dest/$f"
      fi
    done
    echo "vendor/$name: written from $what"
  fi
done
if ((status)); then
  echo "vendor/ is not reproduced by scripts/vendor.sh: change vendor/patches (or the script), not the tree alone" >&2
fi
exit "$status"
