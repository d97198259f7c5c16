// The deployment files, checked offline with real tools: infra/compose with a Compose
// implementation (`docker-compose config`), infra/k8s with kubernetes-validate (the Kubernetes JSON
// schemas, strict). Both read the resolved files back and check what the worker needs: the same
// variables as the CLI (loadConfig accepts them), one GPU per GPU worker, grace periods that cover
// the worker's SIGTERM behaviour, pinned images. Without the tools (and not in CI) they skip, saying why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const composeFile = path.join(root, 'infra/compose/compose.yaml');
const envExample = path.join(root, 'infra/compose/.env.example');
const k8sDir = path.join(root, 'infra/k8s');
const manifests = readdirSync(k8sDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => path.join(k8sDir, f));

/** Runs an install script: its stdout (the tool), or the reason it cannot provide it. */
function provision(script: string): { tool?: string; skip?: string } {
  const run = spawnSync('bash', [path.join(root, script)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (run.status === 0) return { tool: run.stdout.trim() };
  if (run.status === 2 && process.env.CI !== 'true') return { skip: `${script}: ${run.stderr.trim()}` };
  throw new Error(`${script} failed (${run.status}):\n${run.stderr}`);
}

const validator = provision('infra/k8s/install-validator.sh');
const compose = provision('infra/compose/install-validator.sh');
// The validator's venv has PyYAML: it turns the YAML both tools print into JSON for the checks below.
const yamlToJson = (yaml: string): unknown[] =>
  JSON.parse(
    execFileSync(path.join(path.dirname(validator.tool ?? ''), 'python'), ['-c', 'import json,sys,yaml; print(json.dumps(list(yaml.safe_load_all(sys.stdin))))'], { input: yaml, encoding: 'utf8' }),
  ) as unknown[];

function composeConfig(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const [command, ...prefix] = compose.tool!.split(' ');
  // The variables come only from the file given, never from this process's environment.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/PASSWORD|SECRET|TOKEN|S3_|SWEEP_|TEMPORAL_/.test(k)));
  return spawnSync(command!, [...prefix, ...args, '-f', composeFile, 'config'], { encoding: 'utf8', env, cwd: root });
}

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  stop_grace_period?: string;
  ports?: (ComposePort | string)[];
  volumes?: ({ source?: string; target: string } | string)[];
  deploy?: { resources?: { reservations?: { devices?: { device_ids?: string[]; capabilities?: string[] }[] } } };
}

/** .env.example with every empty password set, as its first comment asks. */
function filledEnv(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'compose-env-')), '.env');
  writeFileSync(
    file,
    readFileSync(envExample, 'utf8').replace(/^(\w*(?:PASSWORD|SECRET_KEY|TOKEN))=$/gm, (_, name: string) => `${name}=${name.toLowerCase()}-x9`),
  );
  return file;
}

interface ComposePort {
  host_ip?: string;
  published?: string | number;
}

test('compose: docker-compose config resolves the stack with .env.example, and the workers get valid CLI settings', { skip: validator.skip ?? compose.skip }, () => {
  const run = composeConfig(['--env-file', filledEnv(), '--profile', 'gpu']);
  assert.equal(run.status, 0, run.stderr);
  const { services } = yamlToJson(run.stdout)[0] as { services: Record<string, ComposeService> };
  assert.deepEqual(Object.keys(services).sort(), [
    'api',
    'grafana',
    'orchestration',
    's3',
    's3-setup',
    'sweep-db',
    'temporal',
    'temporal-admin-tools',
    'temporal-db',
    'temporal-setup',
    'temporal-ui',
    'train-cpu',
    'train-gpu-0',
    'train-gpu-1',
  ]);
  for (const [name, service] of Object.entries(services)) {
    assert.match(service.image ?? '', /^[\w./-]+:[\w.-]+$/, `${name}: image with a pinned tag`);
    assert.doesNotMatch(service.image!, /:latest$/, `${name}: not :latest`);
  }
  for (const name of ['orchestration', 'train-cpu', 'train-gpu-0', 'train-gpu-1']) {
    const config = loadConfig(services[name]!.environment, '/');
    assert.match(config.artifactsDir, /^s3:\/\/sweep-artifacts\//, `${name}: artifacts in S3`);
    assert.equal(config.s3.endpoint, 'http://s3:7070');
    assert.equal(config.temporalAddress, 'temporal:7233');
  }
  const gpuDevices = ['train-gpu-0', 'train-gpu-1'].map((name) => {
    const s = services[name]!;
    assert.deepEqual(s.command!.slice(0, 7), ['worker', '--queue', 'train', '--backend', 'tfjs-node-gpu', '--concurrency', '1'], `${name}: one slot per GPU`);
    const devices = s.deploy?.resources?.reservations?.devices ?? [];
    assert.equal(devices.length, 1);
    assert.deepEqual(devices[0]!.capabilities, ['gpu']);
    return devices[0]!.device_ids!;
  });
  assert.deepEqual(gpuDevices, [['0'], ['1']], 'each GPU worker reserves its own GPU');
  for (const name of ['train-cpu', 'train-gpu-0']) assert.ok(Number.parseInt(services[name]!.stop_grace_period!, 10) >= 40, `${name}: grace covers 10 s shutdown + 30 s trial stop`);
  const mounts = services.grafana!.volumes!.map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
  assert.ok(
    mounts.some((m) => m.startsWith(`${path.join(root, 'infra/grafana/provisioning')}:/etc/grafana/provisioning`)),
    mounts.join(', '),
  );
  assert.ok(
    mounts.some((m) => m.startsWith(`${path.join(root, 'infra/grafana/dashboards')}:/var/lib/grafana/dashboards/danq-sweep`)),
    mounts.join(', '),
  );
  assert.match(services.grafana!.image!, /^grafana\/grafana:12\./);
  // Every ${VAR} the provisioned data sources expand is set.
  const provisioning = readFileSync(path.join(root, 'infra/grafana/provisioning/datasources/danq-sweep.yaml'), 'utf8').replace(/^\s*#.*$/gm, '');
  for (const [, name] of provisioning.matchAll(/\$\{(\w+)\}/g)) assert.ok(name! in services.grafana!.environment!, `grafana: ${name} is set`);
  assert.match(services.grafana!.environment!.GF_PLUGINS_PREINSTALL!, /yesoreyeram-infinity-datasource/);
  const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => [name, p] as const));
  assert.deepEqual(published.map(([name]) => name).sort(), ['api', 'grafana', 's3', 'sweep-db', 'temporal', 'temporal-ui']);
  // docker-compose v1 prints a port as "host_ip:published:target", v2 as an object.
  const hostIp = (port: ComposePort | string) => (typeof port === 'string' ? port.split(':').slice(0, -2).join(':') : port.host_ip);
  for (const [name, port] of published) assert.equal(hostIp(port), '127.0.0.1', `${name}: published on 127.0.0.1 only by default (${JSON.stringify(port)})`);
});

test('compose: .env.example as shipped is refused until its passwords are set (no placeholder starts the stack)', { skip: validator.skip ?? compose.skip }, () => {
  const run = composeConfig(['--env-file', envExample]);
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /set \w+ in infra\/compose\/\.env/);
});

test('compose: a missing password is refused, naming the variable', { skip: validator.skip ?? compose.skip }, () => {
  const partial = path.join(mkdtempSync(path.join(tmpdir(), 'compose-env-')), '.env');
  writeFileSync(partial, readFileSync(filledEnv(), 'utf8').replace(/^SWEEP_DB_PASSWORD=.*$/m, ''));
  const run = composeConfig(['--env-file', partial]);
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /set SWEEP_DB_PASSWORD in infra\/compose\/\.env/);
});

interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    template: {
      spec: {
        terminationGracePeriodSeconds?: number;
        containers: { args: string[]; envFrom: { configMapRef?: { name: string }; secretRef?: { name: string } }[]; resources: { limits?: Record<string, string | number> } }[];
      };
    };
  };
}

test('kubernetes: every manifest passes strict schema validation, and the workers are set up as the CLI expects', { skip: validator.skip }, () => {
  const run = spawnSync(validator.tool!, ['--strict', '--kubernetes-version', '1.33.0', ...manifests], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const docs = manifests.flatMap((file) => yamlToJson(readFileSync(file, 'utf8')) as Manifest[]);
  const deployments = Object.fromEntries(docs.filter((d) => d.kind === 'Deployment').map((d) => [d.metadata.name, d.spec!.template.spec]));
  assert.deepEqual(Object.keys(deployments).sort(), ['sweep-api', 'sweep-orchestration', 'sweep-train-cpu', 'sweep-train-gpu']);
  const configMap = docs.find((d) => d.kind === 'ConfigMap')!;
  const secret = docs.find((d) => d.kind === 'Secret')!;
  for (const pod of Object.values(deployments)) {
    assert.deepEqual(pod.containers[0]!.envFrom, [{ configMapRef: { name: configMap.metadata.name } }, { secretRef: { name: secret.metadata.name } }]);
  }
  const config = loadConfig({ ...configMap.data, ...secret.stringData }, '/');
  assert.match(config.artifactsDir, /^s3:\/\//);
  assert.ok(config.temporalAddress);
  const gpu = deployments['sweep-train-gpu']!;
  assert.equal(gpu.containers[0]!.resources.limits!['nvidia.com/gpu'], 1);
  assert.deepEqual(gpu.containers[0]!.args.slice(0, 5), ['worker', '--queue', 'train', '--backend', 'tfjs-node-gpu']);
  for (const name of ['sweep-train-gpu', 'sweep-train-cpu']) assert.ok(deployments[name]!.terminationGracePeriodSeconds! >= 40, `${name}: grace covers 10 s shutdown + 30 s trial stop`);
});

test('kubernetes: the validator rejects a field the schema does not have', { skip: validator.skip }, () => {
  const bad = path.join(mkdtempSync(path.join(tmpdir(), 'k8s-bad-')), 'bad.yaml');
  writeFileSync(bad, readFileSync(path.join(k8sDir, 'train-gpu.yaml'), 'utf8').replace('terminationGracePeriodSeconds:', 'terminationGracePeriod:'));
  const run = spawnSync(validator.tool!, ['--strict', '--kubernetes-version', '1.33.0', bad], { encoding: 'utf8' });
  assert.notEqual(run.status, 0);
  assert.match(run.stdout + run.stderr, /terminationGracePeriod/);
});
