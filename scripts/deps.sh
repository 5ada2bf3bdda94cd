#!/bin/sh
# Installs the Debian packages tidepool needs to build and test, when any is missing.
# Safe to run again: it does nothing when everything is there.
set -eu

PACKAGES="cmake ninja-build pkg-config gcc make libc6-dev libuv1-dev libcjson-dev \
libsqlite3-dev libmd-dev libexpat1-dev libssl-dev zlib1g-dev libyaml-dev node-llhttp python3 git openssh-client \
python3-jenkins jenkins-job-builder"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
# node and npm run the npm clients' tests; a machine may have them from another source.
command -v npm > /dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0

echo "tidepool: installing$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
# shellcheck disable=SC2086
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing
