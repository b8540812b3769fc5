DELETE FROM {{schema}}.invocation_step WHERE status = 'interrupted';
ALTER TABLE {{schema}}.invocation_step DROP CONSTRAINT invocation_step_status_valid;
ALTER TABLE {{schema}}.invocation_step ADD CONSTRAINT invocation_step_status_valid
    CHECK (status IN ('waiting', 'done', 'failed'));
