#!/bin/sh
# Runs every built guest (guests/build/*.elf) on QEMU and prints each verdict.
# A guest passes when it writes 0x10 to the isa-debug-exit port 0xF4 (QEMU exit status 33).
# -cpu qemu32,+nx: QEMU's default qemu32 model lacks NX, which paging-pae needs.
# Usage: guests/run-qemu.sh [-v] [guest...]   (-v: show the guest's whole output)
cd "$(dirname "$0")" || exit 2
verbose=0
[ "$1" = "-v" ] && { verbose=1; shift; }
[ $# -eq 0 ] && set -- $(ls build/*.elf | sed 's|build/||; s|\.elf$||')
failed=0
for g in "$@"; do
  out=$(timeout 20 qemu-system-i386 -cpu qemu32,+nx -kernel "build/$g.elf" -display none -serial stdio -nic none \
    -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -m 32 </dev/null 2>&1)
  status=$?
  [ $verbose -eq 1 ] && printf '%s\n' "$out"
  if [ $status -eq 33 ]; then
    echo "pass $g"
    continue
  fi
  # A failing guest whose only failed checks are known QEMU divergences passes with a star.
  unknown=$(printf '%s\n' "$out" | grep '^FAIL ' | grep -vF "FAIL $g (" | while read -r line; do
    c=$(printf '%s\n' "$line" | sed -n 's/^FAIL \(.*\): expected .*/\1/p')
    grep -qxF "$g: $c" qemu-divergences.txt 2>/dev/null && [ -n "$c" ] || echo "$line"; done)
  if [ $status -eq 35 ] && [ -z "$unknown" ]; then
    echo "pass* $g (only known QEMU divergences failed, see qemu-divergences.txt)"
  else
    failed=$((failed + 1))
    echo "FAIL $g (status $status)"
    [ $verbose -eq 0 ] && printf '%s\n' "$out" | grep -v '^ok ' | sed 's/^/    /'
  fi
done
[ $failed -eq 0 ]
