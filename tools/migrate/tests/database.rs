//! The runner against a real PostgreSQL: each test gets a fresh database and its own
//! migrations folder.

use std::path::{Path, PathBuf};

use souk_migrate::{Features, State, TemplateFile};

struct Scratch {
    admin_url: String,
    name: String,
    client: tokio_postgres::Client,
    dir: PathBuf,
}

fn admin_url() -> String {
    std::env::var("SOUK_TEST_DATABASE_URL")
        .expect("SOUK_TEST_DATABASE_URL is not set: run the tests with `scripts/test`")
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    tokio::spawn(conn);
    client
}

fn write(dir: &Path, module: &str, file: &str, text: &str) {
    let folder = dir.join(module);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(file), text).unwrap();
}

impl Scratch {
    async fn new() -> Scratch {
        let admin_url = admin_url();
        let name = format!("migrate_test_{}", uuid::Uuid::new_v4().simple());
        connect(&admin_url)
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let client = connect(&format!("{base}/{name}")).await;
        let dir = std::env::temp_dir().join(&name);
        write(
            &dir,
            "shop",
            "0001_init.up.sql",
            "CREATE SCHEMA shop; CREATE TABLE shop.item (id int PRIMARY KEY);",
        );
        write(
            &dir,
            "shop",
            "0001_init.down.sql",
            "DROP SCHEMA shop CASCADE;",
        );
        write(
            &dir,
            "shop",
            "0002_price.up.sql",
            "ALTER TABLE shop.item ADD COLUMN price bigint NOT NULL DEFAULT 0;",
        );
        write(
            &dir,
            "shop",
            "0002_price.down.sql",
            "ALTER TABLE shop.item DROP COLUMN price;",
        );
        write(&dir, "mail", "0001_init.up.sql", "CREATE SCHEMA mail;");
        write(
            &dir,
            "mail",
            "0001_init.down.sql",
            "DROP SCHEMA mail CASCADE;",
        );
        Scratch {
            admin_url,
            name,
            client,
            dir,
        }
    }

    async fn exists(&self, sql: &str) -> bool {
        self.client
            .query_one(sql, &[])
            .await
            .unwrap()
            .get::<_, bool>(0)
    }

    async fn strings(&self, sql: &str) -> Vec<String> {
        self.client
            .query(sql, &[])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// The tables of `schema`, by name.
    async fn tables(&self, schema: &str) -> Vec<String> {
        self.strings(&format!(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = '{schema}' ORDER BY 1"
        ))
        .await
    }

    /// Everything about `schema`'s tables that a migration decides: columns with their types,
    /// defaults and nullability, constraints with their names, indexes with their names.
    async fn shape(&self, schema: &str) -> Vec<String> {
        let mut shape = self
            .strings(&format!(
                "SELECT concat_ws(' ', table_name, column_name, data_type, is_nullable, \
                                  column_default) \
                 FROM information_schema.columns WHERE table_schema = '{schema}' \
                 ORDER BY table_name, ordinal_position"
            ))
            .await;
        shape.extend(
            self.strings(&format!(
                "SELECT concat_ws(' ', conrelid::regclass::text, conname, \
                                  pg_get_constraintdef(oid)) \
                 FROM pg_constraint WHERE connamespace = '\"{schema}\"'::regnamespace ORDER BY 1"
            ))
            .await,
        );
        shape.extend(
            self.strings(&format!(
                "SELECT indexname || ' ' || indexdef FROM pg_indexes \
                 WHERE schemaname = '{schema}' ORDER BY 1"
            ))
            .await,
        );
        shape
    }

    /// The checksum recorded for `module`'s `version`.
    async fn recorded_checksum(&self, module: &str, version: i32) -> String {
        self.client
            .query_one(
                "SELECT checksum FROM public.souk_migrations WHERE module = $1 AND version = $2",
                &[&module, &version],
            )
            .await
            .unwrap()
            .get(0)
    }

    /// What the health endpoint reports as `module`'s schema version.
    async fn schema_version(&self, module: &str) -> i32 {
        self.client
            .query_one(
                "SELECT coalesce(max(version), 0)::int4 FROM public.souk_migrations \
                 WHERE module = $1",
                &[&module],
            )
            .await
            .unwrap()
            .get(0)
    }

    async fn drop(self) {
        drop(self.client);
        let _ = std::fs::remove_dir_all(&self.dir);
        connect(&self.admin_url)
            .await
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn up_applies_every_module_in_order_and_a_second_run_does_nothing() {
    let mut s = Scratch::new().await;
    let report = souk_migrate::up(&mut s.client, &s.dir).await.unwrap();
    let names: Vec<String> = report
        .applied
        .iter()
        .map(|m| format!("{}/{}", m.module, m.version))
        .collect();
    assert_eq!(names, ["mail/1", "shop/1", "shop/2"]);
    assert!(
        s.exists(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns \
             WHERE table_schema = 'shop' AND column_name = 'price')"
        )
        .await
    );
    assert_eq!(
        souk_migrate::up(&mut s.client, &s.dir).await.unwrap(),
        souk_migrate::Report::default()
    );
    s.drop().await;
}

#[tokio::test]
async fn an_applied_file_that_was_edited_is_refused() {
    let mut s = Scratch::new().await;
    souk_migrate::up(&mut s.client, &s.dir).await.unwrap();
    write(
        &s.dir,
        "shop",
        "0001_init.up.sql",
        "CREATE SCHEMA shop; -- edited",
    );
    let err = souk_migrate::up(&mut s.client, &s.dir)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("shop/0001_init.up.sql was edited"), "{err}");
    s.drop().await;
}

#[tokio::test]
async fn down_rolls_back_exactly_the_last_step() {
    let mut s = Scratch::new().await;
    souk_migrate::up(&mut s.client, &s.dir).await.unwrap();
    let rolled = souk_migrate::down(&mut s.client, &s.dir, Some("shop"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((rolled.module.as_str(), rolled.version), ("shop", 2));
    assert!(
        !s.exists(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns \
             WHERE table_schema = 'shop' AND column_name = 'price')"
        )
        .await
    );
    assert!(
        s.exists(
            "SELECT EXISTS (SELECT 1 FROM information_schema.tables \
             WHERE table_schema = 'shop' AND table_name = 'item')"
        )
        .await
    );
    let status = souk_migrate::status(&mut s.client, &s.dir).await.unwrap();
    let pending: Vec<String> = status
        .iter()
        .filter(|(_, state)| *state == State::Pending)
        .map(|(m, _)| format!("{}/{}", m.module, m.version))
        .collect();
    assert_eq!(pending, ["shop/2"]);
    s.drop().await;
}

#[tokio::test]
async fn a_failing_migration_leaves_nothing_half_applied() {
    let mut s = Scratch::new().await;
    write(
        &s.dir,
        "shop",
        "0003_broken.up.sql",
        "CREATE TABLE shop.extra (id int); SELECT no_such_function();",
    );
    write(
        &s.dir,
        "shop",
        "0003_broken.down.sql",
        "DROP TABLE shop.extra;",
    );
    let err = souk_migrate::up(&mut s.client, &s.dir).await.unwrap_err();
    assert!(
        format!("{err:#}").contains("shop/0003_broken failed"),
        "{err:#}"
    );
    assert!(
        !s.exists(
            "SELECT EXISTS (SELECT 1 FROM information_schema.tables \
             WHERE table_schema = 'shop' AND table_name = 'extra')"
        )
        .await
    );
    assert!(
        !s.exists(
            "SELECT EXISTS (SELECT 1 FROM public.souk_migrations \
             WHERE module = 'shop' AND version = 3)"
        )
        .await
    );
    assert!(
        s.exists(
            "SELECT EXISTS (SELECT 1 FROM public.souk_migrations \
             WHERE module = 'shop' AND version = 2)"
        )
        .await
    );
    s.drop().await;
}

#[tokio::test]
async fn a_missing_down_file_is_reported_by_name() {
    let s = Scratch::new().await;
    write(&s.dir, "shop", "0004_lonely.up.sql", "SELECT 1;");
    let err = souk_migrate::discover(&s.dir).unwrap_err();
    assert!(
        format!("{err:#}").contains("0004_lonely.down.sql"),
        "{err:#}"
    );
    s.drop().await;
}

/// The kit's features as their first versions: what the modules' copies of these tables were,
/// and a fixed point for these tests however the kit's features grow.
fn first_versions() -> Vec<TemplateFile> {
    souk_migrate::features::KIT_TEMPLATES
        .iter()
        .filter(|t| t.stem.starts_with("0001_"))
        .copied()
        .collect()
}

fn kit_v1() -> Features {
    Features::from_templates(&first_versions()).unwrap()
}

/// The kit's template of `feature`'s first version.
fn kit_template(feature: &str) -> TemplateFile {
    first_versions()
        .into_iter()
        .find(|t| t.feature == feature)
        .unwrap()
}

fn names(migrations: &[souk_migrate::Migration]) -> Vec<String> {
    migrations.iter().map(|m| m.to_string()).collect()
}

/// Adds module `order` (a reserved word, so every statement must quote the schema).
fn write_order_module(dir: &Path, features: &str) {
    write(dir, "order", "0001_init.up.sql", "CREATE SCHEMA \"order\";");
    write(
        dir,
        "order",
        "0001_init.down.sql",
        "DROP SCHEMA \"order\" CASCADE;",
    );
    write(dir, "order", "kit.features", features);
}

#[tokio::test]
async fn a_fresh_database_gets_each_declared_feature_in_its_own_schema() {
    let mut s = Scratch::new().await;
    write(
        &s.dir,
        "shop",
        "kit.features",
        "# the kit features the shop uses\nidempotency\noutbox   # messages\nworkflow\n",
    );
    write_order_module(&s.dir, "idempotency\n");
    let report = souk_migrate::up_with(&mut s.client, &s.dir, &kit_v1())
        .await
        .unwrap();
    assert_eq!(
        names(&report.applied),
        [
            "mail/0001_init",
            "order/0001_init",
            "order.idempotency/0001_idempotency_key",
            "shop/0001_init",
            "shop/0002_price",
            "shop.idempotency/0001_idempotency_key",
            "shop.outbox/0001_outbox",
            "shop.workflow/0001_journal",
        ]
    );
    assert_eq!(
        s.tables("shop").await,
        [
            "idempotency_key",
            "invocation",
            "invocation_step",
            "item",
            "outbox",
            "workflow_signal"
        ]
    );
    assert_eq!(s.tables("order").await, ["idempotency_key"]);
    assert!(s.tables("mail").await.is_empty());
    assert!(
        s.shape("shop")
            .await
            .iter()
            .any(|line| line
                .starts_with("outbox_due_idx CREATE INDEX outbox_due_idx ON shop.outbox"))
    );
    // Feature rows never count as the module's schema version.
    assert_eq!(s.schema_version("shop").await, 2);
    assert_eq!(s.schema_version("order").await, 1);
    let rendered = souk_migrate::features::render(kit_template("outbox").up, "shop");
    assert_eq!(
        s.recorded_checksum("shop.outbox", 1).await,
        souk_migrate::checksum(&rendered)
    );
    let status = souk_migrate::status_with(&mut s.client, &s.dir, &kit_v1())
        .await
        .unwrap();
    assert!(status.iter().all(|(_, state)| *state == State::Applied));
    assert_eq!(status.len(), 8);
    assert_eq!(
        souk_migrate::up_with(&mut s.client, &s.dir, &kit_v1())
            .await
            .unwrap(),
        souk_migrate::Report::default()
    );
    s.drop().await;
}

/// The files of module `stock` before kit features: its migrations created their own copies
/// of the idempotency and outbox tables (generated here from the kit's templates).
fn write_old_stock_module(dir: &Path) -> (String, String) {
    write(dir, "stock", "0001_init.up.sql", "CREATE SCHEMA stock;");
    write(
        dir,
        "stock",
        "0001_init.down.sql",
        "DROP SCHEMA stock CASCADE;",
    );
    let old_levels = format!(
        "{STOCK_LEVELS}\n{}",
        souk_migrate::features::render(kit_template("idempotency").up, "stock")
    );
    write(dir, "stock", "0002_levels.up.sql", &old_levels);
    write(
        dir,
        "stock",
        "0002_levels.down.sql",
        "DROP TABLE stock.idempotency_key; DROP TABLE stock.level;",
    );
    let old_outbox = souk_migrate::features::render(kit_template("outbox").up, "stock");
    write(dir, "stock", "0003_outbox.up.sql", &old_outbox);
    write(
        dir,
        "stock",
        "0003_outbox.down.sql",
        "DROP TABLE stock.outbox;",
    );
    (old_levels, old_outbox)
}

const STOCK_LEVELS: &str =
    "CREATE TABLE stock.level (sku int PRIMARY KEY, available int8 NOT NULL);\n";

/// The same module rewritten: its copies removed, the features declared, and each rewritten
/// file superseding the text it replaces.
fn write_new_stock_module(dir: &Path, old_levels: &str, old_outbox: &str) {
    write(dir, "stock", "0001_init.up.sql", "CREATE SCHEMA stock;");
    write(
        dir,
        "stock",
        "0001_init.down.sql",
        "DROP SCHEMA stock CASCADE;",
    );
    let levels = format!(
        "-- supersedes sha256:{}\n{STOCK_LEVELS}",
        souk_migrate::checksum(old_levels)
    );
    write(dir, "stock", "0002_levels.up.sql", &levels);
    write(
        dir,
        "stock",
        "0002_levels.down.sql",
        "DROP TABLE stock.level;",
    );
    let outbox = format!(
        "-- supersedes sha256:{}\n-- The outbox is kit's `outbox` feature now.\n",
        souk_migrate::checksum(old_outbox)
    );
    write(dir, "stock", "0003_outbox.up.sql", &outbox);
    write(
        dir,
        "stock",
        "0003_outbox.down.sql",
        "-- The outbox feature drops it.\n",
    );
    write(dir, "stock", "kit.features", "idempotency\noutbox\n");
}

#[tokio::test]
async fn an_existing_database_adopts_its_copied_tables_and_keeps_their_rows() {
    let mut s = Scratch::new().await;
    let (old_levels, old_outbox) = write_old_stock_module(&s.dir);
    souk_migrate::up_with(&mut s.client, &s.dir, &kit_v1())
        .await
        .unwrap();
    s.client
        .batch_execute(
            "INSERT INTO stock.level VALUES (1, 5);
             INSERT INTO stock.idempotency_key (caller, key, request_hash, expires_at)
                 VALUES ('internal', 'k1', 'h', now() + interval '1 hour');
             INSERT INTO stock.outbox (id, target, path, body, idempotency_key)
                 VALUES (gen_random_uuid(), 'catalog', '/internal/stock-levels', '{}', 'm1');",
        )
        .await
        .unwrap();

    write_new_stock_module(&s.dir, &old_levels, &old_outbox);
    let report = souk_migrate::up_with(&mut s.client, &s.dir, &kit_v1())
        .await
        .unwrap();
    assert_eq!(
        names(&report.superseded),
        ["stock/0002_levels", "stock/0003_outbox"]
    );
    assert_eq!(
        names(&report.applied),
        [
            "stock.idempotency/0001_idempotency_key",
            "stock.outbox/0001_outbox"
        ]
    );
    for table in ["level", "idempotency_key", "outbox"] {
        let count: i64 = s
            .client
            .query_one(&format!("SELECT count(*) FROM stock.{table}"), &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(count, 1, "stock.{table}");
    }
    let levels = std::fs::read_to_string(s.dir.join("stock/0002_levels.up.sql")).unwrap();
    assert_eq!(
        s.recorded_checksum("stock", 2).await,
        souk_migrate::checksum(&levels)
    );
    assert_eq!(s.schema_version("stock").await, 3);
    assert_eq!(
        souk_migrate::up_with(&mut s.client, &s.dir, &kit_v1())
            .await
            .unwrap(),
        souk_migrate::Report::default()
    );

    // The kit's later versions of these features, if any, then apply on top.
    let later = souk_migrate::up(&mut s.client, &s.dir).await.unwrap();
    assert!(later.superseded.is_empty());
    assert!(
        later
            .applied
            .iter()
            .all(|m| m.version > 1 && m.feature().is_some()),
        "{:?}",
        names(&later.applied)
    );

    // A fresh database with the rewritten files ends with the same schema.
    let mut fresh = Scratch::new().await;
    write_new_stock_module(&fresh.dir, &old_levels, &old_outbox);
    souk_migrate::up(&mut fresh.client, &fresh.dir)
        .await
        .unwrap();
    assert_eq!(s.shape("stock").await, fresh.shape("stock").await);
    fresh.drop().await;

    // Any other edit is still refused.
    write(&s.dir, "stock", "0002_levels.up.sql", STOCK_LEVELS);
    let err = souk_migrate::up(&mut s.client, &s.dir).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("stock/0002_levels.up.sql was edited"),
        "{err:#}"
    );
    s.drop().await;
}

#[tokio::test]
async fn a_second_feature_version_applies_on_top_in_every_declaring_schema() {
    let mut s = Scratch::new().await;
    write(&s.dir, "shop", "kit.features", "idempotency\n");
    write_order_module(&s.dir, "idempotency\n");
    souk_migrate::up_with(&mut s.client, &s.dir, &kit_v1())
        .await
        .unwrap();

    let mut templates = first_versions();
    templates.push(TemplateFile {
        feature: "idempotency",
        stem: "0002_note",
        up: "ALTER TABLE {{schema}}.idempotency_key ADD COLUMN note text;",
        down: "ALTER TABLE {{schema}}.idempotency_key DROP COLUMN note;",
    });
    let newer = Features::from_templates(&templates).unwrap();
    let report = souk_migrate::up_with(&mut s.client, &s.dir, &newer)
        .await
        .unwrap();
    assert_eq!(
        names(&report.applied),
        ["order.idempotency/0002_note", "shop.idempotency/0002_note"]
    );
    let has_note = "SELECT EXISTS (SELECT 1 FROM information_schema.columns \
                    WHERE table_schema = $1 AND table_name = 'idempotency_key' \
                      AND column_name = 'note')";
    for schema in ["order", "shop"] {
        let row = s.client.query_one(has_note, &[&schema]).await.unwrap();
        assert!(row.get::<_, bool>(0), "{schema}");
    }

    let rolled = souk_migrate::down_with(&mut s.client, &s.dir, Some("shop"), &newer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rolled.to_string(), "shop.idempotency/0002_note");
    let row = s.client.query_one(has_note, &[&"shop"]).await.unwrap();
    assert!(!row.get::<_, bool>(0));

    // A runner without the second version refuses a database that has it.
    let err = souk_migrate::up_with(&mut s.client, &s.dir, &kit_v1())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("order.idempotency/0002_note was applied"),
        "{err:#}"
    );
    s.drop().await;
}

#[tokio::test]
async fn an_unknown_feature_is_refused_before_anything_runs() {
    let mut s = Scratch::new().await;
    write(&s.dir, "shop", "kit.features", "idempotency\nteleport\n");
    let err = souk_migrate::up(&mut s.client, &s.dir).await.unwrap_err();
    let err = format!("{err:#}");
    assert!(err.contains("shop/kit.features"), "{err}");
    assert!(
        err.contains("line 2: unknown kit feature `teleport`"),
        "{err}"
    );
    assert!(
        !s.exists("SELECT to_regclass('public.souk_migrations') IS NOT NULL")
            .await
    );
    s.drop().await;
}

#[tokio::test]
async fn down_for_a_module_rolls_back_its_feature_migrations_newest_first() {
    let mut s = Scratch::new().await;
    write(&s.dir, "shop", "kit.features", "idempotency\noutbox\n");
    write(&s.dir, "mail", "kit.features", "outbox\n");
    souk_migrate::up_with(&mut s.client, &s.dir, &kit_v1())
        .await
        .unwrap();
    let mut rolled = Vec::new();
    for _ in 0..3 {
        let m = souk_migrate::down_with(&mut s.client, &s.dir, Some("shop"), &kit_v1())
            .await
            .unwrap()
            .unwrap();
        rolled.push(m.to_string());
    }
    assert_eq!(
        rolled,
        [
            "shop.outbox/0001_outbox",
            "shop.idempotency/0001_idempotency_key",
            "shop/0002_price"
        ]
    );
    assert_eq!(s.tables("shop").await, ["item"]);
    assert_eq!(s.tables("mail").await, ["outbox"]);
    let status = souk_migrate::status_with(&mut s.client, &s.dir, &kit_v1())
        .await
        .unwrap();
    let pending: Vec<String> = status
        .iter()
        .filter(|(_, state)| *state == State::Pending)
        .map(|(m, _)| m.to_string())
        .collect();
    assert_eq!(
        pending,
        [
            "shop/0002_price",
            "shop.idempotency/0001_idempotency_key",
            "shop.outbox/0001_outbox"
        ]
    );

    // `<module>.<feature>` rolls back that feature only, newer ones left in place.
    souk_migrate::up_with(&mut s.client, &s.dir, &kit_v1())
        .await
        .unwrap();
    let m = souk_migrate::down_with(&mut s.client, &s.dir, Some("shop.idempotency"), &kit_v1())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.to_string(), "shop.idempotency/0001_idempotency_key");
    assert_eq!(s.tables("shop").await, ["item", "outbox"]);
    s.drop().await;
}
