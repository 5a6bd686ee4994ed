//! The state schema's versioned migrations: each runs once, in its own transaction, under a
//! transaction-scoped advisory lock (two runners starting at once do not race), and its version
//! is recorded in `schema_migrations`. A schema newer than this reckon knows is refused: an old
//! binary must not write records a newer one would misread.
//!
//! Owns the table definitions; append migrations, never edit one that has shipped.

use tokio_postgres::Client;

use super::connect::{DbError, Target};

/// Every migration, in order: `(version, SQL)`; `{schema}` is the (validated) schema name.
const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    r#"
    CREATE TABLE {schema}.journal (
        id         bigserial PRIMARY KEY,
        tenant     text        NOT NULL,
        apply      text        NOT NULL,
        seq        integer     NOT NULL,
        kind       text        NOT NULL,
        record     jsonb       NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX journal_tenant ON {schema}.journal (tenant, id);
    CREATE TABLE {schema}.lock_holders (
        tenant      text    PRIMARY KEY,
        id          text    NOT NULL,
        os_user     text    NOT NULL,
        host        text    NOT NULL,
        pid         integer NOT NULL,
        taken_at    text    NOT NULL,
        command     text    NOT NULL,
        ci_system   text,
        ci_actor    text,
        ci_url      text,
        backend_pid integer NOT NULL
    );
    "#,
)];

/// The newest schema version this reckon knows.
pub const LATEST: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// A fixed advisory-lock key serialising migrations (and schema creation) across runners.
const MIGRATION_LOCK: i64 = 0x7265_636b_6f6e_0001;

/// Brings `schema` to [`LATEST`], creating it when missing; returns the migrations applied.
///
/// A schema already at [`LATEST`] is only read (no DDL, no lock), so a role that may only
/// `SELECT` (a pull request's plan) can use it.
pub async fn migrate(
    client: &mut Client,
    target: &Target,
    schema: &str,
) -> Result<Vec<i32>, DbError> {
    let version = read_version(client, schema)
        .await
        .map_err(|e| target.error("cannot read the state schema version", &e))?;
    refuse_newer(version, schema)?;
    if version == LATEST {
        return Ok(Vec::new());
    }
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS {
        let error = |e: tokio_postgres::Error| target.error("cannot migrate the state schema", &e);
        let tx = client.transaction().await.map_err(error)?;
        let current = current_version(&tx, schema).await.map_err(error)?;
        refuse_newer(current, schema)?;
        if current >= *version {
            continue; // dropping `tx` rolls back (nothing was changed)
        }
        tx.batch_execute(&sql.replace("{schema}", schema))
            .await
            .map_err(error)?;
        tx.execute(
            &format!("INSERT INTO {schema}.schema_migrations (version) VALUES ($1)"),
            &[version],
        )
        .await
        .map_err(error)?;
        tx.commit().await.map_err(error)?;
        applied.push(*version);
    }
    // Checked again when nothing was left to apply: another reckon may have gone further.
    let tx = client
        .transaction()
        .await
        .map_err(|e| target.error("cannot read the state schema version", &e))?;
    let current = current_version(&tx, schema)
        .await
        .map_err(|e| target.error("cannot read the state schema version", &e))?;
    refuse_newer(current, schema)?;
    Ok(applied)
}

/// The schema's version without changing anything: 0 when it or its version table is missing.
async fn read_version(client: &Client, schema: &str) -> Result<i32, tokio_postgres::Error> {
    let table = format!("{schema}.schema_migrations");
    let exists = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .await?
        .try_get::<_, bool>(0)?;
    if !exists {
        return Ok(0);
    }
    client
        .query_one(
            &format!("SELECT coalesce(max(version), 0) FROM {table}"),
            &[],
        )
        .await?
        .try_get(0)
}

/// Within `tx`: takes the migration lock, makes sure the schema and its version table exist,
/// and reads the version.
async fn current_version(
    tx: &tokio_postgres::Transaction<'_>,
    schema: &str,
) -> Result<i32, tokio_postgres::Error> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
             version    integer     PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         );"
    ))
    .await?;
    let row = tx
        .query_one(
            &format!("SELECT coalesce(max(version), 0) FROM {schema}.schema_migrations"),
            &[],
        )
        .await?;
    row.try_get(0)
}

fn refuse_newer(current: i32, schema: &str) -> Result<(), DbError> {
    if current > LATEST {
        return Err(DbError(format!(
            "the state schema `{schema}` is at version {current}, newer than this reckon knows \
             (version {LATEST}); a newer reckon has used this database: upgrade reckon \
             (nothing was changed)"
        )));
    }
    Ok(())
}
