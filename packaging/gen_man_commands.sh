#!/usr/bin/env bash
# Writes the COMMANDS section of the man page as a help2man include file (run
# by the build; see packaging.cmake):
#   gen_man_commands.sh PA_JOURNAL OUT
# help2man renders `pa-journal --help` only, which names each command in one
# line; this section adds, from `pa-journal COMMAND --help`, each command's
# usage, options and example, so the page holds what the tool says and
# nothing written twice. Fails, and writes nothing, if the help lists no
# commands.
set -euo pipefail
tool=$1 out=$2
source "$(dirname "$0")/cli_help.sh"

# troff TEXT: TEXT safe in a troff line (backslashes and hyphens escaped, a
# leading dot or quote protected).
troff() {
  local text=${1//\\/\\e}
  text=${text//-/\\-}
  [[ $text == [.\']* ]] && text="\\&$text"
  printf '%s' "$text"
}

# command_entry COMMAND: the command's entry: usage, description, the
# arguments the help describes, options (without --help), example.
command_entry() {
  local line section="" about="" usage="" example="" entry_head entry_text
  local -a options=()
  while IFS= read -r line; do
    if [[ $line =~ ^([A-Z][A-Za-z]*):$ ]]; then
      section=${BASH_REMATCH[1]}
    elif [[ $line == Usage:* ]]; then
      usage=${line#Usage: }
      usage="pa-journal ${usage#* }"  # CLI11 prints the program's path
    elif [[ -z $section && -n $line && -z $usage ]]; then
      about=$line
    elif [[ $section == Options && $line =~ ^\ \ -[^\ ] ]]; then
      [[ $line == "  -h,--help "* ]] || options+=("$line")
    elif [[ $section == Positionals && $line =~ ^\ \ [^\ ] ]]; then
      split_entry "$line"  # "json TEXT REQUIRED  the JSON text, ..."
      [[ -n $entry_text ]] && options+=("  ${entry_head%% *}  $entry_text")
    elif [[ $section == Example && $line =~ ^\ \ [^\ ] ]]; then
      example=${line#  }
    fi
  done < <(joined_help "$1")
  printf '.TP\n.B %s\n%s\n' "$(troff "$usage")" "$(troff "$about")"
  if ((${#options[@]} > 0)); then
    printf '.RS\n'
    for line in "${options[@]}"; do
      split_entry "$line"
      printf '.TP\n.B %s\n%s\n' "$(troff "$entry_head")" "$(troff "$entry_text")"
    done
    printf '.RE\n'
  fi
  # Unfilled: an example is one line of shell, not text to justify.
  [[ -n $example ]] && printf '.IP\n.nf\nExample: \\fB%s\\fR\n.fi\n' "$(troff "$example")"
  return 0
}

commands=$(help_commands)
[[ -n $commands ]] || { echo "$0: no commands in '$tool --help'" >&2; exit 1; }
{
  echo "[COMMANDS]"
  echo "Each command's arguments and options, as \\fBpa\\-journal\\fR \\fICOMMAND\\fR"
  echo "\\fB\\-\\-help\\fR shows them. Global options may be given with any command."
  for command in $commands; do
    command_entry "$command"
  done
} >"$out.tmp"
mv "$out.tmp" "$out"
