#!/bin/sh
# Waits for the Temporal server, creates the namespace and registers danq-sweep's custom search
# attributes, idempotently. Runs in temporalio/admin-tools.
set -eu
NS=${TEMPORAL_NAMESPACE:-default}
ADDR=${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS=host:port}
attempt=0
until temporal operator cluster health --address "$ADDR" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  [ "$attempt" -lt 60 ] || { echo "Temporal at $ADDR is not healthy after 60 tries" >&2; exit 1; }
  sleep 5
done
temporal operator namespace describe --address "$ADDR" -n "$NS" >/dev/null 2>&1 ||
  temporal operator namespace create --address "$ADDR" -n "$NS"
# The attribute list lives in infra/temporal/search-attributes.sh (checked against the workflows),
# mounted at /infra-temporal; it is skipped once the attributes exist.
if ! temporal operator search-attribute list --address "$ADDR" --namespace "$NS" | grep -qw SweepId; then
  "$(command -v bash || echo sh)" /infra-temporal/search-attributes.sh
fi
echo "namespace $NS ready with danq-sweep's search attributes"
