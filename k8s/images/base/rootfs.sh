#!/usr/bin/env bash
# Makes the root file system of Crossover's base image in DIR: a minimal Debian (debootstrap
# --variant=minbase) of the pinned suite with a Java 17 runtime, tini and procps, then removes
# what a container never reads (package caches and lists, documentation, man pages, locales other
# than English) and records the exact package versions in /etc/crossover-base.packages.
# Usage: rootfs.sh DIR SUITE MIRROR PACKAGES   (run as root; build.sh calls it)
set -euo pipefail
dir=$1 suite=$2 mirror=$3 packages=$4

command -v debootstrap >/dev/null || {
  echo "debootstrap is not installed: apt-get install debootstrap" >&2
  exit 2
}
[ "$(id -u)" = 0 ] || {
  echo "building the base image's root file system needs root (debootstrap); run as root or with sudo" >&2
  exit 2
}

rm -rf "$dir"
mkdir -p "$dir"
debootstrap --variant=minbase --include="$packages" "$suite" "$dir" "$mirror" \
  >"$dir.debootstrap.log" 2>&1 || {
  echo "debootstrap failed; its log is $dir.debootstrap.log:" >&2
  tail -20 "$dir.debootstrap.log" >&2
  exit 1
}

chroot "$dir" dpkg-query -W -f '${Package} ${Version}\n' >"$dir/etc/crossover-base.packages"
echo "deb $mirror $suite main" >"$dir/etc/apt/sources.list"
rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/* \
  "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/var/log/*.log \
  "$dir"/var/cache/debconf/*-old "$dir"/var/lib/dpkg/*-old "$dir"/tmp/* "$dir"/root/.cache
find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'en*' ! -name locale.alias \
  -exec rm -rf {} +
# The image's files carry no build-time dates beyond the packages' own.
: >"$dir/etc/machine-id"
