// Every workflow the orchestration workers run. Workflow code is bundled and sandboxed by Temporal:
// import only @temporalio/workflow and pure modules (types, spec math, strategies) from here.
export { sweepWorkflow } from './sweep.js';
export { trialWorkflow } from './trial.js';
