#!/usr/bin/env bash
# The same job without the Spark Operator. Run it from this directory (it reads the
# pod templates beside it) after creating the ConfigMap:
#   kubectl apply -n crossover -f rbac.yaml -f configmap.yaml
# Gang scheduling needs the scheduler's own settings (see the README).
set -euo pipefail
spark-submit \
  --master "k8s://${K8S_API_SERVER:?set K8S_API_SERVER=https://host:port}" \
  --deploy-mode cluster \
  --name crossover-mdm-u1b \
  --class io.crossover.driver.Crossover \
  --driver-memory 4g \
  --conf spark.kubernetes.namespace=crossover \
  --conf spark.kubernetes.container.image=registry.example.com/crossover:0.1.0 \
  --conf spark.kubernetes.authenticate.driver.serviceAccountName=crossover \
  --conf spark.kubernetes.driver.podTemplateFile=driver-pod-template.yaml \
  --conf spark.executor.instances=4 \
  --conf spark.executor.memory=32g \
  --conf spark.executor.extraJavaOptions='-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=8' \
  --conf spark.kubernetes.executor.podTemplateFile=gpu-executor-pod-template.yaml \
  --conf 'spark.dynamicAllocation.enabled=false' \
  --conf 'spark.executor.cores=8' \
  --conf 'spark.task.cpus=8' \
  --conf 'spark.barrier.sync.timeout=600s' \
  --conf 'spark.kubernetes.allocation.batch.size=4' \
  --conf 'spark.executorEnv.DJL_OFFLINE=true' \
  --conf 'spark.executorEnv.MKL_CBWR=AUTO,STRICT' \
  --conf 'spark.executor.resource.gpu.amount=1' \
  --conf 'spark.task.resource.gpu.amount=1' \
  --conf 'spark.executor.resource.gpu.vendor=nvidia.com' \
  --conf 'spark.executor.resource.gpu.discoveryScript=/opt/spark/examples/src/main/scripts/getGpusResources.sh' \
  local:///opt/crossover/crossover.jar train -c /etc/crossover/config.json --resume
