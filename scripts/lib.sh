# Shared set-up steps for scripts/demo and scripts/test. Sourced, not run.
# Works as root (CI, containers) or as a user with sudo (a developer's Debian/Ubuntu machine).

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_debian_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> Installing Debian packages: ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  fi
}

python_311() {
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "$candidate"
      return
    fi
  done
  echo "motcua needs Python 3.11 (python3.11 or python3)." >&2
  exit 1
}

make_venv() {  # make_venv [extra]: the project in .venv, with an optional extra ("dev")
  local spec="."
  [ -n "${1:-}" ] && spec=".[$1]"
  if [ ! -x .venv/bin/python ]; then
    echo "==> Creating .venv"
    "$(python_311)" -m venv .venv
  fi
  echo "==> Installing motcua ${1:+with $1 tools }into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e "$spec"
}

start_postgres() {  # a running cluster and a superuser role for the current OS user
  if ! pg_lsclusters -h 2>/dev/null | grep -q online; then
    echo "==> Starting PostgreSQL"
    local version
    version=$(pg_lsclusters -h | awk 'NR==1 {print $1}')
    as_root pg_ctlcluster "$version" main start
  fi
  local me
  me=$(whoami)
  if ! as_root runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname='$me'" | grep -q 1; then
    as_root runuser -u postgres -- createuser -s "$me"
  fi
}
