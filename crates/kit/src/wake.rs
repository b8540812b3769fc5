//! Every Redis key and channel of the outbox and the workflows, in one place: how modules wake
//! the durable component, and how it reads what woke it. PostgreSQL holds the messages and
//! invocations; Redis only wakes, so every wake-up here is best effort and a lost one is caught
//! by the sweep.
//!
//! - Channel [`CHANNEL`]: `<module>` relays that module's outbox now; `<module>/<id>` runs
//!   that invocation now.
//! - Key [`SWEEP_KEY`]: its expiry runs the sweep (every outbox, every module's due
//!   invocations). It lives [`SWEEP_INTERVAL_MS`] and the sweep sets it again, so while the app
//!   is in use a lost wake-up waits no longer than that. Redis must send expiry events
//!   (`notify-keyspace-events Ex`).
//! - Keys `souk:wake:<module>/<id>`: their expiry runs an invocation whose timer or retry is
//!   due ([`invocation_key`]).
//! - Keys `souk:durable:relaying:<module>` and `souk:durable:relay-again:<module>`: the durable
//!   component's one-relay-per-module lease and its "go round again" flag.
//! - Key `souk:wake:pending:<module>` ([`pending_key`]): an outbox wake-up of the module is
//!   published and its relay has not started yet. An outbox write publishes only when it sets
//!   the key, so a burst of writes (a bulk upload) sends one wake-up, not one each — under Spin
//!   the redis trigger hands wake-ups over one at a time, and hundreds queued delayed every
//!   other module's. Safe: the relay deletes the key before it reads the outbox, so a write
//!   that found the key set committed before that read, and is relayed by it. A key whose
//!   wake-up was lost expires after [`PENDING_MS`], and the sweep relays meanwhile.

use uuid::Uuid;

use crate::ctx::Ctx;
use crate::platform::RedisCommand;

/// The channel the durable component listens on for wake-ups.
pub const CHANNEL: &str = "souk:wake";

/// The key whose expiry runs the durable sweep.
pub const SWEEP_KEY: &str = "souk:durable:sweep";

/// How often the sweep runs while the app is in use.
pub const SWEEP_INTERVAL_MS: i64 = 5_000;

/// Prefix of the keys whose expiry wakes an invocation.
const INVOCATION_KEY_PREFIX: &str = "souk:wake:";

/// Prefix of the key that says a module's outbox wake-up is pending.
const PENDING_PREFIX: &str = "souk:wake:pending:";

/// How long a pending outbox wake-up holds back others, at most.
pub const PENDING_MS: i64 = 2_000;

/// Prefix of a module's relay lease.
const RELAYING_PREFIX: &str = "souk:durable:relaying:";

/// Prefix of a module's "relay again" flag.
const RELAY_AGAIN_PREFIX: &str = "souk:durable:relay-again:";

/// The key whose expiry wakes invocation `id` of `module`.
pub fn invocation_key(module: &str, id: Uuid) -> String {
    format!("{INVOCATION_KEY_PREFIX}{module}/{id}")
}

/// The key that says an outbox wake-up of `module` is pending: set by the write that
/// publishes it, deleted by the relay before it reads the outbox.
pub fn pending_key(module: &str) -> String {
    format!("{PENDING_PREFIX}{module}")
}

/// The lease the durable component holds while it relays `module`'s outbox.
pub fn relaying_key(module: &str) -> String {
    format!("{RELAYING_PREFIX}{module}")
}

/// The flag a wake-up sets when it finds `module`'s relay running: the relay goes round again.
pub fn relay_again_key(module: &str) -> String {
    format!("{RELAY_AGAIN_PREFIX}{module}")
}

/// What a message on [`CHANNEL`] or an expired key's name asks the durable component for.
#[derive(Debug, PartialEq, Eq)]
pub enum Wake<'a> {
    /// Run the sweep.
    Sweep,
    /// Relay this module's outbox.
    Outbox(&'a str),
    /// Run this invocation (module, id) now.
    Invocation(&'a str, &'a str),
    /// Not a wake-up (another key expired).
    Ignore,
}

/// Reads a message from [`CHANNEL`] (`<module>`, `<module>/<id>`) or an expired key's name
/// ([`SWEEP_KEY`], `souk:wake:<module>/<id>`).
pub fn parse(text: &str) -> Wake<'_> {
    if text == SWEEP_KEY {
        return Wake::Sweep;
    }
    let text = text.strip_prefix(INVOCATION_KEY_PREFIX).unwrap_or(text);
    match text.split_once('/') {
        Some((module, id)) if !module.is_empty() && !id.is_empty() && !id.contains('/') => {
            Wake::Invocation(module, id)
        }
        Some(_) => Wake::Ignore,
        None if !text.is_empty() && !text.contains(':') => Wake::Outbox(text),
        None => Wake::Ignore,
    }
}

/// The command that sets the sweep key; with `only_if_absent` a pending sweep is left alone
/// (so activity does not keep postponing it).
pub fn arm_sweep_command(only_if_absent: bool) -> RedisCommand {
    RedisCommand::SetExpiring {
        key: SWEEP_KEY.to_string(),
        ms: SWEEP_INTERVAL_MS,
        only_if_absent,
    }
}

fn send(ctx: &Ctx, commands: &[RedisCommand], what: &str) {
    for command in commands {
        if let Err(e) = ctx.wake_up(command.clone()) {
            crate::log::warn(format_args!(
                "{what} not sent ({e}); the sweep will catch up"
            ));
            return;
        }
    }
}

/// Arms the sweep if none is pending (liveness probes call this, so timers and outboxes keep
/// moving after a restart before any request causes a wake-up).
pub fn arm_sweep(ctx: &Ctx) {
    send(ctx, &[arm_sweep_command(true)], "arming the sweep");
}

/// Asks the durable component to relay `ctx.module`'s outbox now.
pub fn relay_outbox(ctx: &Ctx) {
    let publish = RedisCommand::PublishOnce {
        pending: pending_key(ctx.module),
        ms: PENDING_MS,
        channel: CHANNEL.to_string(),
        message: ctx.module.to_string(),
    };
    send(
        ctx,
        &[arm_sweep_command(true), publish],
        "the outbox wake-up",
    );
}

/// Asks the durable component to run these invocations of `ctx.module` now.
pub fn run_invocations(ctx: &Ctx, ids: &[Uuid]) {
    let mut commands = vec![arm_sweep_command(true)];
    commands.extend(ids.iter().map(|id| RedisCommand::Publish {
        channel: CHANNEL.to_string(),
        message: format!("{}/{id}", ctx.module),
    }));
    send(ctx, &commands, "the workflow wake-up");
}

/// Arms the key whose expiry runs invocation `id` of `ctx.module` at `at_ms`.
pub fn run_invocation_at(ctx: &Ctx, id: Uuid, at_ms: i64) {
    let delay = (at_ms - crate::time::now().timestamp_millis()).max(1);
    let timer = RedisCommand::SetExpiring {
        key: invocation_key(ctx.module, id),
        ms: delay,
        only_if_absent: false,
    };
    send(ctx, &[arm_sweep_command(true), timer], "the timer wake-up");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wake_ups_name_a_sweep_an_outbox_or_an_invocation() {
        assert_eq!(parse(SWEEP_KEY), Wake::Sweep);
        assert_eq!(parse("inventory"), Wake::Outbox("inventory"));
        assert_eq!(parse("order/0199"), Wake::Invocation("order", "0199"));
        let key = invocation_key("order", Uuid::nil());
        assert_eq!(
            parse(&key),
            Wake::Invocation("order", "00000000-0000-0000-0000-000000000000")
        );
        assert_eq!(parse("souk:account:login-failures:x"), Wake::Ignore);
        assert_eq!(parse(&relaying_key("order")), Wake::Ignore);
        assert_eq!(parse(&relay_again_key("order")), Wake::Ignore);
        assert_eq!(parse("a/b/c"), Wake::Ignore);
        assert_eq!(parse(""), Wake::Ignore);
    }
}
