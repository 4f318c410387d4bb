#!/usr/bin/env bash
# The same job without the Spark Operator. Run it from this directory (it reads the
# pod templates beside it) after creating the ConfigMap:
#   kubectl apply -n crossover -f rbac.yaml -f configmap.yaml
# Gang scheduling needs the scheduler's own settings (see the README).
set -euo pipefail
spark-submit \
  --master "k8s://${K8S_API_SERVER:?set K8S_API_SERVER=https://host:port}" \
  --deploy-mode cluster \
  --name crossover-sweep-toy \
  --class io.crossover.driver.Crossover \
  --driver-memory 4g \
  --conf spark.kubernetes.namespace=crossover \
  --conf spark.kubernetes.container.image=registry.example.com/crossover:0.1.0 \
  --conf spark.kubernetes.authenticate.driver.serviceAccountName=crossover \
  --conf spark.kubernetes.driver.podTemplateFile=driver-pod-template.yaml \
  --conf spark.executor.instances=2 \
  --conf spark.executor.memory=1g \
  --conf spark.executor.extraJavaOptions='-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1' \
  --conf 'spark.dynamicAllocation.enabled=false' \
  --conf 'spark.executor.cores=1' \
  --conf 'spark.task.cpus=1' \
  --conf 'spark.barrier.sync.timeout=600s' \
  --conf 'spark.kubernetes.allocation.batch.size=2' \
  --conf 'spark.executorEnv.DJL_OFFLINE=true' \
  --conf 'spark.executorEnv.MKL_CBWR=AUTO,STRICT' \
  local:///opt/crossover/crossover.jar sweep /etc/crossover/sweep.conf
