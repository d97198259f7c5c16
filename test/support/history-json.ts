/**
 * Workflow histories in the Temporal CLI's JSON, as `temporal workflow show --output json` prints it
 * (protobuf's canonical JSON): the form test/fixtures/histories keeps them in, for readable diffs.
 */
import { createRequire } from 'node:module';
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root.js';

type History = proto.temporal.api.history.v1.IHistory;

// @temporalio/common's historyFromJSON throws 'type must be a Type' with this lockfile: @temporalio/common
// and @temporalio/proto each nest their own protobufjs, and protojson accepts only types of its own copy.
// So this parses with the copy that built the History type.
const protoRequire = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
const protojson = protoRequire('protobufjs/ext/protojson') as { fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): History | null };
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

/** Parses one run's history; fields a newer server added are ignored, as the SDK's replayer does. */
export function historyFromCliJson(json: unknown, source: string): History {
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!history?.events?.length) throw new Error(`${source}: not a workflow history (expected {"events": [...]}, as temporal workflow show --output json prints)`);
  return history;
}
