#!/usr/bin/env bash
# A short scripted session of pa-journal on a throwaway store: commits, a
# compaction, a point-in-time restore and a document's history, a crash that
# tears the journal's tail and the reopen that cuts it, and a damaged byte that
# verify finds. Usage: scripts/demo.sh PATH-TO-pa-journal
set -euo pipefail
pj=${1:?usage: scripts/demo.sh PATH-TO-pa-journal}
store=$(mktemp -d)
trap 'rm -rf "$store"' EXIT
export PA_JOURNAL_DIR=$store/store

step() { printf '\n== %s\n' "$*"; }

step "put two contacts and a note (each prints its sequence number)"
$pj put contacts alice '{"name":"Alice","email":"alice@example.com"}'
$pj put contacts bob '{"name":"Bob"}'
$pj put notes n1 '{"text":"buy milk"}'

step "patch a contact with an RFC 7396 merge patch, then read it back"
$pj patch contacts bob '{"phone":"555-0100"}'
$pj get contacts bob

step "apply NDJSON: one commit per line, an array is one atomic commit"
printf '%s\n' \
  '{"op":"put","collection":"notes","key":"n2","value":{"text":"call Bob"}}' \
  '[{"op":"delete","collection":"notes","key":"n1"},{"op":"put","collection":"config","key":"theme","value":"dark"}]' |
  $pj apply

step "list a collection as JSON"
$pj list contacts --json

step "compact: a snapshot of every collection in backups/, and readable state files"
$pj compact
$pj backups
ls "$PA_JOURNAL_DIR"

step "edit a contact, then restore to the moment before the edit (one new commit)"
before=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
sleep 0.1
$pj patch contacts alice '{"email":"alice@new.example.com"}'
$pj restore --at "$before" --dry-run
$pj restore --at "$before"
$pj get contacts alice

step "the history of that contact: every version with its sequence number and time"
$pj history contacts alice

step "inspect the journal"
$pj inspect

step "simulate a crash in the middle of an append: a torn record at the end"
segment=$(ls "$PA_JOURNAL_DIR"/journal/*.log | tail -n 1)
printf '\x40\x00\x00\x00\x00\x00\x00\x00\x50\x00\x00\x00\x01' >>"$segment"
$pj verify || echo "(verify exits $? : it reports the torn tail)"

step "the next writable open cuts the torn tail (default mode tolerate-tail) and goes on"
$pj put notes n3 '{"text":"after the crash"}'
$pj verify

step "flip one bit inside an acknowledged record: verify finds it and exits 3"
byte=$(od -An -tu1 -j100 -N1 "$segment" | tr -d ' ')
printf "\\x$(printf '%02x' $((byte ^ 1)))" | dd of="$segment" bs=1 seek=100 conv=notrunc status=none
$pj verify || echo "(verify exited $?)"

step "recovery mode salvage keeps every valid record and marks what was lost"
$pj --recovery salvage put notes n4 '{"text":"salvaged"}'
$pj inspect
$pj verify
echo
echo "demo done: the throwaway store in $store is removed now"
