#!/usr/bin/env bash
# Builds Crossover's container images from what a site without registry access can reach:
# Debian's package mirror (the base image's root file system, by debootstrap) and Maven Central
# (Spark's and Hadoop's jars, resolved by Maven at this project's versions). No image is pulled.
# Each image is tagged by a hash of what it is made of, so a second call finds it and builds
# nothing; the plain version tags point at the newest build.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: k8s/images/build.sh [--images LIST] [--kubernetes auto|yes|no] [--offline]
                           [--registry PREFIX [--push]] [--tags-file FILE]

  --images LIST       comma-separated, from base,spark,hdfs,crossover (default: all four;
                      each one builds what it stands on)
  --kubernetes MODE   add spark-kubernetes to the Spark image: yes (default: fail if Maven
                      cannot resolve it at this Spark version), auto (yes where it resolves,
                      else no, said loudly) or no (standalone clusters and spark-submit only)
  --offline           Maven from the local repository only
  --registry PREFIX   also tag each image PREFIX/NAME:VERSION (e.g. registry.example.com/ml)
  --push              push those tags (needs --registry)
  --tags-file FILE    write name=tag lines for the images built or found (for tests)

Images (NAME:VERSION-HASH, plus NAME:VERSION):
  crossover-base      Debian SUITE (minbase) + OpenJDK 17 runtime, tini, procps
  crossover-spark     /opt/spark/{jars,bin,conf,work-dir} like the official apache/spark image
  crossover-hdfs      Hadoop's NameNode and DataNode at the project's Hadoop version
  crossover           k8s/Dockerfile on crossover-spark: the application (needs
                      driver/target/crossover.jar: mvn -B package -DskipTests)
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$here/target
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=openjdk-17-jre-headless,tini,procps
images=base,spark,hdfs,crossover
kubernetes=yes
offline=
registry=
push=no
tags_file=

while [ $# -gt 0 ]; do
  case "$1" in
    --images) images=$2; shift 2 ;;
    --kubernetes) kubernetes=$2; shift 2 ;;
    --offline) offline=-o; shift ;;
    --registry) registry=$2; shift 2 ;;
    --push) push=yes; shift ;;
    --tags-file) tags_file=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$kubernetes" in auto | yes | no) ;; *)
  echo "build.sh: --kubernetes must be auto, yes or no, not $kubernetes" >&2; exit 2 ;;
esac
for image in ${images//,/ }; do
  case "$image" in base | spark | hdfs | crossover) ;; *)
    echo "build.sh: --images: $image is not one of base, spark, hdfs, crossover" >&2; exit 2 ;;
  esac
done
[ "$push" = no ] || [ -n "$registry" ] || {
  echo "build.sh: --push needs --registry PREFIX" >&2; exit 2
}
command -v docker >/dev/null && docker info >/dev/null 2>&1 || {
  echo "build.sh: no Docker engine answers (install docker.io and start dockerd)" >&2; exit 2
}

# One value from the reactor pom, so the images follow the project's pinned versions.
pom_property() {
  sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$root/pom.xml" | head -1
}
spark_version=$(pom_property spark.version)
hadoop_version=$(pom_property hadoop.version)
project_version=$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' "$root/pom.xml")

# docker build, quiet unless it fails (then its log's end, and where the whole log is).
docker_build() {
  local name=$1
  shift
  DOCKER_BUILDKIT=0 docker build "$@" >"$work/$name-build.log" 2>&1 || {
    echo "build.sh: building $name failed; the end of $work/$name-build.log:" >&2
    tail -20 "$work/$name-build.log" >&2
    exit 1
  }
}
log() { printf '[images] %s\n' "$*" >&2; }
digest() { sha256sum | cut -c1-12; }
exists() { docker image inspect "$1" >/dev/null 2>&1; }
# The names and sizes of a directory's files, in a stable order (jar names carry versions).
listing() { (cd "$1" && find . -type f -printf '%P %s\n' | LC_ALL=C sort); }
wanted() { case ",$images," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
declare -A built=()

finish() {
  local name=$1 version=$2 tag=$3
  docker tag "$tag" "$name:$version"
  if [ -n "$registry" ]; then
    docker tag "$tag" "$registry/$name:$version"
    [ "$push" = no ] || docker push "$registry/$name:$version"
  fi
  built[$name]=$tag
  log "$name: $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# A fresh build context: the given files and directories, hard-linked where possible.
context() {
  local dir=$work/context-$1
  shift
  rm -rf "$dir"
  mkdir -p "$dir"
  for f in "$@"; do cp -al "$f" "$dir/" 2>/dev/null || cp -a "$f" "$dir/"; done
  echo "$dir"
}

build_base() {
  local hash tag
  hash=$( (echo "$suite $packages"; cat "$here/base/rootfs.sh") | digest)
  tag=crossover-base:$suite-$hash
  if exists "$tag"; then
    log "crossover-base: found $tag"
  else
    log "crossover-base: debootstrap of Debian $suite with $packages (1-3 min)"
    bash "$here/base/rootfs.sh" "$work/rootfs" "$suite" "$mirror" "$packages"
    tar --numeric-owner --sort=name -C "$work/rootfs" -c . | docker import \
      --change 'ENV LANG=C.UTF-8 JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' \
      --change 'CMD ["bash"]' \
      --change "LABEL crossover.suite=$suite crossover.packages=$packages" \
      - "$tag" >/dev/null
    rm -rf "$work/rootfs"
  fi
  finish crossover-base "$suite" "$tag"
}

spark_jars() {
  local profile=
  case "$kubernetes" in yes | auto) profile=-Pkubernetes ;; esac
  rm -rf "$here/spark/target/jars"
  if mvn -B -q $offline -f "$here/spark/pom.xml" package $profile >"$work/spark-mvn.log" 2>&1; then
    [ -z "$profile" ] || log "crossover-spark: with spark-kubernetes_2.13:$spark_version"
    return
  fi
  if [ "$kubernetes" = auto ]; then
    log "crossover-spark: spark-kubernetes_2.13:$spark_version could not be resolved" \
      "(see $work/spark-mvn.log); this image runs standalone clusters and spark-submit," \
      "not Kubernetes drivers or executors"
    mvn -B -q $offline -f "$here/spark/pom.xml" package >"$work/spark-mvn.log" 2>&1 && return
  fi
  if [ "$kubernetes" = yes ]; then
    echo "build.sh: Maven could not resolve Spark's jars with spark-kubernetes_2.13:$spark_version" \
      "(the Kubernetes backend; --kubernetes auto or no builds without it); its log is" \
      "$work/spark-mvn.log:" >&2
  else
    echo "build.sh: Maven could not resolve Spark's jars; its log is $work/spark-mvn.log:" >&2
  fi
  grep ERROR "$work/spark-mvn.log" | head -5 >&2
  exit 1
}

build_spark() {
  local base=$1 hash tag ctx k8s=no
  spark_jars
  [ ! -e "$here/spark/target/jars/spark-kubernetes_2.13-$spark_version.jar" ] || k8s=yes
  hash=$( (echo "$base $spark_version"; listing "$here/spark/target/jars"
    cat "$here/spark/Dockerfile" "$here/spark/entrypoint.sh" "$here"/spark/bin/* \
      "$here"/spark/scripts/*) | digest)
  tag=crossover-spark:$spark_version-$hash
  if exists "$tag"; then
    log "crossover-spark: found $tag"
  else
    log "crossover-spark: Spark $spark_version, $(ls "$here/spark/target/jars" | wc -l) jars"
    ctx=$(context spark "$here/spark/Dockerfile" "$here/spark/entrypoint.sh" "$here/spark/bin" \
      "$here/spark/scripts" "$here/spark/target/jars")
    docker_build crossover-spark --build-arg "BASE_IMAGE=$base" \
      --build-arg "SPARK_VERSION=$spark_version" --label "crossover.spark-kubernetes=$k8s" \
      -t "$tag" "$ctx"
  fi
  finish crossover-spark "$spark_version" "$tag"
}

build_hdfs() {
  local base=$1 hash tag ctx
  rm -rf "$here/hadoop/target/lib"
  mvn -B -q $offline -f "$here/hadoop/pom.xml" package >"$work/hadoop-mvn.log" 2>&1 || {
    echo "build.sh: Maven could not resolve Hadoop's jars; its log is $work/hadoop-mvn.log" >&2
    exit 1
  }
  hash=$( (echo "$base $hadoop_version"; listing "$here/hadoop/target/lib"
    cat "$here/hadoop/Dockerfile" "$here/hadoop/entrypoint.sh" "$here/hadoop/log4j.properties" \
      "$here"/hadoop/bin/*) | digest)
  tag=crossover-hdfs:$hadoop_version-$hash
  if exists "$tag"; then
    log "crossover-hdfs: found $tag"
  else
    log "crossover-hdfs: Hadoop $hadoop_version NameNode and DataNode"
    ctx=$(context hdfs "$here/hadoop/Dockerfile" "$here/hadoop/entrypoint.sh" \
      "$here/hadoop/log4j.properties" "$here/hadoop/bin" "$here/hadoop/target/lib")
    docker_build crossover-hdfs --build-arg "BASE_IMAGE=$base" \
      --build-arg "HADOOP_VERSION=$hadoop_version" -t "$tag" "$ctx"
  fi
  finish crossover-hdfs "$hadoop_version" "$tag"
}

build_crossover() {
  local spark=$1 jar=$root/driver/target/crossover.jar hash tag ctx
  [ -f "$jar" ] || {
    echo "build.sh: $jar is missing: mvn -B package -DskipTests" >&2; exit 2
  }
  hash=$( (echo "$spark"; sha256sum <"$jar"; cat "$root/k8s/Dockerfile") | digest)
  tag=crossover:$project_version-$hash
  if exists "$tag"; then
    log "crossover: found $tag"
  else
    log "crossover: k8s/Dockerfile on $spark (extracts the PyTorch natives, about 1 min)"
    ctx=$work/context-crossover
    rm -rf "$ctx"
    mkdir -p "$ctx/driver/target" "$ctx/k8s"
    cp -l "$jar" "$ctx/driver/target/" 2>/dev/null || cp "$jar" "$ctx/driver/target/"
    cp "$root/k8s/Dockerfile" "$ctx/k8s/"
    docker_build crossover -f "$ctx/k8s/Dockerfile" --build-arg "SPARK_IMAGE=$spark" \
      -t "$tag" "$ctx"
  fi
  finish crossover "$project_version" "$tag"
}

mkdir -p "$work"
started=$SECONDS
build_base
base=${built[crossover-base]}
if wanted spark || wanted crossover; then build_spark "$base"; fi
if wanted hdfs; then build_hdfs "$base"; fi
if wanted crossover; then build_crossover "${built[crossover-spark]}"; fi
log "done in $((SECONDS - started)) s"

if [ -n "$tags_file" ]; then
  mkdir -p "$(dirname "$tags_file")"
  : >"$tags_file"
  for name in "${!built[@]}"; do echo "$name=${built[$name]}" >>"$tags_file"; done
fi
