//! The runner against a real PostgreSQL: each test gets a fresh database and its own
//! migrations folder.

use std::path::{Path, PathBuf};

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
    let applied = souk_migrate::up(&mut s.client, &s.dir).await.unwrap();
    let names: Vec<String> = applied
        .iter()
        .map(|m| format!("{}/{}", m.module, m.version))
        .collect();
    assert_eq!(names, ["mail/1", "shop/1", "shop/2"]);
    assert!(s.exists("SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'shop' AND column_name = 'price')").await);
    assert!(
        souk_migrate::up(&mut s.client, &s.dir)
            .await
            .unwrap()
            .is_empty()
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
    assert!(!s.exists("SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'shop' AND column_name = 'price')").await);
    assert!(s.exists("SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = 'shop' AND table_name = 'item')").await);
    let status = souk_migrate::status(&mut s.client, &s.dir).await.unwrap();
    let pending: Vec<String> = status
        .iter()
        .filter(|(_, a)| !a)
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
    assert!(!s.exists("SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = 'shop' AND table_name = 'extra')").await);
    assert!(!s.exists("SELECT EXISTS (SELECT 1 FROM public.souk_migrations WHERE module = 'shop' AND version = 3)").await);
    assert!(s.exists("SELECT EXISTS (SELECT 1 FROM public.souk_migrations WHERE module = 'shop' AND version = 2)").await);
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
