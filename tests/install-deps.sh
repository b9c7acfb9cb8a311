#!/bin/sh
# tests/install-deps.sh - install the Debian packages asight needs to build
# and test, only those that are missing (make deps / make test / make demo).
set -e
PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev zstd \
libssl-dev openssl libsqlite3-dev sqlite3 libjansson-dev libpcap-dev libarchive-dev \
libncurses-dev libbrotli-dev libnghttp2-dev tshark tcpdump mandoc tmux curl python3 \
libclang-rt-14-dev nghttp2-server libcurl4-openssl-dev libarchive-tools \
libgnutls28-dev libnss3-dev pkg-config"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
