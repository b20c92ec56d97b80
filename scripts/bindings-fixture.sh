#!/usr/bin/env bash
# Creates a small Relay workspace for the binding examples and benchmarks:
# shared-api <- backend <- frontend, each a git repository with 20 committed files and one edit.
# Usage: scripts/bindings-fixture.sh DIR   (DIR must not exist or be empty)
set -euo pipefail
dir="${1:?usage: scripts/bindings-fixture.sh DIR}"
mkdir -p "$dir"
printf 'repositories:\n  - name: shared-api\n  - name: backend\n    dependencies: [shared-api]\n  - name: frontend\n    dependencies: [backend]\n' > "$dir/relay.yaml"
for name in shared-api backend frontend; do
  mkdir "$dir/$name"
  git -C "$dir/$name" init -q -b main
  for i in $(seq 1 20); do echo "$name $i" > "$dir/$name/file$i.txt"; done
  git -C "$dir/$name" add .
  git -C "$dir/$name" -c user.name=Relay -c user.email=relay@example.com commit -q -m "start $name"
  echo "edit" >> "$dir/$name/file1.txt"
done
