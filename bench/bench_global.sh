#!/bin/bash
# bench_global.sh - `gradtap bounds --global` over a whole model of
# TENSORS x NUMEL float32 values in one step (default 64 x 2^24 = 2^30
# values, a 4 GiB file): wall time and peak RSS (/usr/bin/time -v) of one
# process and of MPI ranks, medians of REPS runs, and whether the csv
# outputs are bit-identical.
#
#   bench/bench_global.sh [GRADTAP] [DIR]
#   env: TENSORS (64), NUMEL (16777216), REPS (3), RANKS (4), THREADS (2),
#        KEEP=1 keeps DIR/model.h5 (else it is deleted at the end)
#
# The file is written by Debian's /usr/bin/python3 with h5py in the layout
# of docs/FORMAT.md, one tensor at a time (bounded memory). The RSS limit
# checked is 1 GiB per process (docs/CLI.md, "--global over a whole model").
set -euo pipefail
gradtap=${1:-build/gradtap}
dir=${2:-${TMPDIR:-/tmp}/gradtap_bench_global}
tensors=${TENSORS:-64}
numel=${NUMEL:-16777216}
reps=${REPS:-3}
ranks=${RANKS:-4}
threads=${THREADS:-2}
limit_kib=$((1024 * 1024))
mkdir -p "$dir"
file="$dir/model.h5"

/usr/bin/python3 - "$file" "$tensors" "$numel" <<'PY'
import os, sys, datetime
import h5py, numpy as np
path, tensors, numel = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tag = "%d x %d" % (tensors, numel)
if os.path.exists(path):
    with h5py.File(path, "r") as f:
        if f.attrs.get("bench_shape") == tag:
            sys.exit(0)
tmp = path + ".part"
with h5py.File(tmp, "w", libver="latest") as f:
    for key, value in (("format", "gradtap-snapshots"), ("producer", "bench_global.sh"), ("run_id", "bench-global"),
                       ("created", datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")), ("bench_shape", tag)):
        f.attrs[key] = value
    for key, value in (("format_version", 1), ("rank", 0), ("world_size", 1), ("complete", 0), ("swmr", 0)):
        f.attrs[key] = np.int64(value)
    f.create_group("meta")
    group = f.create_group("tensors")
    rng = np.random.default_rng(20261202)
    for t in range(tensors):
        name = "layer%02d.weight" % t
        g = group.create_group(name)
        g.attrs["name"], g.attrs["dtype"], g.attrs["numel"] = name, "float32", np.int64(numel)
        k = g.create_group("grad")
        chunk = min(numel, 262144)
        data = k.create_dataset("data", shape=(1, numel), maxshape=(None, numel), dtype="<f4", chunks=(1, chunk))
        # heavy-tailed values, a different scale per layer
        data[0, :] = (rng.standard_t(4.0, size=numel) * (1e-3 * (1 + t % 7))).astype(np.float32)
        steps = k.create_dataset("steps", shape=(1,), maxshape=(None,), dtype="<i8", chunks=(1024,), fillvalue=-1)
        steps[0] = 0
    f.attrs["complete"] = np.int64(1)
os.replace(tmp, path)
PY

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# peak RSS (KiB) and wall seconds from a /usr/bin/time -v report
rss_of() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
wall_of() { awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$1"; }

args=(bounds --global --kind grad --format csv)
: > "$dir/single.times"
for r in $(seq "$reps"); do
    /usr/bin/time -v -o "$dir/single.time" "$gradtap" "${args[@]}" --threads "$threads" "$file" > "$dir/single.csv" 2> /dev/null
    echo "$(wall_of "$dir/single.time") $(rss_of "$dir/single.time")" >> "$dir/single.times"
done

mpi_status="not run (no mpirun)"
if command -v mpirun > /dev/null; then
    : > "$dir/mpi.times"
    for r in $(seq "$reps"); do
        start=$(date +%s.%N)
        mpirun --allow-run-as-root --oversubscribe -np "$ranks" bash -c \
            'exec /usr/bin/time -v -o "$0/mpi.time.${OMPI_COMM_WORLD_RANK:-0}" "$@"' "$dir" \
            "$gradtap" "${args[@]}" --threads 1 "$file" > "$dir/mpi.csv" 2> /dev/null
        end=$(date +%s.%N)
        peak=$(for t in "$dir"/mpi.time.*; do rss_of "$t"; done | sort -n | tail -1)
        echo "$(echo "$end - $start" | bc) $peak" >> "$dir/mpi.times"
    done
    if cmp -s "$dir/single.csv" "$dir/mpi.csv"; then mpi_status="identical"; else mpi_status="DIFFERENT"; fi
fi

single_wall=$(cut -d' ' -f1 "$dir/single.times" | median)
single_rss=$(cut -d' ' -f2 "$dir/single.times" | sort -n | tail -1)
echo "bench_global: d = $tensors x $numel = $((tensors * numel)) float32 values in one step, $reps runs"
echo "| run | wall median (s) | peak RSS (MiB) | RSS < 1 GiB |"
echo "|---|---|---|---|"
echo "| 1 process, --threads $threads | $single_wall | $((single_rss / 1024)) | $([ "$single_rss" -lt "$limit_kib" ] && echo yes || echo NO) |"
status=0
[ "$single_rss" -lt "$limit_kib" ] || status=1
if [ -f "$dir/mpi.times" ]; then
    mpi_wall=$(cut -d' ' -f1 "$dir/mpi.times" | median)
    mpi_rss=$(cut -d' ' -f2 "$dir/mpi.times" | sort -n | tail -1)
    echo "| $ranks MPI ranks, --threads 1 each (largest rank) | $mpi_wall | $((mpi_rss / 1024)) | $([ "$mpi_rss" -lt "$limit_kib" ] && echo yes || echo NO) |"
    echo "ratio wall(MPI)/wall(1 process): $(echo "scale=2; $mpi_wall / $single_wall" | bc)"
    [ "$mpi_rss" -lt "$limit_kib" ] || status=1
fi
echo "csv of 1 process vs $ranks ranks: $mpi_status"
[ "$mpi_status" != "DIFFERENT" ] || status=1
[ "${KEEP:-0}" = 1 ] || rm -f "$file"
rm -f "$dir"/mpi.time.* "$dir/single.time"
exit $status
