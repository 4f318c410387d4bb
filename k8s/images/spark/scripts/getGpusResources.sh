#!/usr/bin/env bash
# GPU discovery for spark.{driver,executor}.resource.gpu.discoveryScript, at the path the official
# image has it: prints the resource's name and the indices of the GPUs this container sees, as JSON.
set -euo pipefail
indices=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed 's/^ *//; s/ *$//' |
  awk 'NF { printf "%s\"%s\"", (n++ ? "," : ""), $1 }')
echo "{\"name\": \"gpu\", \"addresses\": [$indices]}"
