#!/usr/bin/env bash
# Grade a lab on a Slurm cluster in PARTS parts, from the course's folder on a shared file system:
#
#     bash docs/grading-recipes/slurm-grade.sh lab1_scalar submissions.zip 4
#
# Three jobs, each waiting for the one before: the set-up (the virtualenv, once: array tasks that
# start together would race on it), the array (one task per part; each takes its part from
# SLURM_ARRAY_TASK_ID/COUNT with SHARD=auto, so the count is written once, here), the merge.
# bubblewrap must be installed on the compute nodes (Debian/Ubuntu package `bubblewrap`).
set -euo pipefail
lab=${1:?usage: slurm-grade.sh LAB SUBMISSIONS [PARTS]}
submissions=${2:?usage: slurm-grade.sh LAB SUBMISSIONS [PARTS]}
parts=${3:-4}
cpus=${CPUS_PER_TASK:-2}

setup=$(sbatch --parsable --job-name="setup-$lab" --cpus-per-task=1 --time=00:30:00 \
    --wrap "make venv")
array=$(sbatch --parsable --job-name="grade-$lab" --dependency="afterok:$setup" \
    --array="1-$parts" --cpus-per-task="$cpus" --time=02:00:00 \
    --wrap "make grade LAB='$lab' SUBMISSIONS='$submissions' OUT=\"out-$lab-\$SLURM_ARRAY_TASK_ID\" SHARD=auto JOBS=$cpus")
merge=$(sbatch --parsable --job-name="merge-$lab" --dependency="afterok:$array" \
    --cpus-per-task=1 --time=00:30:00 \
    --wrap ".venv/bin/coursetools merge out-$lab-* --out results-$lab")
echo "submitted: set-up $setup, array $array ($parts parts), merge $merge -> results-$lab"
