#!/usr/bin/env bash
# The container's entry point, with the contract of the official Spark image's: under tini,
#   driver ARGS    Spark on Kubernetes starts its driver pod with this: spark-submit in client mode,
#                  bound to the pod's address
#   executor       ... and its executor pods with this: the executor backend, configured by the
#                  SPARK_* variables Spark sets on the pod (driver URL, id, cores, memory, Java
#                  options SPARK_JAVA_OPT_0, _1, ...)
#   anything else  run as given (a standalone Master or Worker through spark-class, spark-submit,
#                  java, bash)
set -euo pipefail
export SPARK_HOME=${SPARK_HOME:-/opt/spark}
classpath="$SPARK_HOME/conf:$SPARK_HOME/jars/*${SPARK_CLASSPATH:+:$SPARK_CLASSPATH}"

needs_kubernetes() {
  compgen -G "$SPARK_HOME/jars/spark-kubernetes_*.jar" >/dev/null || {
    echo "entrypoint: '$1' is for Spark on Kubernetes, but this image has no spark-kubernetes jar;" \
      "rebuild it with k8s/images/build.sh --kubernetes yes" >&2
    exit 2
  }
}

case "${1:-}" in
  driver)
    shift
    needs_kubernetes driver
    exec /usr/bin/tini -s -- "$SPARK_HOME/bin/spark-submit" \
      --conf "spark.driver.bindAddress=${SPARK_DRIVER_BIND_ADDRESS:?not set by Spark}" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=${SPARK_DRIVER_BIND_ADDRESS}" \
      --deploy-mode client "$@"
    ;;
  executor)
    shift
    needs_kubernetes executor
    options=()
    while IFS= read -r option; do options+=("$option"); done < <(
      env | grep '^SPARK_JAVA_OPT_' | sort -t_ -k4 -n | sed 's/^[^=]*=//')
    exec /usr/bin/tini -s -- "${JAVA_HOME:+$JAVA_HOME/bin/}java" "${options[@]}" \
      -Xms"${SPARK_EXECUTOR_MEMORY:?not set by Spark}" -Xmx"$SPARK_EXECUTOR_MEMORY" \
      -cp "$classpath" org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "${SPARK_DRIVER_URL:?not set by Spark}" \
      --executor-id "${SPARK_EXECUTOR_ID:?not set by Spark}" \
      --cores "${SPARK_EXECUTOR_CORES:?not set by Spark}" \
      --app-id "${SPARK_APPLICATION_ID:?not set by Spark}" \
      --hostname "${SPARK_EXECUTOR_POD_IP:?not set by Spark}" \
      --resourceProfileId "${SPARK_RESOURCE_PROFILE_ID:-0}" \
      --podName "${SPARK_EXECUTOR_POD_NAME:-$HOSTNAME}"
    ;;
  "")
    exec /usr/bin/tini -s -- bash
    ;;
  *)
    exec /usr/bin/tini -s -- "$@"
    ;;
esac
