#!/bin/sh
# Runs every built guest (guests/build/*.elf) on QEMU and prints each verdict.
# A guest passes when it writes 0x10 to the isa-debug-exit port 0xF4 (QEMU exit status 33).
# Usage: guests/run-qemu.sh [-v] [guest...]   (-v: show the guest's whole output)
cd "$(dirname "$0")" || exit 2
verbose=0
[ "$1" = "-v" ] && { verbose=1; shift; }
[ $# -eq 0 ] && set -- $(ls build/*.elf | sed 's|build/||; s|\.elf$||')
failed=0
for g in "$@"; do
  out=$(timeout 20 qemu-system-i386 -kernel "build/$g.elf" -display none -serial stdio -nic none \
    -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -m 32 </dev/null 2>&1)
  status=$?
  [ $verbose -eq 1 ] && printf '%s\n' "$out"
  if [ $status -eq 33 ]; then
    echo "pass $g"
  else
    failed=$((failed + 1))
    echo "FAIL $g (status $status)"
    [ $verbose -eq 0 ] && printf '%s\n' "$out" | grep -v '^ok ' | sed 's/^/    /'
  fi
done
[ $failed -eq 0 ]
