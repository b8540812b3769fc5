//! A test component for souk-host's cron trigger (the trigger-cron plugin's world): prints
//! `tick <timestamp>` on every tick.

#![expect(
    unsafe_code,
    reason = "wit-bindgen's export! generates the unsafe export glue of the component"
)]

spin_sdk::wit_bindgen::generate!({
    world: "spin-cron",
    path: "../../wit/deps/spin-cron",
    runtime_path: "::spin_sdk::wit_bindgen::rt",
});

struct Tick;

impl Guest for Tick {
    fn handle_cron_event(metadata: CronMetadata) -> Result<(), CronError> {
        println!("tick {}", metadata.timestamp);
        Ok(())
    }
}

export!(Tick);
