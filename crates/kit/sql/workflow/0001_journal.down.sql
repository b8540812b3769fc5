DROP TABLE IF EXISTS {{schema}}.workflow_signal;
DROP TABLE IF EXISTS {{schema}}.invocation_step;
DROP TABLE IF EXISTS {{schema}}.invocation;
