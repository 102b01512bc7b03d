#!/bin/bash
# The device tool sends the tracked tree, 95 MiB with every model, and takes at most 64 MiB: for
# a GPU call, set aside the models/ folders and seeds the call does not read (into the ignored
# .gpu-aside/, which does not travel), and put them back after it.
#   bash training/gpu_tree.sh aside channel-mse [more models to keep]   # before gpu_pack.py and the call
#   bash training/gpu_tree.sh back                                      # after the call
set -euo pipefail
cd "$(dirname "$0")/.."
ASIDE=.gpu-aside
case "${1:-}" in
  aside)
    shift
    [ $# -gt 0 ] || { echo "name the models the call reads" >&2; exit 1; }
    [ ! -e "$ASIDE" ] || { echo "$ASIDE exists: run 'back' first" >&2; exit 1; }
    mkdir -p "$ASIDE/models" "$ASIDE/weights"
    paths=()
    for d in models/*/; do
      name=$(basename "$d")
      [[ " $* " == *" $name "* ]] && continue
      mv "models/$name" "$ASIDE/models/" && paths+=("models/$name")
    done
    for f in training/weights/*.pt; do
      name=$(basename "$f" .pt)
      [[ " $* " == *" $name "* ]] && continue
      mv "$f" "$ASIDE/weights/" && paths+=("$f")
    done
    [ ${#paths[@]} -eq 0 ] || git rm -r -q --cached "${paths[@]}"
    : > "$ASIDE/paths"
    [ ${#paths[@]} -eq 0 ] || printf '%s\n' "${paths[@]}" > "$ASIDE/paths"
    git ls-files -co --exclude-standard -z | xargs -0 stat -c %s | awk '{ s += $1 } END { printf "set aside %d paths; the tree now %.1f MiB\n", '"${#paths[@]}"', s / 2^20 }'
    ;;
  back)
    [ -f "$ASIDE/paths" ] || { echo "nothing set aside" >&2; exit 1; }
    mapfile -t paths < "$ASIDE/paths"
    for d in "$ASIDE"/models/*/; do [ -d "$d" ] && mv "$d" models/; done
    for f in "$ASIDE"/weights/*.pt; do [ -f "$f" ] && mv "$f" training/weights/; done
    [ ${#paths[@]} -eq 0 ] || git reset -q -- "${paths[@]}"
    rm -r "$ASIDE"
    git status --short -- models training/weights
    echo "put back ${#paths[@]} paths"
    ;;
  *) sed -n 2,6p "$0"; exit 1 ;;
esac
