# Sourced by scripts/serve and scripts/test. Installs are skipped when nothing they depend on
# changed: the hash of those files is kept in a stamp file, written after each success.

# when_changed STAMP FILE... -- COMMAND...: run COMMAND unless the FILEs hash as STAMP says.
when_changed() {
  local stamp="$1" files=()
  shift
  while [ "$1" != "--" ]; do files+=("$1"); shift; done
  shift
  local want
  want="$(cat "${files[@]}" | .venv/bin/python -c \
    'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  "$@"
  echo "$want" > "$stamp"
}

# ensure_venv LOCK: ./.venv with the LOCK file's packages and this package (editable).
ensure_venv() {
  local lock="$1"
  PYTHON="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
      || { echo "Tradequote needs Python 3.11 or newer (set PYTHON=...)" >&2; exit 1; }
    "$PYTHON" -m venv .venv
  fi
  when_changed ".venv/.installed-$lock" "$lock" pyproject.toml -- install_packages "$lock"
}

install_packages() {
  .venv/bin/pip install -q --disable-pip-version-check -r "$1"
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
}
