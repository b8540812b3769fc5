-- A step that fails with an error worth retrying after its remote effect happened is kept as
-- `interrupted`, with the undo that effect needs: it runs again on the next run, and if the
-- invocation is cancelled instead, its undo still runs (see kit::workflow::state::StepState).
ALTER TABLE {{schema}}.invocation_step DROP CONSTRAINT invocation_step_status_valid;
ALTER TABLE {{schema}}.invocation_step ADD CONSTRAINT invocation_step_status_valid
    CHECK (status IN ('waiting', 'done', 'failed', 'interrupted'));
