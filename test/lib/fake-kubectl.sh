#!/bin/sh
# kubectl for the restore-drill script tests: hands the call to test/lib/fake-kubectl.mjs, one process serving every
# call of every drill run of a test file, through the files and FIFOs in $FAKE_KUBECTL_DIR (the protocol is described
# there).
d=$FAKE_KUBECTL_DIR
stdin=no
prev=
for a; do
  case "$prev $a" in "-f -" | "--filename -") stdin=yes ;; esac
  [ "$a" != "--filename=-" ] || stdin=yes
  prev=$a
done
printf '%s\0' "$@" >"$d/args"
[ "$stdin" = no ] || cat >"$d/stdin"
printf '%s' "$d" >"$d/request"
read -r code <"$d/response"
[ ! -s "$d/stdout" ] || cat "$d/stdout"
[ ! -s "$d/stderr" ] || cat "$d/stderr" >&2
exit "${code:-1}"
