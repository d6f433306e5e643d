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

# ensure_system_packages COMMAND=PACKAGE...: install each Debian PACKAGE whose COMMAND (a name on
# PATH, or an absolute path) is missing, with apt-get (as root, or through sudo).
ensure_system_packages() {
  local missing=() pair
  for pair in "$@"; do
    local command="${pair%%=*}" package="${pair#*=}"
    if [[ "$command" == /* ]]; then [ -x "$command" ] && continue
    else command -v "$command" >/dev/null && continue
    fi
    missing+=($package)
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || { echo "missing ${missing[*]}, and no apt-get to install them" >&2; return 1; }
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
