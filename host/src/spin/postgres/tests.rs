//! The Postgres interface against a real PostgreSQL with pgvector (`SOUK_TEST_DATABASE_URL`,
//! set by `scripts/test`): every value mapping, and every refusal real Spin makes.

use super::super::bindings::spin::postgres::postgres::{
    DbDataType, DbValue, Error, Interval, ParameterValue as P, QueryError, RangeBoundKind,
};
use super::{PgConnection, PgPools};

/// A fresh database for one test, dropped at the end.
struct Scratch {
    admin: String,
    name: String,
    url: String,
}

impl Scratch {
    async fn new() -> Scratch {
        let admin = std::env::var("SOUK_TEST_DATABASE_URL")
            .expect("SOUK_TEST_DATABASE_URL is not set: run `scripts/test`");
        let name = format!("host_test_{}", uuid::Uuid::new_v4().simple());
        let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
            .await
            .expect("test PostgreSQL reachable");
        tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(b, _)| b)
            .to_string();
        Scratch {
            url: format!("{base}/{name}"),
            admin,
            name,
        }
    }

    async fn drop(self) {
        let (client, conn) = tokio_postgres::connect(&self.admin, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .unwrap();
    }
}

async fn one(
    conn: &mut PgConnection,
    sql: &str,
    params: Vec<P>,
) -> Result<(DbDataType, DbValue), Error> {
    let set = conn.query(sql, params).await?;
    Ok((set.columns[0].data_type.clone(), set.rows[0][0].clone()))
}

/// Whether `e` is a failed query whose text mentions `needle` (case-insensitively).
fn is_query_failure(e: &Error, needle: &str) -> bool {
    let text = match e {
        Error::QueryFailed(QueryError::Text(t)) => t.clone(),
        Error::QueryFailed(QueryError::DbError(d)) => format!("{} {}", d.as_text, d.message),
        _ => return false,
    };
    text.to_lowercase().contains(&needle.to_lowercase())
}

#[tokio::test]
async fn values_map_like_spin() {
    let db = Scratch::new().await;
    let pools = PgPools::default();
    let mut c = pools.open(&db.url).await.unwrap();
    let uuid = "0b6f1c1e-6a4e-4c57-9d2a-1f1f7f4b1a11".to_string();
    let cases: Vec<(&str, Vec<P>, DbValue)> = vec![
        (
            "SELECT $1::bool",
            vec![P::Boolean(true)],
            DbValue::Boolean(true),
        ),
        ("SELECT $1::int2", vec![P::Int16(-7)], DbValue::Int16(-7)),
        ("SELECT $1::int4", vec![P::Int32(42)], DbValue::Int32(42)),
        (
            "SELECT $1::int8",
            vec![P::Int64(1 << 40)],
            DbValue::Int64(1 << 40),
        ),
        (
            "SELECT $1::float8",
            vec![P::Floating64(1.5)],
            DbValue::Floating64(1.5),
        ),
        (
            "SELECT $1::text",
            vec![P::Str("héllo".into())],
            DbValue::Str("héllo".into()),
        ),
        (
            "SELECT $1::bytea",
            vec![P::Binary(vec![0, 1, 255])],
            DbValue::Binary(vec![0, 1, 255]),
        ),
        (
            "SELECT $1::uuid",
            vec![P::Uuid(uuid.clone())],
            DbValue::Uuid(uuid.clone()),
        ),
        (
            "SELECT $1::jsonb",
            vec![P::Jsonb(br#"{ "a" : [1, 2] }"#.to_vec())],
            DbValue::Jsonb(br#"{"a":[1,2]}"#.to_vec()),
        ),
        (
            "SELECT $1::numeric",
            vec![P::Decimal("12.345".into())],
            DbValue::Decimal("12.345".into()),
        ),
        (
            "SELECT $1::date",
            vec![P::Date((2026, 2, 28))],
            DbValue::Date((2026, 2, 28)),
        ),
        (
            "SELECT $1::time",
            vec![P::Time((13, 5, 9, 0))],
            DbValue::Time((13, 5, 9, 0)),
        ),
        (
            "SELECT $1::timestamp",
            vec![P::Datetime((2026, 1, 2, 3, 4, 5, 0))],
            DbValue::Datetime((2026, 1, 2, 3, 4, 5, 0)),
        ),
        (
            "SELECT ($1::timestamptz AT TIME ZONE 'UTC')",
            vec![P::Timestamp(86_400)],
            DbValue::Datetime((1970, 1, 2, 0, 0, 0, 0)),
        ),
        (
            "SELECT $1::interval",
            vec![P::Interval(Interval {
                micros: 5_000_000,
                days: 2,
                months: 1,
            })],
            DbValue::Interval(Interval {
                micros: 5_000_000,
                days: 2,
                months: 1,
            }),
        ),
        (
            "SELECT $1::int4[]",
            vec![P::ArrayInt32(vec![Some(1), None])],
            DbValue::ArrayInt32(vec![Some(1), None]),
        ),
        (
            "SELECT $1::text[]",
            vec![P::ArrayStr(vec![Some("a".into())])],
            DbValue::ArrayStr(vec![Some("a".into())]),
        ),
        (
            "SELECT $1::int4range",
            vec![P::RangeInt32((
                Some((1, RangeBoundKind::Inclusive)),
                Some((5, RangeBoundKind::Exclusive)),
            ))],
            DbValue::RangeInt32((
                Some((1, RangeBoundKind::Inclusive)),
                Some((5, RangeBoundKind::Exclusive)),
            )),
        ),
        ("SELECT $1::text", vec![P::DbNull], DbValue::DbNull),
        ("SELECT 'ab'::char(4)", vec![], DbValue::Str("ab  ".into())),
    ];
    for (sql, params, expected) in cases {
        let (_, got) = one(&mut c, sql, params)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        assert_eq!(got, expected, "{sql}");
    }
    drop(c);
    db.drop().await;
}

#[tokio::test]
async fn the_refusals_of_real_spin_are_reproduced() {
    let db = Scratch::new().await;
    let pools = PgPools::default();
    let mut c = pools.open(&db.url).await.unwrap();
    let err = one(&mut c, "SELECT now()", vec![]).await.unwrap_err();
    assert!(is_query_failure(&err, "timestamptz"), "{err:?}");
    let err = one(
        &mut c,
        "SELECT $1::uuid",
        vec![P::Str("0b6f1c1e-6a4e-4c57-9d2a-1f1f7f4b1a11".into())],
    )
    .await
    .unwrap_err();
    assert!(is_query_failure(&err, "uuid"), "{err:?}");
    assert!(
        one(&mut c, "SELECT $1::int4", vec![P::Int64(1)])
            .await
            .is_err()
    );
    assert!(
        one(&mut c, "SELECT 1 WHERE 1 = $1", vec![P::Int64(1)])
            .await
            .is_err()
    );
    assert!(
        one(
            &mut c,
            "SELECT $1::timestamptz",
            vec![P::Datetime((2026, 1, 1, 0, 0, 0, 0))]
        )
        .await
        .is_err()
    );
    assert!(
        one(&mut c, "SELECT $1::timestamp", vec![P::Timestamp(0)])
            .await
            .is_err()
    );
    assert!(
        one(&mut c, "SELECT $1::numeric", vec![P::Floating64(1.0)])
            .await
            .is_err()
    );
    let err = c.execute("SELECT 1; SELECT 2", vec![]).await.unwrap_err();
    assert!(is_query_failure(&err, "multiple commands"), "{err:?}");
    let (ty, v) = one(&mut c, "SELECT '{\"a\":1}'::json", vec![])
        .await
        .unwrap();
    assert_eq!(
        (ty, v),
        (
            DbDataType::Other("json".into()),
            DbValue::Unsupported(br#"{"a":1}"#.to_vec())
        )
    );
    let (ty, _) = one(&mut c, "SELECT ARRAY[1.5]::float8[]", vec![])
        .await
        .unwrap();
    assert_eq!(ty, DbDataType::Other("_float8".into()));
    assert!(one(&mut c, "SELECT 'NaN'::numeric", vec![]).await.is_err());
    drop(c);
    db.drop().await;
}

#[tokio::test]
async fn pgvector_values_come_back_unsupported_and_as_text_when_cast() {
    let db = Scratch::new().await;
    let pools = PgPools::default();
    let mut c = pools.open(&db.url).await.unwrap();
    c.execute("CREATE EXTENSION IF NOT EXISTS vector", vec![])
        .await
        .unwrap();
    let (ty, v) = one(
        &mut c,
        "SELECT $1::text::vector",
        vec![P::Str("[1,2,3]".into())],
    )
    .await
    .unwrap();
    assert_eq!(ty, DbDataType::Other("vector".into()));
    let DbValue::Unsupported(bytes) = v else {
        panic!("expected unsupported, got {v:?}")
    };
    assert_eq!(&bytes[..4], &[0, 3, 0, 0], "u16 dimension then u16 zero");
    let (_, v) = one(
        &mut c,
        "SELECT ($1::text::vector)::text",
        vec![P::Str("[1,2,3]".into())],
    )
    .await
    .unwrap();
    assert_eq!(v, DbValue::Str("[1,2,3]".into()));
    let (_, d) = one(&mut c, "SELECT '[1,0]'::vector <=> '[0,1]'::vector", vec![])
        .await
        .unwrap();
    assert_eq!(d, DbValue::Floating64(1.0));
    drop(c);
    db.drop().await;
}

#[tokio::test]
async fn a_transaction_spans_calls_and_a_dropped_one_is_rolled_back() {
    let db = Scratch::new().await;
    let pools = PgPools::default();
    let mut c = pools.open(&db.url).await.unwrap();
    c.execute("CREATE TABLE t (id int4 PRIMARY KEY)", vec![])
        .await
        .unwrap();
    c.execute("BEGIN", vec![]).await.unwrap();
    c.execute("INSERT INTO t VALUES (1)", vec![]).await.unwrap();
    c.execute("ROLLBACK", vec![]).await.unwrap();
    let (_, n) = one(&mut c, "SELECT count(*) FROM t", vec![]).await.unwrap();
    assert_eq!(n, DbValue::Int64(0));

    c.execute("BEGIN", vec![]).await.unwrap();
    c.execute("INSERT INTO t VALUES (2)", vec![]).await.unwrap();
    drop(c); // left open: the pool must roll it back before reuse
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut again = pools.open(&db.url).await.unwrap();
    let (_, n) = one(&mut again, "SELECT count(*) FROM t", vec![])
        .await
        .unwrap();
    assert_eq!(n, DbValue::Int64(0));
    let (_, status) = one(&mut again, "SELECT now() IS NOT NULL", vec![])
        .await
        .unwrap();
    assert_eq!(status, DbValue::Boolean(true));
    drop(again);
    db.drop().await;
}

#[tokio::test]
async fn a_unique_violation_carries_its_sqlstate_and_constraint() {
    let db = Scratch::new().await;
    let pools = PgPools::default();
    let mut c = pools.open(&db.url).await.unwrap();
    c.execute(
        "CREATE TABLE u (name text CONSTRAINT u_name_key UNIQUE)",
        vec![],
    )
    .await
    .unwrap();
    c.execute("INSERT INTO u VALUES ($1)", vec![P::Str("a".into())])
        .await
        .unwrap();
    let err = c
        .execute("INSERT INTO u VALUES ($1)", vec![P::Str("a".into())])
        .await
        .unwrap_err();
    let Error::QueryFailed(QueryError::DbError(d)) = err else {
        panic!("expected a DbError, got {err:?}")
    };
    assert_eq!(d.code, "23505");
    assert!(
        d.extras
            .contains(&("constraint".to_string(), "u_name_key".to_string())),
        "{:?}",
        d.extras
    );
    drop(c);
    db.drop().await;
}

#[tokio::test]
async fn a_violation_raised_while_rows_stream_reaches_the_guest_as_text_as_under_spin_4() {
    let db = Scratch::new().await;
    let pools = PgPools::default();
    let mut c = pools.open(&db.url).await.unwrap();
    c.execute(
        "CREATE TABLE n (v int CONSTRAINT n_positive CHECK (v > 0))",
        vec![],
    )
    .await
    .unwrap();
    let err = c
        .query("INSERT INTO n VALUES ($1) RETURNING v", vec![P::Int32(-1)])
        .await
        .unwrap_err();
    let Error::QueryFailed(QueryError::Text(text)) = err else {
        panic!("expected the flattened text, got {err:?}")
    };
    assert!(
        text.starts_with("Error::QueryFailed(QueryError::DbError(DbError {"),
        "{text}"
    );
    assert!(text.contains(r#"code: "23514""#), "{text}");
    assert!(text.contains(r#"("constraint", "n_positive")"#), "{text}");
    // The same violation through `execute`, or a failure before any row, stays structured.
    let err = c
        .execute("INSERT INTO n VALUES ($1)", vec![P::Int32(-1)])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::QueryFailed(QueryError::DbError(_))),
        "{err:?}"
    );
    let err = c.query("SELECT nope FROM n", vec![]).await.unwrap_err();
    assert!(
        matches!(err, Error::QueryFailed(QueryError::DbError(_))),
        "{err:?}"
    );
    drop(c);
    db.drop().await;
}

#[tokio::test]
async fn a_result_without_rows_has_no_columns_as_under_spin() {
    let db = Scratch::new().await;
    let pools = PgPools::default();
    let mut c = pools.open(&db.url).await.unwrap();
    let none = c
        .query("SELECT 1 AS one WHERE false", vec![])
        .await
        .unwrap();
    assert!(none.columns.is_empty() && none.rows.is_empty());
    let one = c.query("SELECT 1 AS one", vec![]).await.unwrap();
    assert_eq!(one.columns[0].name, "one");
    drop(c);
    db.drop().await;
}

#[tokio::test]
async fn an_unreachable_server_is_a_connection_failure() {
    let pools = PgPools::default();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = pools
        .open(&format!("postgres://postgres@127.0.0.1:{port}/x"))
        .await
        .err()
        .expect("no server there");
    assert!(matches!(err, Error::ConnectionFailed(_)), "{err:?}");
    assert!(matches!(
        pools.open("not a url ::").await.err(),
        Some(Error::ConnectionFailed(_))
    ));
}

mod addresses {
    use super::super::permitted;
    use crate::outbound::AllowedHosts;

    fn check(address: &str, allowed: &[&str]) -> Result<(), String> {
        let hosts = AllowedHosts::parse(allowed).unwrap();
        permitted(address, |url| hosts.allows_url(url, "postgres")).map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn urls_and_key_value_strings_are_checked_alike() {
        let db = ["postgres://127.0.0.1:55432"];
        assert!(check("postgres://u@127.0.0.1:55432/souk", &db).is_ok());
        assert!(check("host=127.0.0.1 port=55432 user=u dbname=souk", &db).is_ok());
        let denied = check("host=10.1.2.3 port=55432 user=u dbname=souk", &db).unwrap_err();
        assert!(
            denied.contains("postgres://10.1.2.3:55432 is not permitted"),
            "{denied}"
        );
        assert!(check("host=127.0.0.1 port=5432 dbname=souk", &db).is_err());
    }

    #[test]
    fn every_host_of_a_multi_host_string_must_be_allowed() {
        let db = ["postgres://127.0.0.1:55432"];
        let e = check("host=127.0.0.1,evil.example port=55432 dbname=souk", &db).unwrap_err();
        assert!(e.contains("evil.example"), "{e}");
        let e = check("postgres://127.0.0.1:55432,evil.example:5432/souk", &db).unwrap_err();
        assert!(e.contains("evil.example:5432"), "{e}");
    }

    #[test]
    fn a_hostaddr_cannot_redirect_an_allowed_host() {
        let db = ["postgres://db.internal:5432"];
        assert!(check("host=db.internal port=5432 dbname=souk", &db).is_ok());
        let e = check(
            "host=db.internal hostaddr=10.9.9.9 port=5432 dbname=souk",
            &db,
        )
        .unwrap_err();
        assert!(e.contains("10.9.9.9:5432"), "{e}");
    }

    #[test]
    fn hosts_named_in_a_urls_query_are_checked_too() {
        let db = ["postgres://127.0.0.1:55432"];
        // libpq appends `host` and `hostaddr` from the query to the authority's hosts.
        let e = check("postgres://u@127.0.0.1:55432/souk?host=evil.example", &db).unwrap_err();
        assert!(e.contains("evil.example"), "{e}");
        let e = check("postgres://u@127.0.0.1:55432/souk?hostaddr=10.9.9.9", &db).unwrap_err();
        assert!(e.contains("10.9.9.9:55432"), "{e}");
        let e = check("postgres:///souk?host=evil.example&port=55432", &db).unwrap_err();
        assert!(e.contains("evil.example:55432"), "{e}");
        assert!(check("postgres:///souk?host=127.0.0.1&port=55432", &db).is_ok());
    }

    #[test]
    fn every_hostaddr_of_a_multi_host_string_must_be_allowed() {
        let db = ["postgres://10.0.0.1:5432", "postgres://10.0.0.2:5432"];
        assert!(check("hostaddr=10.0.0.1,10.0.0.2 port=5432 dbname=souk", &db).is_ok());
        let e = check("hostaddr=10.0.0.1,10.9.9.9 port=5432 dbname=souk", &db).unwrap_err();
        assert!(e.contains("10.9.9.9:5432"), "{e}");
        // Each host with its own port: the second port is checked with the second host.
        let e = check("host=10.0.0.1,10.0.0.2 port=5432,6543 dbname=souk", &db).unwrap_err();
        assert!(e.contains("10.0.0.2:6543"), "{e}");
    }

    #[test]
    fn socket_paths_are_refused_however_they_are_written() {
        let all = ["postgres://*:*"];
        for address in [
            "host=/var/run/postgresql dbname=souk",
            "host=127.0.0.1,/tmp port=5432 dbname=souk",
            "postgres://%2Fvar%2Frun%2Fpostgresql/souk",
            "postgres:///souk?host=/tmp",
            "postgres://u@127.0.0.1:5432/souk?host=%2Ftmp",
        ] {
            let e = check(address, &all).unwrap_err();
            assert!(e.contains("Unix sockets"), "{address}: {e}");
        }
    }

    #[test]
    fn unix_sockets_and_unparseable_strings_are_refused() {
        let all = ["postgres://*:*"];
        let e = check("host=/var/run/postgresql dbname=souk", &all).unwrap_err();
        assert!(e.contains("Unix sockets"), "{e}");
        assert!(
            check("host=127.0.0.1 port=notanumber", &all)
                .unwrap_err()
                .contains("ConnectionFailed")
        );
    }
}
