#!/usr/bin/env bash
# Registers danq-sweep's custom search attributes on an existing (production) Temporal cluster.
# The embedded dev server does this itself. The list must match workflows/search-attributes.ts (a test checks it). Usage: TEMPORAL_ADDRESS=host:7233 [TEMPORAL_NAMESPACE=ns] ./search-attributes.sh
set -euo pipefail
ADDR=${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS=host:port}
NS=${TEMPORAL_NAMESPACE:-default}
for attr in SweepId:Keyword SweepName:Keyword TrialNumber:Int; do
  temporal operator search-attribute create --address "$ADDR" --namespace "$NS" --name "${attr%%:*}" --type "${attr##*:}"
done
