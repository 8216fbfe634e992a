# Shared apt helpers for the set-up scripts (sourced, not run).
#
# The machines this project runs on may start with apt's package lists missing, or older than
# the security updates that bring the packages we need (a stock image's lists can predate
# them by months). Nothing here hard-codes a package version: callers ask what apt offers,
# and refresh the lists once when what they need is missing, too old, or gone from the
# mirror. APT_CONFIG (apt's own variable) is honoured, which lets the tests point apt at
# private lists without touching the machine's.

APT_REFRESHED=${APT_REFRESHED:-0}

# Runs apt-get/apt-cache quietly; as root, download unsandboxed without apt's warning.
apt_q() { "$@" 2>&1 | grep -v 'unsandboxed as root' || true; }

# The candidate version apt would install for a package, or nothing.
apt_candidate() {
  apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { if ($2 != "(none)") print $2 }'
}

# The upstream part of a Debian version: 1.96.0+dfsg1-1~deb12u2 -> 1.96.0.
apt_upstream() { local v=${1#*:}; v=${v%%[-+~]*}; printf '%s\n' "$v"; }

# True when version $1 >= $2 (Debian ordering, which also orders plain dotted versions).
version_ge() { dpkg --compare-versions "$1" ge "$2"; }

# The names in the Depends field of the candidate version of a package, one per line; for an
# alternative group ("a | b") only the first name.
apt_depends() {
  apt-cache show --no-all-versions "$1" 2>/dev/null \
    | awk -F': ' '/^Depends:/ { print $2; exit }' \
    | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/:any//; s/^ +//; s/ +$//' | sed '/^$/d'
}

# True when a package is installed on this machine.
apt_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# Refreshes the package lists once per set-up run. Needs root (or fails with a clear reason).
apt_refresh() {
  [ "$APT_REFRESHED" = 1 ] && return 1
  APT_REFRESHED=1
  if [ "$(id -u)" != 0 ]; then
    echo "$APT_WHO: apt's package lists are missing or stale, and refreshing them needs root (sudo apt-get update)" >&2
    return 1
  fi
  echo "$APT_WHO: refreshing apt's package lists (apt-get update)" >&2
  local log
  if ! log=$(apt-get update -qq 2>&1); then
    printf '%s\n' "$log" | tail -5 >&2
    echo "$APT_WHO: apt-get update failed" >&2
    return 1
  fi
}
