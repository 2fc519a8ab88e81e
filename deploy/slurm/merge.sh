#!/bin/bash
# Joins the shard files of explore-array.sh into OUT/results.jsonl and the replay
# scenarios, and prints the summary one unsharded run prints. Submit it with
# `sbatch --dependency=afterok:<array job id> deploy/slurm/merge.sh`, or run it
# directly once every shard has finished. See deploy/README.md.
#SBATCH --job-name=ckptsim-merge
#SBATCH --cpus-per-task=1
#SBATCH --time=00:30:00
#SBATCH --output=ckptsim-merge-%j.log

# Exit codes are ckptsim's: 0 all seeds held, 1 some seed violated exactly-once,
# 2 a shard is missing, given twice or from another exploration (the error names it).
set -u
CKPTSIM=${CKPTSIM:-ckptsim}
OUT=${OUT:-results/quickstart}
SHARDS=${SHARDS:-20}

exec "$CKPTSIM" explore --merge "$OUT"/shard-*-of-"$SHARDS".jsonl --out "$OUT"
