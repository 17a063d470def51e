#!/usr/bin/env bash
# exported_symbols.sh PREFIX - every symbol a gradtap shared library exports
# must be declared in an installed header (PREFIX/include/gradtap/*.h): the
# libraries are built with hidden visibility and mark their API GTAP_API
# (core/include/gradtap/export.h), so an internal function never leaks.
set -euo pipefail
prefix="$1"
headers=("$prefix"/include/gradtap/*.h)
status=0
checked=0
for library in "$prefix"/lib*/libgradtap*.so; do
  while read -r symbol; do
    checked=$((checked + 1))
    if ! grep -qw -- "$symbol" "${headers[@]}"; then
      echo "exported_symbols: $(basename "$library") exports $symbol, which no installed header declares" >&2
      status=1
    fi
  done < <(nm -D --defined-only "$library" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -v '^_' | sort -u)
done
if [ "$checked" -eq 0 ]; then
  echo "exported_symbols: no exported symbol found under $prefix (no libraries installed?)" >&2
  exit 1
fi
[ "$status" -eq 0 ] && echo "exported_symbols: $checked exported symbols, each declared in an installed header"
exit "$status"
