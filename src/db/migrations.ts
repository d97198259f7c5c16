/**
 * Versioned schema migrations, applied in order by migrate() (openDb runs it). Never edit an applied
 * migration: add the next version. All pending migrations run in one transaction under an advisory
 * lock, so two processes starting at once apply each exactly once and never see half a schema.
 */
import type { Sql } from 'postgres';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'sweeps, trials, trial_epochs, artifacts',
    sql: /* sql */ `
      create table sweeps (
        id text primary key,
        name text not null,
        spec jsonb not null,
        dataset_fingerprint text not null,
        status text not null default 'running'
          check (status in ('running', 'paused', 'completed', 'cancelled', 'failed')),
        strategy text not null,
        total_trials integer not null check (total_trials >= 0),
        best_trial_id text,
        workflow_id text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        finished_at timestamptz
      );
      create index sweeps_created_at on sweeps (created_at desc);

      create table trials (
        id text primary key,
        sweep_id text not null references sweeps (id) on delete cascade,
        number integer not null check (number >= 0),
        params jsonb not null,
        variant jsonb not null,
        status text not null default 'pending'
          check (status in ('pending', 'running', 'completed', 'early-stopped', 'failed', 'cancelled', 'pruned')),
        backend text,
        worker_identity text,
        failure_reason text,
        epochs_trained integer not null default 0,
        best_epoch integer,
        best_val_auc double precision,
        best_val_pr_auc double precision,
        best_val_loss double precision,
        param_count bigint,
        attempts integer not null default 0,
        started_at timestamptz,
        finished_at timestamptz,
        updated_at timestamptz not null default now(),
        unique (sweep_id, number)
      );
      create index trials_status on trials (sweep_id, status);

      alter table sweeps add constraint sweeps_best_trial_fk
        foreign key (best_trial_id) references trials (id) on delete set null;

      -- Long form, one row per trial and epoch: learning curves and worker activity over time.
      create table trial_epochs (
        trial_id text not null references trials (id) on delete cascade,
        epoch integer not null check (epoch >= 1),
        train_loss double precision not null,
        val_loss double precision not null,
        val_auc double precision not null,
        val_pr_auc double precision not null,
        seconds double precision not null,
        samples_per_sec double precision not null,
        worker_identity text,
        recorded_at timestamptz not null default now(),
        primary key (trial_id, epoch)
      );
      create index trial_epochs_worker on trial_epochs (worker_identity, recorded_at);

      create table artifacts (
        sweep_id text not null references sweeps (id) on delete cascade,
        trial_id text not null references trials (id) on delete cascade,
        kind text not null check (kind in ('best-model', 'checkpoint')),
        uri text not null,
        epoch integer,
        bytes bigint,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        primary key (trial_id, kind)
      );
      create index artifacts_sweep on artifacts (sweep_id);
    `,
  },
  {
    version: 2,
    name: 'sweeps.failure_reason',
    sql: /* sql */ `
      -- Why a sweep failed (an uncaught workflow error, or no trial produced a result).
      alter table sweeps add column failure_reason text;
    `,
  },
  {
    version: 3,
    name: 'read-only role sweep_grafana for Grafana',
    // NOLOGIN and no password here: the operator sets one (README "Dashboards"). Roles are per
    // cluster, so another database may create it at the same moment; a user without CREATEROLE
    // skips it rather than failing the upgrade.
    sql: /* sql */ `
      do $$
      begin
        if not exists (select from pg_roles where rolname = 'sweep_grafana') then
          if exists (select from pg_roles where rolname = current_user and (rolsuper or rolcreaterole)) then
            begin
              create role sweep_grafana nologin;
            exception when duplicate_object or unique_violation then null;
            end;
          else
            raise notice 'danq-sweep: % may not create roles; create sweep_grafana by hand for Grafana', current_user;
          end if;
        end if;
        if exists (select from pg_roles where rolname = 'sweep_grafana') then
          execute format('grant connect on database %I to sweep_grafana', current_database());
          grant usage on schema public to sweep_grafana;
          grant select on sweeps, trials, trial_epochs, artifacts to sweep_grafana;
        end if;
      end
      $$;
    `,
  },
  {
    version: 4,
    name: 'trials.backend_version, trials.backend_device',
    sql: /* sql */ `
      -- Which library's kernels a trial ran: TensorFlow's version for tfjs-node(-gpu), tfjs's for wasm/cpu;
      -- and the device, so a tfjs-node-gpu trial that fell back to CPU does not read as a GPU trial.
      alter table trials add column backend_version text;
      alter table trials add column backend_device text check (backend_device in ('cpu', 'gpu'));
    `,
  },
  {
    version: 5,
    name: "drop trial status 'pruned' and artifact kind 'checkpoint'",
    sql: /* sql */ `
      -- Neither was ever written: ASHA's stopped trials end 'completed' at their rung, and checkpoints
      -- live in the artifact store, found by trial, not in this table.
      alter table trials drop constraint trials_status_check;
      alter table trials add constraint trials_status_check
        check (status in ('pending', 'running', 'completed', 'early-stopped', 'failed', 'cancelled'));
      alter table artifacts drop constraint artifacts_kind_check;
      alter table artifacts add constraint artifacts_kind_check check (kind in ('best-model'));
    `,
  },
  {
    version: 6,
    name: 'trials.inference_ms_per_1k, trials.train_seconds',
    sql: /* sql */ `
      -- A trial's costs, for several objectives and constraints: forward passes per 1,000 validation
      -- sequences with the best epoch's weights on its backend, and the seconds of all its epochs.
      alter table trials add column inference_ms_per_1k double precision;
      alter table trials add column train_seconds double precision;
    `,
  },
  {
    version: 7,
    name: 'trials.step_path',
    sql: /* sql */ `
      -- How a trial's training step ran: one compiled TensorFlow function per batch, or op by op.
      alter table trials add column step_path text check (step_path in ('compiled', 'eager'));
    `,
  },
];

/** Applies every pending migration; returns the versions it applied (none when up to date). */
export async function migrate(sql: Sql): Promise<number[]> {
  return sql.begin(async (tx) => {
    // Transaction-scoped: released at commit or rollback, even if this process dies.
    await tx`select pg_advisory_xact_lock(hashtext('danq-sweep:migrations'))`;
    await tx`
      create table if not exists schema_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`;
    const applied = new Set((await tx<{ version: number }[]>`select version from schema_migrations`).map((row) => row.version));
    const newest = migrations[migrations.length - 1]!.version;
    const unknown = [...applied].filter((version) => version > newest);
    if (unknown.length > 0) {
      throw new Error(`the database schema is at version ${Math.max(...unknown)}, newer than this danq-sweep knows (${newest}); upgrade danq-sweep`);
    }
    const pending = migrations.filter((m) => !applied.has(m.version));
    for (const migration of pending) {
      await tx.unsafe(migration.sql);
      await tx`insert into schema_migrations (version, name) values (${migration.version}, ${migration.name})`;
    }
    return pending.map((m) => m.version);
  });
}
