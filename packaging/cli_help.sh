# Reading pa-journal's help text (CLI11's format), for the generators of the
# completion and the man page; sourced, with $tool set to the pa-journal to ask.
#   Options:                      a section header
#     --at TEXT:T  description    an entry: two spaces, its names, its text
#                                 a wrapped description (deeper indent)
# The text of an entry starts at column 30 when the names fit before it (so
# after a single space when they take 29 columns), else on the next line.

# joined_help [COMMAND]: `$tool [COMMAND] --help` with each wrapped description
# line (indented past the option column) joined, after two spaces, to the
# line it continues.
joined_help() {
  local line previous=""
  while IFS= read -r line; do
    if [[ $line =~ ^\ {3,}[^\ ] && -n $previous ]]; then
      previous+="  ${line#"${line%%[! ]*}"}"
      continue
    fi
    printf '%s\n' "$previous"
    previous=$line
  done < <("$tool" ${1:+"$1"} --help)
  printf '%s\n' "$previous"
}

# help_commands: the commands that `$tool --help` lists, one per line.
help_commands() {
  local line section=""
  while IFS= read -r line; do
    if [[ $line =~ ^([A-Z][A-Za-z]*):$ ]]; then
      section=${BASH_REMATCH[1]}
    elif [[ $section == Subcommands && $line =~ ^\ \ ([^\ ]+) ]]; then
      printf '%s\n' "${BASH_REMATCH[1]}"
    fi
  done < <(joined_help)
}

# split_entry LINE: sets entry_head (the names, type and notes of an entry
# line from joined_help) and entry_text (its description).
split_entry() {
  local line=${1#  }
  if [[ $line == *"  "* ]]; then
    entry_head=${line%%  *}
  elif ((${#1} > 30)) && [[ ${1:29:1} == " " ]]; then
    entry_head=${1:2:27}
  else
    entry_head=$line
  fi
  entry_text=${line#"$entry_head"}
  entry_text=${entry_text#"${entry_text%%[! ]*}"}
}
