//! The redis trigger: one subscription per server, each message handed to a fresh instance of
//! the channel's component through `fermyon:spin/inbound-redis`.
//!
//! Key-expiry notifications (`__keyevent@<db>__:expired`, with `notify-keyspace-events Ex` on
//! the server) arrive here like any other channel.
//!
//! As in Spin, a server's messages are handled one at a time, in the order they arrive: the
//! next message waits until every component of the previous one has returned. A handler that
//! takes long therefore delays every later message of its server (Souk's `durable-wake` only
//! hands each message over and returns).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;

use crate::app::App;
use crate::host_log;

/// Wait before re-subscribing after the server went away, doubled up to the maximum.
const RECONNECT_MIN: Duration = Duration::from_millis(200);
const RECONNECT_MAX: Duration = Duration::from_secs(5);

/// Starts one subscriber task per Redis server named by the application's redis triggers.
pub fn start(app: &Arc<App>) {
    let mut by_address: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for s in &app.redis_subscriptions {
        by_address
            .entry(s.address.clone())
            .or_default()
            .push((s.channel.clone(), s.component.clone()));
    }
    for (address, channels) in by_address {
        let app = app.clone();
        tokio::spawn(async move { subscribe_forever(app, address, channels).await });
    }
}

async fn subscribe_forever(app: Arc<App>, address: String, channels: Vec<(String, String)>) {
    let mut wait = RECONNECT_MIN;
    // The address as the log shows it: without its password.
    let shown = crate::redact::credentials(&address);
    loop {
        match subscribe(&app, &address, &channels).await {
            Ok(()) => host_log!("redis trigger: subscription to {shown} ended; re-subscribing"),
            Err(e) => host_log!(
                "redis trigger: {shown}: {}; retrying in {}ms",
                crate::redact::credentials(&format!("{e:#}")),
                wait.as_millis()
            ),
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(RECONNECT_MAX);
    }
}

async fn subscribe(
    app: &Arc<App>,
    address: &str,
    channels: &[(String, String)],
) -> anyhow::Result<()> {
    let client = redis::Client::open(address)?;
    let mut pubsub = client.get_async_pubsub().await?;
    for (channel, component) in channels {
        pubsub.subscribe(channel).await?;
        host_log!(
            "redis trigger: {component} subscribed to {channel} on {}",
            crate::redact::credentials(address)
        );
    }
    let mut messages = pubsub.on_message();
    while let Some(msg) = messages.next().await {
        let channel = msg.get_channel_name().to_string();
        let payload = msg.get_payload_bytes().to_vec();
        for (_, component) in channels.iter().filter(|(c, _)| *c == channel) {
            let started = std::time::Instant::now();
            let outcome = match app.handle_message(component, payload.clone()).await {
                Ok(()) => "ok".to_string(),
                Err(e) => format!("failed: {e:#}"),
            };
            host_log!(
                "REDIS {channel} {component} {outcome} {}ms",
                started.elapsed().as_millis()
            );
        }
    }
    Ok(())
}

impl App {
    /// Runs component `id`'s redis handler for one message.
    pub async fn handle_message(
        self: &Arc<Self>,
        id: &str,
        payload: Vec<u8>,
    ) -> anyhow::Result<()> {
        let component = self
            .components
            .get(id)
            .ok_or_else(|| anyhow::anyhow!("no component `{id}`"))?
            .clone();
        let pre = component
            .redis
            .clone()
            .ok_or_else(|| anyhow::anyhow!("component `{id}` has no redis handler"))?;
        let mut store = self.store(&component, false)?;
        let run = async {
            let instance = pre.instantiate_async(&mut store).await?;
            instance
                .fermyon_spin_inbound_redis()
                .call_handle_message(&mut store, &payload)
                .await
        };
        match tokio::time::timeout(self.request_timeout, run).await {
            Err(_) => anyhow::bail!("ran past the {}s limit", self.request_timeout.as_secs()),
            Ok(Err(trap)) => Err(anyhow::anyhow!("trapped: {trap:#}")),
            Ok(Ok(Err(e))) => anyhow::bail!("handler returned {e:?}"),
            Ok(Ok(Ok(()))) => Ok(()),
        }
    }
}
