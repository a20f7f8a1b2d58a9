#!/usr/bin/env bash
# The layer order of docs/design.md 2, checked on the #include lines:
#
#   schemas, model -> journal -> snapshot -> replay -> replication -> store
#     -> tools, python
#
# A file in one of these folders may include its own folder's headers and those
# of the folders before it, never those of a folder after it or beside it
# (schemas and model are beside each other, and so are tools and python). The
# generated record.capnp.h belongs to schemas. The public headers
# (include/pa_journal/) are installed alone, so they include only each other.
# Includes of pa_journal/*.h are allowed everywhere.
#
#   scripts/check_layers.sh [SOURCE_DIR]   exit 0 if the order holds, else 1,
#                                          naming every include that breaks it
#   scripts/check_layers.sh --self-test    plants a violation in a scratch tree
#                                          and fails unless the check sees it
set -euo pipefail

declare -A rank=([schemas]=0 [model]=0 [journal]=1 [snapshot]=2 [replay]=3 [replication]=4
                 [store]=5 [tools]=6 [python]=6)

# Prints "file:line: reason" for every include in root that breaks the order.
violations() {
  local root=$1 folder file line target
  for folder in "${!rank[@]}"; do
    [[ -d $root/$folder ]] || continue
    while IFS=: read -r file line target; do
      [[ $target == *.capnp.h ]] && target=schemas || target=${target%%/*}
      [[ -n ${rank[$target]+x} && $target != "$folder" ]] || continue
      if ((rank[$target] >= rank[$folder])); then
        echo "${file#"$root"/}:$line: $folder/ includes $target/, a layer not below it"
      fi
    done < <(grep -rnoE --include='*.h' --include='*.cc' '^#include "[^"]+"' "$root/$folder" |
             sed -E 's/:#include "([^"]+)"$/:\1/')
  done
  if [[ -d $root/include/pa_journal ]]; then
    grep -rnE '^#include "' "$root/include/pa_journal" | grep -vE '#include "pa_journal/' |
      sed -E "s#^$root/##; s#\$# (a public header includes an internal one)#" || true
  fi
}

self_test() {
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  mkdir -p "$scratch/journal" "$scratch/store"
  echo '#include "journal/a.h"' >"$scratch/store/b.cc"
  if [[ -n $(violations "$scratch") ]]; then
    echo "self-test: a clean tree was refused" >&2
    return 1
  fi
  echo '#include "store/b.h"' >"$scratch/journal/a.cc"
  if [[ -z $(violations "$scratch") ]]; then
    echo "self-test: journal/ including store/ was not caught" >&2
    return 1
  fi
  echo "self-test: a planted journal/ -> store/ include is caught"
}

if [[ ${1:-} == --self-test ]]; then
  self_test
  exit
fi
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
found=$(violations "$root" | sort)
if [[ -n $found ]]; then
  echo "$found"
  echo "the layer order (docs/design.md 2) is broken: $(wc -l <<<"$found") include(s)" >&2
  exit 1
fi
echo "layer order holds: schemas, model -> journal -> snapshot -> replay -> replication -> store -> tools, python"
