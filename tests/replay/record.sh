#!/bin/sh
# Records two host-kernel runs of every script here (root; each run in its
# own fresh network namespace).  Usage: sh record.sh [ORACLE_DIR] [NAME...]
set -e
here=$(cd "$(dirname "$0")" && pwd)
oracle=${1:-$here/../../../shared/oracle}
[ $# -gt 0 ] && shift
names=${*:-$(cd "$here" && ls *.jsonl | grep -v '\.kernel[12]\.jsonl$' | sed 's/\.jsonl$//')}
for n in $names; do
    for r in 1 2; do
        unshare -n python3 "$oracle/replay/replay_kernel.py" < "$here/$n.jsonl" > "$here/$n.kernel$r.jsonl"
    done
done
