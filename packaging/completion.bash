# The completion logic (packaging/completion.bash), after the data above.
# Needs bash alone (not the bash-completion package's helpers), so that it
# works when sourced by hand and in `bash --norc`.

# _pa_journal_unquote WORD: WORD as the shell will pass it, for the simple
# cases of a word being typed: surrounding quotes removed, or else a leading ~
# expanded and backslash escapes removed. Nothing is evaluated (a word on the line may
# hold $(...)).
_pa_journal_unquote() {
  local word=$1 plain=""
  local -i i
  if [[ $word == \"*\" || $word == \'*\' ]]; then
    word=${word:1:${#word}-2}
  else
    if [[ $word == "~" || $word == "~/"* ]]; then
      word=$HOME${word:1}
    fi
    for ((i = 0; i < ${#word}; i++)); do
      [[ ${word:i:1} == "\\" ]] && i+=1
      plain+=${word:i:1}
    done
    word=$plain
  fi
  printf '%s' "$word"
}

# _pa_journal_collections PROGRAM DIR: the collection names of the store that
# DIR names (empty: the one the tool chooses, from PA_JOURNAL_DIR or else
# ~/.personal_assistant): the first word of each line of `pa-journal
# collections`. Prints nothing when that fails (no store, an older pa-journal).
_pa_journal_collections() {
  local -a args=(--no-progress collections)
  [[ -n $2 ]] && args=(--dir "$2" "${args[@]}")
  local name rest
  "$1" "${args[@]}" 2>/dev/null </dev/null | while read -r name rest; do
    [[ -n $name ]] && printf '%s\n' "$name"
  done
}

# _pa_journal_complete_kind KIND CUR: sets COMPREPLY to the completions of CUR
# as a value of KIND (see _pa_journal_value_kind).
_pa_journal_complete_kind() {
  local kind=$1 cur=$2
  case $kind in
    choice\ *) COMPREPLY=($(compgen -W "${kind#choice }" -- "$cur")) ;;
    collection)
      COMPREPLY=($(compgen -W "$(_pa_journal_collections "$_pa_journal_program" \
                                 "$_pa_journal_dir")" -- "$cur")) ;;
    dir)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -d -- "$cur")) ;;
    file)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur")) ;;
  esac
}

# _pa_journal_options_after COMMAND: the options that may follow COMMAND: its
# own and the global ones (but --version, which only the bare tool takes).
_pa_journal_options_after() {
  local option
  echo "$(_pa_journal_options "$1")"
  for option in $(_pa_journal_options ""); do
    case $option in -h | --help | --version) ;; *) echo "$option" ;; esac
  done
}

# The completion function: walks the words before the cursor to find the
# command, the --dir given and how many positional arguments are typed, then
# completes the current word as a command, an option, an option's value or
# the next positional argument.
_pa_journal() {
  local cur=${COMP_WORDS[COMP_CWORD]} word command="" pending=""
  local -a kinds
  local -i i count=0
  local _pa_journal_program _pa_journal_dir=""
  _pa_journal_program=$(_pa_journal_unquote "${COMP_WORDS[0]}")
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ -n $pending ]]; then
      [[ $word == "=" ]] && continue  # bash splits --dir=D into --dir, =, D
      [[ $pending == --dir ]] && _pa_journal_dir=$(_pa_journal_unquote "$word")
      pending=""
      continue
    fi
    case $word in
      --dir=*) _pa_journal_dir=$(_pa_journal_unquote "${word#--dir=}") ;;
      -*=*) ;;
      -*) [[ -n $(_pa_journal_value_kind "$command" "$word") ]] && pending=$word ;;
      *) if [[ -z $command ]]; then command=$word; else count+=1; fi ;;
    esac
  done
  if [[ -n $pending ]]; then
    [[ $cur == "=" ]] && cur=""
    _pa_journal_complete_kind "$(_pa_journal_value_kind "$command" "$pending")" "$cur"
  elif [[ -z $command ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$(_pa_journal_options "")" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$(_pa_journal_commands)" -- "$cur"))
    fi
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_pa_journal_options_after "$command")" -- "$cur"))
  else
    kinds=($(_pa_journal_positionals "$command"))
    if ((count < ${#kinds[@]})); then
      _pa_journal_complete_kind "${kinds[count]}" "$cur"
    fi
  fi
}

complete -F _pa_journal pa-journal
