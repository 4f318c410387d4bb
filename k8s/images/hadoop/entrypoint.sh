#!/usr/bin/env bash
# Writes core-site.xml and hdfs-site.xml, formats the NameNode's directory on its first start,
# then runs the command (default: hdfs namenode).
#   HDFS_NAMENODE_HOST   the NameNode's host name as the others reach it (default: localhost)
#   CORE_SITE_<key>, HDFS_SITE_<key>   any other property, e.g. HDFS_SITE_dfs.replication=2
set -euo pipefail
conf=${HADOOP_CONF_DIR:-/opt/hadoop/etc/hadoop}
namenode=${HDFS_NAMENODE_HOST:-localhost}

# site FILE PREFIX DEFAULTS...: DEFAULTS are key=value; PREFIX<key>=value variables override them.
site() {
  local file=$1 prefix=$2
  shift 2
  declare -A props=()
  local kv
  for kv in "$@"; do props[${kv%%=*}]=${kv#*=}; done
  while IFS= read -r kv; do
    kv=${kv#"$prefix"}
    props[${kv%%=*}]=${kv#*=}
  done < <(env | grep "^$prefix" || true)
  {
    echo '<?xml version="1.0"?>'
    echo '<configuration>'
    for key in "${!props[@]}"; do
      printf '  <property><name>%s</name><value>%s</value></property>\n' "$key" "${props[$key]}"
    done
    echo '</configuration>'
  } >"$conf/$file"
}

site core-site.xml CORE_SITE_ "fs.defaultFS=hdfs://$namenode:8020"
# Containers reach each other by address, and their reverse names are not registered anywhere:
# the NameNode must accept DataNodes it cannot resolve.
site hdfs-site.xml HDFS_SITE_ \
  dfs.namenode.name.dir=/data/name \
  dfs.datanode.data.dir=/data/data \
  dfs.namenode.rpc-bind-host=0.0.0.0 \
  dfs.namenode.http-bind-host=0.0.0.0 \
  dfs.namenode.datanode.registration.ip-hostname-check=false \
  dfs.replication=1 \
  dfs.permissions.enabled=false

if [ "${1:-}" = hdfs ] && [ "${2:-}" = namenode ] && [ ! -d /data/name/current ]; then
  echo "entrypoint: formatting the NameNode's directory /data/name" >&2
  hdfs namenode -format -nonInteractive -force >/tmp/format.log 2>&1 || {
    cat /tmp/format.log >&2
    exit 1
  }
fi
exec "$@"
