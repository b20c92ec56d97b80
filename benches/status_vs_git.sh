#!/usr/bin/env bash
# Status of 200 generated repositories: Relay (GitRepoGraph::status, in-process and as a fresh
# process) against `git status --porcelain=v2 --branch` run sequentially and with
# `xargs -P <cores>`, interleaved in one run. Prints medians and ratios (a markdown table).
#
# Knobs (environment): RELAY_BENCH_REPOS (200), RELAY_BENCH_FILES (300 tracked files per repo),
# RELAY_BENCH_ROUNDS (9), RELAY_BENCH_DIR (keep the generated repositories there, for profiling).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p relay-repos --bench status_vs_git "$@"
