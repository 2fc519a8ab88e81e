#!/bin/bash
# Explores one seed range as a Slurm job array: task I of N runs
# `ckptsim explore --shard I/N` and writes OUT/shard-I-of-N.jsonl. See deploy/README.md.
#
#   jobid=$(sbatch --parsable deploy/slurm/explore-array.sh)
#   sbatch --dependency=afterok:$jobid deploy/slurm/merge.sh
#
# The number of shards is the array's size: change --array here (or on the sbatch
# command line) and merge.sh finds the files by their shard count.
#SBATCH --job-name=ckptsim-explore
#SBATCH --array=0-19
#SBATCH --cpus-per-task=4
#SBATCH --time=04:00:00
#SBATCH --output=ckptsim-explore-%A_%a.log

# Without Slurm, set SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT by hand to run
# one shard on this machine, e.g. SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_COUNT=3.
set -u
: "${SLURM_ARRAY_TASK_ID:?not set: submit with sbatch, or set it to the index of this shard}"
: "${SLURM_ARRAY_TASK_COUNT:?not set: submit with sbatch, or set it to the number of shards}"

CKPTSIM=${CKPTSIM:-ckptsim}
SCENARIO=${SCENARIO:-scenarios/quickstart.yaml}
SEEDS=${SEEDS:-0..100000}
OUT=${OUT:-results/quickstart}
JOBS=${SLURM_CPUS_PER_TASK:-2}

"$CKPTSIM" explore "$SCENARIO" --seeds "$SEEDS" \
  --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" --jobs "$JOBS" --out "$OUT"
code=$?
# Exit 1 means a seed violated exactly-once: a result kept in the shard file, which
# must not stop the dependent merge (afterok). Bad input (2) or a crash still fails.
if [ "$code" -eq 1 ]; then
  exit 0
fi
exit "$code"
