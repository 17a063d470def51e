#!/bin/sh
# mpi_run.sh DIR COMMAND [OPTIONS...] - one rank of the MPI test of
# `gradtap COMMAND` (started by mpirun): runs it with one thread on the
# fixture files of DIR; rank 0 compares its CSV byte for byte with the
# single-process DIR/expected_COMMAND.csv, other ranks must print nothing.
dir=$1
command=$2
shift 2
rank=${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}}
out="$dir/mpi_$command.$rank.csv"
"$GRADTAP_CLI" "$command" "$@" --threads 1 -f csv "$dir/run.rank00000.h5" "$dir/run.rank00001.h5" > "$out" 2> /dev/null || exit 1
if [ "$rank" = 0 ]; then
    cmp "$dir/expected_$command.csv" "$out"
elif [ -s "$out" ]; then
    echo "rank $rank printed rows: only rank 0 may print"
    exit 1
fi
